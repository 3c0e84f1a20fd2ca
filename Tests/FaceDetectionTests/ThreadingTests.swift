// The thread count changes only the speed: windows and boxes must be identical for 1, 2 and 3 threads.
import FaceDetection
import ImageIO
import Imaging
import TestSupport
import XCTest

final class ThreadingTests: XCTestCase {
    func testResultsDoNotDependOnThreadCount() throws {
        let gray = try ImageFile.readGray(path: try TestPaths.sharedFile("media/fr_two_people.jpg").path)
            .resizedBilinear(width: 320, height: 188)
        let detector = FaceDetector(cascade: try cascadeFile("haarcascade_frontalface_default.xml"))
        var p = DetectionParameters(scaleFactor: 1.1, minNeighbors: 0)
        let raw1 = detector.rawWindows(gray, parameters: p)
        XCTAssertFalse(raw1.isEmpty)
        for threads in [2, 3] {
            p.threads = threads
            XCTAssertEqual(detector.rawWindows(gray, parameters: p), raw1, "\(threads) threads")
        }
    }
}
