// The V4L2 camera against the emulated device, through the real libv4l2 and libv4lconvert:
// negotiation, streaming with driver timestamps, frames with faces through the pipeline, an unplug in the
// middle, and the one-line errors for a missing, busy or forbidden device.
// Each test runs its body in a child process with the emulator preloaded (see EmulatedCamera.swift).
@testable import Capture
import Imaging
import Pipeline
import TestSupport
import XCTest

final class V4L2CameraTests: XCTestCase {
    private let path = EmulatedCamera.devicePath

    func testTheCameraNegotiatesAndStreamsRGBFramesWithDriverTimestamps() throws {
        guard EmulatedCamera.isChild else { return try EmulatedCamera.runInChild(self, name: #function) }
        // Ask for something the device does not offer: the driver's choice is reported.
        let camera = try V4L2Camera(path: path, request: .init(width: 640, height: 480, framesPerSecond: 15))
        defer { camera.close() }
        XCTAssertEqual(camera.width, EmulatedCamera.width)
        XCTAssertEqual(camera.height, EmulatedCamera.height)
        XCTAssertEqual(camera.framesPerSecond, 30, "the emulated sensor only runs at 30 fps")
        XCTAssertGreaterThanOrEqual(camera.bufferCount, 3)
        XCTAssertTrue(camera.description.contains("EmoNet emulated camera"))

        var frames: [Frame] = []
        for _ in 0..<8 { frames.append(try XCTUnwrap(camera.nextFrame())) }
        XCTAssertEqual(frames.map(\.index), Array(0..<8))
        for (a, b) in zip(frames, frames.dropFirst()) {
            XCTAssertEqual(b.time - a.time, 1.0 / 30, accuracy: 0.002, "driver timestamps are 1/30 s apart")
        }
        XCTAssertLessThan(MonotonicClock.now() - frames.last!.captureTime, 0.2, "timestamps are on the monotonic clock")

        // Pixels survived libv4lconvert's YUYV→RGB24 (full-range: Y 220 → 220, Y 40 → 40): the square is
        // bright, the background dark.
        let image = frames[3].image
        let square = EmulatedCamera.square(0, frame: 3)
        func rgb(_ x: Int, _ y: Int) -> [UInt8] { Array(image.pixels[(y * image.width + x) * 3..<(y * image.width + x) * 3 + 3]) }
        for value in rgb(square.x + 20, square.y + 20) { XCTAssertGreaterThan(value, 200) }
        for value in rgb(5, 5) { XCTAssertLessThan(value, 50) }
    }

    func testFramesWithFacesFlowThroughThePipelineWithStableTracks() throws {
        guard EmulatedCamera.isChild else { return try EmulatedCamera.runInChild(self, name: #function, faces: 2) }
        let camera = try V4L2Camera(path: path)
        let sink = RecordingSink()
        let pipeline = runPipeline(from: camera, finder: BrightBlobFinder(), into: sink, untilFrames: 30, orSeconds: 10,
                                   polling: 0.02)
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 5), "stop must end the capture thread promptly")
        XCTAssertNil(pipeline.waitUntilFinished())

        let results = sink.results
        XCTAssertGreaterThanOrEqual(results.count, 30)
        let tracks = Set(results.flatMap { $0.faces.map(\.track) })
        XCTAssertEqual(tracks.count, 2, "two faces, two tracks, kept across the whole run (IDs \(tracks))")
        for result in results {
            XCTAssertEqual(result.faces.count, 2, "frame \(result.frameIndex)")
            let expected = (0..<2).map { EmulatedCamera.square($0, frame: result.frameIndex) }
            for (face, box) in zip(result.faces.sorted { $0.box.y < $1.box.y }, expected) {
                XCTAssertGreaterThan(face.box.iou(box), 0.9, "frame \(result.frameIndex): \(face.box) vs \(box)")
                XCTAssertEqual(face.label, .happy)
            }
        }
        let summary = pipeline.stats.snapshot()
        XCTAssertEqual(summary.framesProcessed + summary.framesDropped, summary.framesCaptured)
        XCTAssertEqual(sink.finished.count, 1)
    }

    func testAnUnplugMidStreamEndsThePipelineWithADisconnectedError() throws {
        guard EmulatedCamera.isChild else {
            return try EmulatedCamera.runInChild(self, name: #function, environment: ["EMONET_EMU_UNPLUG_AFTER": "12"])
        }
        let camera = try V4L2Camera(path: path)
        let sink = RecordingSink()
        let processor = FrameProcessor(finder: BrightBlobFinder(), classifier: HappyClassifier())
        let pipeline = LivePipeline(source: camera, processor: processor, sinks: [sink])
        pipeline.start()
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 10), "an unplug must end the run, not hang it")
        let error = try XCTUnwrap(pipeline.waitUntilFinished() as? CaptureError)
        guard case .disconnected(let device, let frames, _) = error else { return XCTFail("got \(error)") }
        XCTAssertEqual(device, path)
        XCTAssertEqual(frames, 12)
        XCTAssertEqual(error.localizedDescription, "camera \(path) was disconnected after 12 frames (ENODEV)")
        XCTAssertEqual(pipeline.stats.snapshot().framesCaptured, 12)
        XCTAssertEqual(sink.results.last?.frameIndex, 11, "frames before the unplug are all delivered")
        XCTAssertEqual(sink.finished.count, 1)
        XCTAssertNotNil(sink.finished.first?.1)
    }

    func testASecondOpenerIsToldTheCameraIsBusy() throws {
        guard EmulatedCamera.isChild else { return try EmulatedCamera.runInChild(self, name: #function) }
        let first = try V4L2Camera(path: path)
        defer { first.close() }
        XCTAssertThrowsError(try V4L2Camera(path: path)) { error in
            XCTAssertEqual(error as? CaptureError, .busy(path))
            XCTAssertEqual(error.localizedDescription, "\(path) is busy: another program is using the camera")
        }
    }

    func testAForbiddenDeviceIsReportedAsPermissionDenied() throws {
        guard EmulatedCamera.isChild else {
            return try EmulatedCamera.runInChild(self, name: #function, environment: ["EMONET_EMU_FAULT": "denied"])
        }
        XCTAssertThrowsError(try V4L2Camera(path: path)) { error in
            XCTAssertEqual(error as? CaptureError, .permissionDenied(path))
            XCTAssertTrue(error.localizedDescription.contains("video' group"))
        }
    }

    func testTheDeviceListShowsTheCardAndItsNativeFormat() throws {
        guard EmulatedCamera.isChild else { return try EmulatedCamera.runInChild(self, name: #function) }
        let info = try VideoDevices.describe(path: path)
        XCTAssertEqual(info.card, "EmoNet emulated camera")
        XCTAssertEqual(info.driver, "emonet-emu")
        XCTAssertEqual(info.formats.map(\.fourcc), ["YUYV"], "formats libv4l2 only emulates are not listed")
        XCTAssertEqual(info.formats.first?.sizes, [.init(width: 320, height: 240, framesPerSecond: [30], isRangeMaximum: false)])
        XCTAssertTrue(info.summary.contains("320x240 @ 30 fps"))
    }

    func testAMissingDeviceIsNamedInTheError() {
        XCTAssertThrowsError(try V4L2Camera(path: "/dev/video-does-not-exist")) { error in
            XCTAssertEqual(error as? CaptureError, .noSuchDevice("/dev/video-does-not-exist"))
            XCTAssertTrue(error.localizedDescription.contains("/dev/video-does-not-exist"))
        }
    }
}
