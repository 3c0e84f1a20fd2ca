// Recording then replaying: the replay of a session reproduces the live run's per-frame results
// exactly (same frames, indices, times and pixels), the files follow the documented format, and the
// no-drop pipeline mode processes every frame of a fast source.
import Foundation
import ImageIO
import Imaging
import Pipeline
@testable import Session
import TestSupport
import XCTest

final class RecordReplayTests: XCTestCase {
    static func manifest(jpegQuality: Int = 85) -> SessionManifest {
        SessionManifest(softwareVersion: "test", source: .init(description: "synthetic", width: 160, height: 120, framesPerSecond: 30),
                        model: FileFingerprint(path: "model", sha256: "aa"), cascade: FileFingerprint(path: "cascade", sha256: "bb"),
                        settings: SessionSettings(detectEvery: 3, smoothing: 0.5, matchThreshold: 0.3, maxMissedFrames: 5, detector: "bright"),
                        jpegQuality: jpegQuality)
    }

    func testARoundTripFrameCarriesTheJPEGItsPixelsWereDecodedFrom() throws {
        let source = JPEGRoundTripSource(SyntheticCamera(count: 3), quality: 85)
        let frame = try XCTUnwrap(source.nextFrame())
        let bytes = try XCTUnwrap(frame.jpeg, "a frame through the round trip carries its bytes")
        XCTAssertEqual(Array(bytes.prefix(2)), [0xFF, 0xD8], "not a JPEG")
        XCTAssertEqual(try JPEG.decode(bytes).pixels, frame.image.pixels)

        source.isActive = false
        XCTAssertNil(try XCTUnwrap(source.nextFrame()).jpeg, "a frame that was not encoded carries no bytes")
    }

    func testTheRecorderStoresTheBytesAFrameCarriesAsTheyAre() throws {
        let dir = TestPaths.temporaryDirectory("session").appendingPathComponent("carried").path
        let image = try XCTUnwrap(SyntheticCamera(count: 1).nextFrame()).image
        // Quality 40 while the manifest says 85: re-encoding would give other bytes.
        let bytes = try JPEG.encode(image, quality: 40)
        let frame = Frame(index: 0, time: 0, image: try JPEG.decode(bytes), jpeg: bytes)
        let recorder = try SessionRecorder(directory: dir, manifest: Self.manifest())
        recorder.pipeline(didProduce: FrameResult(frameIndex: 0, time: 0, faces: []), for: frame)
        recorder.stop()
        XCTAssertNil(recorder.failure)
        let stored = try XCTUnwrap(try SessionSource(directory: dir).nextFrame())
        XCTAssertTrue(stored.jpeg == bytes, "the recorder stored \(stored.jpeg?.count ?? 0) bytes, not the \(bytes.count) the frame carried")
    }

    /// Records `frames` frames the way `emonet live --record` does (camera policy, JPEG round trip).
    static func record(to directory: String, frames: Int, roundTrip: Bool = true) throws -> [FrameResult] {
        let camera = SyntheticCamera(count: frames, fps: 120)
        let source = JPEGRoundTripSource(camera, quality: 85, active: roundTrip)
        let recorder = try SessionRecorder(directory: directory, manifest: manifest())
        let live = CollectingSink()
        let pipeline = LivePipeline(source: source, processor: makeProcessor(), sinks: [live, recorder])
        pipeline.start()
        XCTAssertNil(pipeline.waitUntilFinished())
        recorder.waitUntilIdle()
        XCTAssertNil(recorder.failure)
        return live.results
    }

    static func replay(_ directory: String) throws -> (results: [FrameResult], error: Error?) {
        let sink = CollectingSink()
        let pipeline = LivePipeline(source: try SessionSource(directory: directory), processor: makeProcessor(), sinks: [sink],
                                    dropPolicy: .waitForProcessing)
        pipeline.start()
        let error = pipeline.waitUntilFinished()
        return (sink.results, error)
    }

    func testReplayOfARecordingReproducesTheLiveResultsExactly() throws {
        let dir = TestPaths.temporaryDirectory("session").appendingPathComponent("rec").path
        let live = try Self.record(to: dir, frames: 60)
        XCTAssertGreaterThan(live.count, 10)
        XCTAssertTrue(live.contains { !$0.faces.isEmpty })

        let manifest = try SessionManifest.read(directory: dir)
        XCTAssertEqual(manifest.state, .completed)
        XCTAssertEqual(manifest.frames, live.count)
        XCTAssertEqual(manifest.version, 1)
        XCTAssertNotNil(manifest.endedAt)

        let (replayed, error) = try Self.replay(dir)
        XCTAssertNil(error)
        XCTAssertEqual(replayed.map(\.frameIndex), live.map(\.frameIndex), "the replay sees exactly the recorded frames")
        XCTAssertEqual(replayed.map(\.time), live.map(\.time))
        XCTAssertEqual(replayed.map(\.lineWithoutLatency), live.map(\.lineWithoutLatency))

        // The recorded results.jsonl holds the live lines; a replay written to a file compares equal.
        let recordedLines = try String(contentsOfFile: dir + "/" + SessionFiles.results, encoding: .utf8)
            .split(separator: "\n").map(String.init)
        XCTAssertEqual(recordedLines, live.map(\.jsonLine))
        let replayFile = dir + "-replay.jsonl"
        try replayed.map { $0.jsonLine + "\n" }.joined().write(toFile: replayFile, atomically: true, encoding: .utf8)
        let comparison = try ResultsComparison.compare(recorded: dir + "/" + SessionFiles.results, replayed: replayFile)
        XCTAssertTrue(comparison.isExact, comparison.line)
    }

