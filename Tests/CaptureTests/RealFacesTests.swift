// Real faces through the whole capture path: a photo of two people (../shared/media, skipped when
// absent) is served as YUYV by the emulated camera, converted by libv4lconvert, found by the cascade
// detector and followed by the tracker. Both faces must be found in every processed frame, each
// keeping one track ID. (The classifier is a double here: this checks capture, detection and tracking.)
import Capture
import FaceDetection
import Foundation
import Imaging
import Pipeline
import TestSupport
import XCTest

final class RealFacesTests: XCTestCase {
    /// Where OpenCV's own detectMultiScale puts the two faces in the 640x480 letterboxed photo.
    private let faces = [Rect(x: 132, y: 67, width: 102, height: 102), Rect(x: 446, y: 88, width: 100, height: 100)]

    func testTwoRealFacesAreFoundAndTrackedThroughTheEmulatedCamera() throws {
        guard EmulatedCamera.isChild else {
            let photo = try TestPaths.sharedFile("media/fr_two_people.jpg")
            guard FileManager.default.fileExists(atPath: CascadeLocator.defaultFrontalFacePath) else {
                throw XCTSkip("needs \(CascadeLocator.defaultFrontalFacePath) (assets/cascades/ or Debian's opencv-data)")
            }
            let frames = TestPaths.temporaryDirectory("emonet-real").appendingPathComponent("two.yuyv").path
            let status = EmulatedCamera.run("/usr/bin/env", [
                "ffmpeg", "-v", "error", "-y", "-i", photo.path, "-vf",
                "scale=640:480:force_original_aspect_ratio=decrease,pad=640:480:(ow-iw)/2:(oh-ih)/2",
                "-f", "rawvideo", "-pix_fmt", "yuyv422", frames])
            guard status == 0 else { throw XCTSkip("ffmpeg could not convert \(photo.path)") }
            return try EmulatedCamera.runInChild(self, name: #function, framesFile: frames, size: (640, 480))
        }
        let finder = CascadeFaceFinder(detector: FaceDetector(cascade: try CascadeLocator.load(path: nil)))
        let camera = try V4L2Camera(path: EmulatedCamera.devicePath)
        XCTAssertEqual(camera.width, 640)
        let sink = RecordingSink()
        let pipeline = runPipeline(from: camera, finder: finder, into: sink, untilFrames: 8, orSeconds: 20, polling: 0.05)
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 10))
        XCTAssertNil(pipeline.waitUntilFinished())

        let results = sink.results
        XCTAssertGreaterThanOrEqual(results.count, 8)
        for (k, face) in faces.enumerated() {
            var ids = Set<Int>()
            for result in results {
                let match = result.faces.max { $0.box.iou(face) < $1.box.iou(face) }
                XCTAssertGreaterThan(match?.box.iou(face) ?? 0, 0.5, "face \(k) in frame \(result.frameIndex): \(result.faces.map(\.box))")
                if let match { ids.insert(match.track) }
            }
            XCTAssertEqual(ids.count, 1, "face \(k) keeps one track ID, got \(ids)")
        }
    }
}
