// The pyramid schedule and cv::groupRectangles on small hand-made cases.
@testable import FaceDetection
import Imaging
import XCTest

final class PyramidScheduleTests: XCTestCase {
    func testScalesSizesAndStepsFollowOpenCV() {
        let levels = PyramidSchedule.levels(imageWidth: 640, imageHeight: 480, windowWidth: 24, windowHeight: 24,
                                            parameters: DetectionParameters(scaleFactor: 1.1, minSize: PixelSize(30)))
        // 24·1.1^k rounds to 24, 26, 29 (< 30: skipped), 32, ...; windows must fit 480 px.
        XCTAssertEqual(levels.first?.windowWidth, 32)
        XCTAssertEqual(levels.first?.scale, Float(1.1 * 1.1 * 1.1))
        XCTAssertEqual(levels.first?.width, 481)   // round(640 / 1.331) in float
        XCTAssertEqual(levels.first?.height, 361)
        XCTAssertEqual(levels.first?.step, 2)
        XCTAssertEqual(levels.last!.windowHeight <= 480, true)
        XCTAssertEqual(levels.filter { $0.step == 2 }.count, 5, "scales 1.331 ... 1.949 step 2 px")
        XCTAssertTrue(levels.allSatisfy { $0.step == ($0.scale >= 2 ? 1 : 2) })
        XCTAssertEqual(levels.count, 29)
        // maxSize stops the sequence; minSize == maxSize with no exact scale picks the closest one.
        let capped = PyramidSchedule.levels(imageWidth: 640, imageHeight: 480, windowWidth: 24, windowHeight: 24,
                                            parameters: DetectionParameters(minSize: PixelSize(30), maxSize: PixelSize(60)))
        XCTAssertEqual(capped.map(\.windowWidth), [32, 35, 39, 43, 47, 51, 57])
        let single = PyramidSchedule.levels(imageWidth: 640, imageHeight: 480, windowWidth: 24, windowHeight: 24,
                                            parameters: DetectionParameters(minSize: PixelSize(50), maxSize: PixelSize(50)))
        XCTAssertEqual(single.map(\.windowWidth), [51], "24·1.1^8 = 51.4: the closest to 50")
        XCTAssertTrue(PyramidSchedule.levels(imageWidth: 20, imageHeight: 40, windowWidth: 24, windowHeight: 24,
                                             parameters: DetectionParameters()).isEmpty)
    }
}

final class RectangleGroupingTests: XCTestCase {
    func r(_ x: Int, _ y: Int, _ w: Int, _ h: Int) -> Rect { Rect(x: x, y: y, width: w, height: h) }

    func testZeroNeighboursReturnsTheRawWindows() {
        let raw = [r(0, 0, 10, 10), r(1, 1, 10, 10)]
        XCTAssertEqual(RectangleGrouping.group(raw, minNeighbors: 0), raw.map { Detection(box: $0, neighbors: 1) })
    }

    func testSimilarWindowsAreAveragedAndLoneOnesDropped() {
        let raw = [r(100, 100, 50, 50), r(102, 98, 52, 52), r(98, 101, 50, 50), r(300, 300, 40, 40)]
        let groups = RectangleGrouping.group(raw, minNeighbors: 2)
        // x: (100+102+98)/3 = 100, y: 299/3 = 99.67 → 100, w: 152/3 = 50.67 → 51.
        XCTAssertEqual(groups, [Detection(box: r(100, 100, 51, 51), neighbors: 3)])
        XCTAssertEqual(RectangleGrouping.group(raw, minNeighbors: 3), [], "needs more than minNeighbors members")
    }

    func testAveragesRoundHalfToEvenLikeCvRound() {
        // x: (10+11)/2 = 10.5 → 10, y: (11+12)/2 = 11.5 → 12.
        let groups = RectangleGrouping.group([r(10, 11, 40, 40), r(11, 12, 40, 40)], minNeighbors: 1)
        XCTAssertEqual(groups.map(\.box), [r(10, 12, 40, 40)])
    }

    func testSimilarityUsesEpsTimesMeanSide() {
        // delta = 0.2·(20+20)/2 = 4: edges 4 px apart are similar, 5 px apart are not.
        XCTAssertTrue(RectangleGrouping.similar(r(0, 0, 20, 20), r(4, 4, 20, 20), eps: 0.2))
        XCTAssertFalse(RectangleGrouping.similar(r(0, 0, 20, 20), r(5, 0, 20, 20), eps: 0.2))
        // Chains join: a~b and b~c put a and c in one class even if a and c differ.
        let (labels, count) = RectangleGrouping.partition([r(0, 0, 20, 20), r(4, 0, 20, 20), r(8, 0, 20, 20), r(90, 0, 20, 20)], eps: 0.2)
        XCTAssertEqual(labels, [0, 0, 0, 1])
        XCTAssertEqual(count, 2)
    }

    func testSmallGroupInsideAStrongerLargeOneIsDropped() {
        let large = Array(repeating: r(100, 100, 100, 100), count: 6)
        let small = Array(repeating: r(130, 130, 30, 30), count: 2)
        let groups = RectangleGrouping.group(small + large, minNeighbors: 1)
        XCTAssertEqual(groups, [Detection(box: r(100, 100, 100, 100), neighbors: 6)])
        // With as many members as the large group (and at least 3) the inner group stays.
        let kept = RectangleGrouping.group(Array(repeating: r(130, 130, 30, 30), count: 6) + large, minNeighbors: 1)
        XCTAssertEqual(kept.count, 2)
    }
}
