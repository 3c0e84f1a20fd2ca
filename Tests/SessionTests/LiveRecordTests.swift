// `emonet live --record` against the emulated V4L2 camera (Tests/V4L2Emulator, preloaded), then
// `emonet replay` of that session: the replay must reproduce the live per-frame results exactly.
// The camera streams the shared face clip when ../shared is present, else a synthetic pattern.
import Foundation
import TestSupport
import XCTest

final class LiveRecordTests: XCTestCase {
    private let device = "/dev/video-emu"

    private func binary(_ name: String) throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bin, bin.deletingLastPathComponent()] where FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path) {
            return dir.appendingPathComponent(name).path
        }
        throw XCTSkip("\(name) is not built next to the tests")
    }

    /// 320x240 YUYV frames: the shared face clip (16:9) through ffmpeg, in its shape with bars, else a moving gradient.
    private func frames(in dir: URL) throws -> String {
        let path = dir.appendingPathComponent("frames.yuyv").path
        if let clip = try? TestPaths.sharedFile("media/pyfeat_single_face.mp4") {
            let ffmpeg = Process()
            ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            let fit = "scale=320:240:force_original_aspect_ratio=decrease,pad=320:240:(ow-iw)/2:(oh-ih)/2"
            ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-i", clip.path, "-vf", fit, "-frames:v", "40",
                                "-pix_fmt", "yuyv422", "-f", "rawvideo", path]
            try ffmpeg.run()
            ffmpeg.waitUntilExit()
            if ffmpeg.terminationStatus == 0 { return path }
        }
        var bytes = [UInt8](repeating: 128, count: 320 * 240 * 2 * 20)
        for f in 0..<20 { for i in 0..<(320 * 240) { bytes[f * 320 * 240 * 2 + 2 * i] = UInt8((i % 320 + f * 5) % 200 + 20) } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func start(_ arguments: [String], environment: [String: String] = [:], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binary("emonet"))
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DISPLAY")
        env.removeValue(forKey: "WAYLAND_DISPLAY")
        for (key, value) in environment { env[key] = value }
        process.environment = env
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: log)
        process.standardError = process.standardOutput
        try process.run()
        return process
    }

    func testALiveRecordingFromTheEmulatedCameraReplaysExactly() throws {
        try Sanitizers.skipIfSignalsAreNotDelivered()
        let cascade = TestPaths.frontalFaceCascade
        let work = TestPaths.temporaryDirectory("live-record")
        let session = work.appendingPathComponent("session").path
        let model = try TestModel.path()
        let liveLog = work.appendingPathComponent("live.log")
        let live = try start(["live", "--device", device, "--no-window", "--quiet", "--record", session, "--model", model,
                              "--cascade", cascade],
                             environment: ["LD_PRELOAD": try binary("libV4L2Emulator.so"), "EMONET_EMU_DEVICE": device,
                                           "EMONET_EMU_FRAMES": try frames(in: work), "EMONET_EMU_SIZE": "320x240",
                                           "EMONET_EMU_FPS": "30"], log: liveLog)
        let deadline = Date().addingTimeInterval(60)
        while live.isRunning && Date() < deadline {
            let size = (try? FileManager.default.attributesOfItem(atPath: session + "/frames.index")[.size] as? Int) ?? 0
            if size >= 16 + 40 * 30 { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill(live.processIdentifier, SIGINT)
        XCTAssertTrue(ChildTest.wait(live, timeout: 30), "emonet live did not stop on SIGINT")
        let liveOutput = (try? String(contentsOf: liveLog, encoding: .utf8)) ?? ""
        XCTAssertEqual(live.terminationStatus, 0, liveOutput)
        XCTAssertTrue(liveOutput.contains("session saved to \(session)"), liveOutput)

        let replayLog = work.appendingPathComponent("replay.log")
        let replay = try start(["replay", session, "--model", model, "--cascade", cascade, "--quiet"], log: replayLog)
        XCTAssertTrue(ChildTest.wait(replay, timeout: 120), "emonet replay hung")
        let replayOutput = (try? String(contentsOf: replayLog, encoding: .utf8)) ?? ""
        XCTAssertEqual(replay.terminationStatus, 0, replayOutput)
        XCTAssertTrue(replayOutput.contains("replay reproduces the recorded results exactly"), replayOutput)
        XCTAssertFalse(replayOutput.contains("changed since recording"), replayOutput)

        // The session recorded live's face views (alternate); replaying with others says so.
        let singleLog = work.appendingPathComponent("replay-single.log")
        let single = try start(["replay", session, "--model", model, "--cascade", cascade, "--quiet", "--views", "single"], log: singleLog)
        XCTAssertTrue(ChildTest.wait(single, timeout: 120), "emonet replay hung")
        let singleOutput = (try? String(contentsOf: singleLog, encoding: .utf8)) ?? ""
        XCTAssertEqual(single.terminationStatus, 0, singleOutput)
        XCTAssertTrue(singleOutput.contains("changed since recording: face views alternate → single"), singleOutput)
    }
}
