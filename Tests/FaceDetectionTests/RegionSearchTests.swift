// Region-of-interest search finds a face again near where it was, and nothing far from it.
import FaceDetection
import ImageIO
import Imaging
import TestSupport
import XCTest

final class RegionSearchTests: XCTestCase {
    func testFindsTheSameFacesNearPreviousBoxes() throws {
        let gray = try sharedGray("fr_two_people.jpg")
        let detector = try frontalFaceDetector()
        let p = DetectionParameters(scaleFactor: 1.2, minNeighbors: 5, minSize: PixelSize(60))
        let full = detector.detect(gray, parameters: p)
        XCTAssertEqual(full.count, 2)
        let tracked = detector.detect(in: gray, around: full.map(\.box), parameters: p)
        XCTAssertEqual(tracked.count, full.count)
        for face in full {
            let best = tracked.map { $0.box.iou(face.box) }.max() ?? 0
            XCTAssertGreaterThan(best, 0.8, "face \(face.box) not found again (best IoU \(best))")
        }
        // Shifted by a few pixels (the face moved): still found.
        let moved = full.map { Rect(x: $0.box.x + 8, y: $0.box.y - 6, width: $0.box.width, height: $0.box.height) }
        XCTAssertEqual(detector.detect(in: gray, around: moved, parameters: p).count, full.count)
        // A region with no face yields nothing.
        XCTAssertTrue(detector.detect(in: gray, around: [Rect(x: 500, y: 500, width: 80, height: 80)], parameters: p).isEmpty)
    }

    /// A detector keeps its flattened cascade and scratch planes between calls (ScanResources): calls on
    /// images and crops of other sizes in between must not change any result.
    func testScanResourcesKeptBetweenCallsDoNotChangeResults() throws {
        let gray = try sharedGray("fr_two_people.jpg")
        let cascade = try cascadeFile("haarcascade_frontalface_default.xml")
        let p = DetectionParameters(scaleFactor: 1.1, minNeighbors: 3, minSize: PixelSize(30))
        let reused = FaceDetector(cascade: cascade)
        let first = reused.rawWindows(gray, parameters: p)
        XCTAssertFalse(first.isEmpty)
        let crops = [Rect(x: 0, y: 0, width: 97, height: 61), Rect(x: 40, y: 20, width: 301, height: 233),
                     Rect(x: 10, y: 5, width: gray.width - 10, height: gray.height - 5)]
        for crop in crops {
            let image = gray.cropped(to: crop)
            XCTAssertEqual(reused.rawWindows(image, parameters: p), FaceDetector(cascade: cascade).rawWindows(image, parameters: p),
                           "crop \(crop)")
            let faces = reused.detect(in: gray, around: [crop], parameters: p)
            XCTAssertEqual(faces, FaceDetector(cascade: cascade).detect(in: gray, around: [crop], parameters: p), "region \(crop)")
        }
        var twoThreads = p
        twoThreads.threads = 2
        XCTAssertEqual(reused.rawWindows(gray, parameters: twoThreads), first, "after other sizes, and on two threads")
    }
}
