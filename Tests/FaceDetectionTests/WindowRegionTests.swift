// A scan limited to the windows centred in a region (the turned scans' frame outline): the region's
// row spans, every window kept is centred inside, the whole image as region changes nothing, and the
// vector pre-pass, which then starts a row part-way along, still agrees with the scalar path.
@testable import FaceDetection
import Imaging
import XCTest

final class WindowRegionTests: XCTestCase {
    func testSpanOfATurnedSquareAtEachHeight() throws {
        // A diamond: the unit square's outline turned 45°, centred at (10, 10), half-diagonal 5.
        let diamond = WindowRegion(corners: [(10, 5), (15, 10), (10, 15), (5, 10)])
        let middle = try XCTUnwrap(diamond.span(atY: 10))
        XCTAssertEqual(middle.lowerBound, 5, accuracy: 1e-12)
        XCTAssertEqual(middle.upperBound, 15, accuracy: 1e-12)
        let upper = try XCTUnwrap(diamond.span(atY: 7))
        XCTAssertEqual(upper.lowerBound, 8, accuracy: 1e-12)
        XCTAssertEqual(upper.upperBound, 12, accuracy: 1e-12)
        let tip = try XCTUnwrap(diamond.span(atY: 5))
        XCTAssertEqual(tip.lowerBound, 10, accuracy: 1e-12)
        XCTAssertEqual(tip.upperBound, 10, accuracy: 1e-12)
        XCTAssertNil(diamond.span(atY: 4.99))
        XCTAssertNil(diamond.span(atY: 15.01))
        XCTAssertTrue(diamond.contains(x: 10, y: 10))
        XCTAssertFalse(diamond.contains(x: 6, y: 6))
        // A rectangle's horizontal edges count along their length.
        let box = WindowRegion(corners: [(0, 0), (8, 0), (8, 4), (0, 4)])
        XCTAssertEqual(box.span(atY: 0), 0...8)
        XCTAssertEqual(box.span(atY: 4), 0...8)
        XCTAssertEqual(box.span(atY: 2), 0...8)
    }

    func testTheWholeImageAsRegionChangesNoWindow() throws {
        let gray = try sharedGray("fr_two_people.jpg")
        let detector = try frontalFaceDetector()
        let p = DetectionParameters(scaleFactor: 1.2, minNeighbors: 3, minSize: PixelSize(30))
        let w = Double(gray.width), h = Double(gray.height)
        let whole = WindowRegion(corners: [(0, 0), (w, 0), (w, h), (0, h)])
        for vector in [true, false] {
            let all = detector.rawWindows(gray, parameters: p, vectorPrefilter: vector)
            XCTAssertFalse(all.isEmpty)
            XCTAssertEqual(detector.rawWindows(gray, parameters: p, vectorPrefilter: vector, centresIn: whole), all)
        }
    }

    func testOnlyWindowsCentredInTheRegionAreScannedAndBothPathsAgree() throws {
        let gray = try sharedGray("fr_two_people.jpg")
        let detector = try frontalFaceDetector()
        let p = DetectionParameters(scaleFactor: 1.2, minNeighbors: 3, minSize: PixelSize(30))
        let faces = detector.detect(gray, parameters: p).sorted { $0.box.x < $1.box.x }
        XCTAssertEqual(faces.count, 2)
        // A turned square around the left face only, as a turned scan's outline would be.
        let f = faces[0].box
        let cx = Double(f.x) + Double(f.width) / 2, cy = Double(f.y) + Double(f.height) / 2, r = Double(f.width)
        let region = WindowRegion(corners: [(cx, cy - r), (cx + r, cy), (cx, cy + r), (cx - r, cy)])
        let vector = detector.rawWindows(gray, parameters: p, vectorPrefilter: true, centresIn: region)
        let scalar = detector.rawWindows(gray, parameters: p, vectorPrefilter: false, centresIn: region)
        XCTAssertEqual(vector, scalar, "the pre-pass started part-way along a row must give the scalar path's windows")
        XCTAssertFalse(vector.isEmpty)
        XCTAssertLessThan(vector.count, detector.rawWindows(gray, parameters: p).count)
        for window in vector {
            // Window corners are rounded to pixels (PyramidLevel.box): allow a pixel.
            let x = Double(window.x) + Double(window.width) / 2, y = Double(window.y) + Double(window.height) / 2
            let near = [(-1.0, -1.0), (-1, 1), (1, -1), (1, 1), (0, 0)].contains { region.contains(x: x + $0.0, y: y + $0.1) }
            XCTAssertTrue(near, "window \(window) is centred outside the region")
        }
        let found = detector.detect(gray, parameters: p, centresIn: region)
        XCTAssertEqual(found.count, 1)
        XCTAssertGreaterThan(found.first.map { $0.box.iou(f) } ?? 0, 0.8, "the left face is found as the whole-image scan finds it")
    }
}