    func testWithoutTheRoundTripJPEGLossesWouldChangeTheResults() throws {
        // The control for the test above: it would notice if replay saw other pixels than the live run.
        let dir = TestPaths.temporaryDirectory("session").appendingPathComponent("raw").path
        let live = try Self.record(to: dir, frames: 30, roundTrip: false)
        let (replayed, _) = try Self.replay(dir)
        XCTAssertEqual(replayed.count, live.count)
        XCTAssertNotEqual(replayed.map(\.lineWithoutLatency), live.map(\.lineWithoutLatency))
        let replayFile = dir + "-replay.jsonl"
        try replayed.map { $0.jsonLine + "\n" }.joined().write(toFile: replayFile, atomically: true, encoding: .utf8)
        let comparison = try ResultsComparison.compare(recorded: dir + "/" + SessionFiles.results, replayed: replayFile)
        XCTAssertFalse(comparison.isExact)
        XCTAssertTrue(comparison.line.contains("frame"), comparison.line)
    }

    func testStoredFramesAreJPEGsLocatedByTheIndex() throws {
        let dir = TestPaths.temporaryDirectory("session").appendingPathComponent("fmt").path
        let live = try Self.record(to: dir, frames: 12)
        let index = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + SessionFiles.index))
        XCTAssertEqual(Array(index.prefix(8)), Array("EMONETFI".utf8))
        XCTAssertEqual(index.count, 16 + 40 * live.count)
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/" + SessionFiles.frames)))
        XCTAssertEqual(Array(data.prefix(3)), [0xFF, 0xD8, 0xFF], "frames.mjpeg starts with a JPEG")
        let reader = try FrameStoreReader(directory: dir)
        var offset: UInt64 = 0
        var indices: [Int] = []
        while let (record, jpeg) = try reader.next() {
            XCTAssertEqual(record.offset, offset)
            XCTAssertEqual(record.width, 160)
            XCTAssertEqual(Array(jpeg.prefix(2)), [0xFF, 0xD8])
            offset += UInt64(record.length)
            indices.append(record.frameIndex)
        }
        XCTAssertEqual(offset, UInt64(data.count))
        XCTAssertEqual(indices, live.map(\.frameIndex))
    }

    func testNoDropModeProcessesEveryFrameOfAFastSource() {
        // Processing (2 ms a frame) is far slower than the unpaced source: the camera policy drops,
        // the replay policy must not.
        final class SlowFinder: FaceFinding {
            func findFaces(in image: GrayImage) -> [Rect] { Thread.sleep(forTimeInterval: 0.002); return [] }
            func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] { [] }
        }
        for policy in [FrameDropPolicy.waitForProcessing, .dropStale] {
            let sink = CollectingSink()
            let processor = FrameProcessor(finder: SlowFinder(), classifier: PixelHashClassifier(),
                                           configuration: PipelineConfiguration(detectEvery: 1))
            let pipeline = LivePipeline(source: SyntheticCamera(count: 80), processor: processor, sinks: [sink], dropPolicy: policy)
            pipeline.start()
            XCTAssertNil(pipeline.waitUntilFinished())
            let summary = pipeline.stats.snapshot()
            if policy == .waitForProcessing {
                XCTAssertEqual(sink.results.map(\.frameIndex), Array(0..<80))
                XCTAssertEqual(summary.framesDropped, 0)
            } else {
                XCTAssertGreaterThan(summary.framesDropped, 0, "the camera policy should have dropped frames here")
            }
        }
    }

    func testRecorderRefusesANonEmptyOrUnwritableDirectory() throws {
        let dir = TestPaths.temporaryDirectory("session")
        try Data("x".utf8).write(to: dir.appendingPathComponent("other.txt"))
        XCTAssertThrowsError(try SessionRecorder(directory: dir.path, manifest: Self.manifest())) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("not empty"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains(dir.path))
        }
        let underAFile = dir.appendingPathComponent("other.txt/session").path
        XCTAssertThrowsError(try SessionRecorder(directory: underAFile, manifest: Self.manifest())) { error in
            guard case SessionError.unwritable(let path, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(path, underAFile)
        }
    }
}
