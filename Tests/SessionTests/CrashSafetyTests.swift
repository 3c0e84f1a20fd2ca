// Crash safety, in child processes: a recording process killed with SIGKILL leaves a session that
// replays up to its last complete frame; a file-size limit (the disk filling up) stops the recording
// with a clear message while the pipeline keeps processing, and keeps every frame written before.
import Foundation
import Pipeline
@testable import Session
import TestSupport
import XCTest

final class CrashSafetyTests: XCTestCase {
    // MARK: - Child sides (run only inside a child process started by the tests below)

    /// Records from an endless paced camera into $EMONET_SESSION_DIR until killed.
    func testChildRecordsUntilKilled() throws {
        guard ChildTest.isChild, let dir = ProcessInfo.processInfo.environment["EMONET_SESSION_DIR"] else { return }
        let source = JPEGRoundTripSource(SyntheticCamera(count: nil, fps: 100), quality: 85)
        let recorder = try SessionRecorder(directory: dir, manifest: RecordReplayTests.manifest())
        let pipeline = LivePipeline(source: source, processor: makeProcessor(), sinks: [recorder])
        pipeline.start()
        pipeline.waitUntilFinished()  // never: the parent kills this process
    }

    /// Records 150 frames under a 200 KB file-size limit; prints what happened for the parent to check.
    func testChildRecordsUnderAFileSizeLimit() throws {
        guard ChildTest.isChild, let dir = ProcessInfo.processInfo.environment["EMONET_SESSION_DIR"] else { return }
        signal(SIGXFSZ, SIG_IGN)  // the limit then fails write() with EFBIG instead of killing the process
        var limit = rlimit(rlim_cur: 200_000, rlim_max: 200_000)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_FSIZE.rawValue), &limit), 0)
        let source = JPEGRoundTripSource(SyntheticCamera(count: 150, fps: 300), quality: 95)
        let recorder = try SessionRecorder(directory: dir, manifest: RecordReplayTests.manifest(jpegQuality: 95))
        var stopMessage = "none"
        recorder.onStop = { error in stopMessage = error?.localizedDescription ?? "nil" }
        let live = CollectingSink()
        let pipeline = LivePipeline(source: source, processor: makeProcessor(), sinks: [recorder, live])
        pipeline.start()
        XCTAssertNil(pipeline.waitUntilFinished())
        recorder.waitUntilIdle()
        print("CHILD processed=\(live.results.count) written=\(recorder.framesWritten)")
        print("CHILD stop=\(stopMessage)")
    }

    // MARK: - Parent sides

    func testAKilledRecordingReplaysUpToItsLastCompleteFrame() throws {
        try XCTSkipIf(ChildTest.isChild)
        let dir = TestPaths.temporaryDirectory("killed").appendingPathComponent("s").path
        let log = URL(fileURLWithPath: dir + ".log")
        let child = try ChildTest.start(self, "testChildRecordsUntilKilled", environment: ["EMONET_SESSION_DIR": dir], log: log)
        // Kill it mid-stream, once it has written a good number of frames.
        let deadline = Date().addingTimeInterval(30)
        var indexSize = 0
        while Date() < deadline {
            indexSize = (try? FileManager.default.attributesOfItem(atPath: dir + "/" + SessionFiles.index)[.size] as? Int) ?? 0
            if indexSize >= 16 + 40 * 25 { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        XCTAssertGreaterThanOrEqual(indexSize, 16 + 40 * 25, "the child did not record: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")

        let manifest = try SessionManifest.read(directory: dir)
        XCTAssertEqual(manifest.state, .recording, "an interrupted session still says recording")
        let (replayed, error) = try RecordReplayTests.replay(dir)
        XCTAssertNil(error, "an interrupted recording is not damage: \(String(describing: error))")
        XCTAssertGreaterThanOrEqual(replayed.count, 25)
        // Every result line the child finished writing is reproduced by the replay.
        let recorded = try String(contentsOfFile: dir + "/" + SessionFiles.results, encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        let complete = recorded.filter { $0.hasSuffix("]}") }
        XCTAssertGreaterThanOrEqual(complete.count, replayed.count - 1)
        for (line, result) in zip(complete, replayed) {
            XCTAssertEqual(line.replacingOccurrences(of: #""latency_ms":[0-9.eE+-]+,"#, with: "", options: .regularExpression),
                           result.lineWithoutLatency)
        }
    }

    func testAFullDiskStopsTheRecordingButNotThePipeline() throws {
        try XCTSkipIf(ChildTest.isChild)
        let dir = TestPaths.temporaryDirectory("full").appendingPathComponent("s").path
        let log = URL(fileURLWithPath: dir + ".log")
        let child = try ChildTest.start(self, "testChildRecordsUnderAFileSizeLimit", environment: ["EMONET_SESSION_DIR": dir], log: log)
        XCTAssertTrue(ChildTest.wait(child, timeout: 60), "the child hung")
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        XCTAssertEqual(child.terminationStatus, 0, output)
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("CHILD processed=") }) else {
            return XCTFail("no report from the child:\n\(output)")
        }
        let numbers = line.split(separator: " ").compactMap { $0.split(separator: "=").last.flatMap { Int($0) } }
        XCTAssertEqual(numbers.count, 2)
        let (processed, written) = (numbers[0], numbers[1])
        XCTAssertGreaterThan(processed, written, "the pipeline went on after the recording stopped")
        XCTAssertGreaterThan(written, 3)
        XCTAssertTrue(output.contains("CHILD stop=recording to \(dir) stopped after \(written) frames: file size limit reached"), output)

        let manifest = try SessionManifest.read(directory: dir)
        XCTAssertEqual(manifest.state, .failed)
        XCTAssertEqual(manifest.frames, written)
        XCTAssertTrue(manifest.message?.contains("file size limit") ?? false)
        let (replayed, error) = try RecordReplayTests.replay(dir)
        XCTAssertNil(error)
        XCTAssertEqual(replayed.count, written, "every frame written before the failure is readable")
        let frames = try FileManager.default.attributesOfItem(atPath: dir + "/" + SessionFiles.frames)[.size] as? Int ?? 0
        XCTAssertLessThanOrEqual(frames, 200_000)
    }
}
