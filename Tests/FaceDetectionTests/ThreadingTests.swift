// The thread count changes only the speed: windows and boxes must be identical for 1, 2 and 3 threads.
@testable import FaceDetection
import ImageIO
import Imaging
import TestSupport
import XCTest

final class ThreadingTests: XCTestCase {
    func testResultsDoNotDependOnThreadCount() throws {
        let gray = try sharedGray("fr_two_people.jpg").resizedBilinear(width: 320, height: 188)
        let detector = try frontalFaceDetector()
        var p = DetectionParameters(scaleFactor: 1.1, minNeighbors: 0)
        let raw1 = detector.rawWindows(gray, parameters: p)
        XCTAssertFalse(raw1.isEmpty)
        for threads in [2, 3] {
            p.threads = threads
            XCTAssertEqual(detector.rawWindows(gray, parameters: p), raw1, "\(threads) threads")
        }
    }
}

// The vector pre-pass (RowPrefilter) must not change a single window: compare it with the scalar
// path on a real photo, on levels scanned with both steps (2 px below scale 2, 1 px above).
final class VectorPrefilterTests: XCTestCase {
    func testVectorAndScalarPathsFindTheSameWindows() throws {
        let gray = try sharedGray("dlib_2008_001322.jpg").resizedBilinear(width: 250, height: 188)
        let detector = try frontalFaceDetector()
        let p = DetectionParameters(scaleFactor: 1.15, minNeighbors: 0)
        let scalar = detector.rawWindows(gray, parameters: p, vectorPrefilter: false)
        let vector = detector.rawWindows(gray, parameters: p, vectorPrefilter: true)
        XCTAssertFalse(scalar.isEmpty)
        XCTAssertEqual(vector, scalar)
    }
}
