// `emonet live` and `emonet devices` end to end, as a user runs them: the built executable against the
// emulated camera (preloaded), headless. Checks the JSON lines, the one-line errors, a clean Ctrl-C with
// a summary, and an unplug in the middle. Runs that need the emotion model skip while it is absent.
import Foundation
import TestSupport
import XCTest

final class LiveCommandTests: XCTestCase {
    private typealias Run = CommandRun

    private var executable: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emonet").path
    }

    private var modelPath: String { TestPaths.repositoryRoot.appendingPathComponent("models/emonet.safetensors").path }

    /// Runs emonet with the emulator preloaded; `interruptAfterLines` sends SIGINT once stdout has that many lines.
    private func emonet(_ arguments: [String], environment: [String: String] = [:], frames: String? = nil,
                        interruptAfterLines: Int? = nil, interruptSignal: Int32 = SIGINT, timeout: Double = 60,
                        fileSizeLimitKB: Int? = nil) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("\(executable) is not built") }
        let directory = TestPaths.temporaryDirectory("emonet-live")
        defer { try? FileManager.default.removeItem(at: directory) }
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = try EmulatedCamera.library()
        env["EMONET_EMU_DEVICE"] = EmulatedCamera.devicePath
        env["EMONET_EMU_SIZE"] = frames == nil ? "\(EmulatedCamera.width)x\(EmulatedCamera.height)" : "640x480"
        env["EMONET_EMU_FRAMES"] = try frames ?? EmulatedCamera.writeFrames(faces: 1)
        env.removeValue(forKey: "DISPLAY")
        env.removeValue(forKey: "WAYLAND_DISPLAY")
        for (key, value) in environment { env[key] = value }
        let out = directory.appendingPathComponent("out"), err = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        // With a file-size limit, as a full disk: writes past it fail with EFBIG instead of ENOSPC.
        let process = BuiltCommand.process(executable, arguments, in: TestPaths.repositoryRoot, environment: env,
                                           fileSizeLimitKB: fileSizeLimitKB)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        var interrupted = false
        while process.isRunning && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            if let lines = interruptAfterLines, !interrupted,
               ((try? String(contentsOf: out, encoding: .utf8)) ?? "").split(separator: "\n").count >= lines {
                kill(process.processIdentifier, interruptSignal)
                interrupted = true
            }
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTFail("emonet \(arguments.joined(separator: " ")) hung")
        }
        return Run(status: process.terminationStatus, stdoutFile: out, stderrFile: err)
    }

    private func requireModel() throws {
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw XCTSkip("needs the emotion model \(modelPath) (make train)")
        }
    }

    func testDevicesDescribesTheEmulatedCamera() throws {
        let run = try emonet(["devices", EmulatedCamera.devicePath])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("\(EmulatedCamera.devicePath): EmoNet emulated camera (driver emonet-emu"), run.stdout)
        XCTAssertTrue(run.stdout.contains("320x240 @ 30 fps"), run.stdout)
    }

    func testAMissingModelIsOneClearLine() throws {
        let run = try emonet(["live", "--device", EmulatedCamera.devicePath, "--no-window", "--model", "/nonexistent/m.safetensors"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.hasPrefix("emonet: model file /nonexistent/m.safetensors not found: pass --model PATH or set $EMONET_MODEL"),
                      run.stderr)
        XCTAssertTrue(run.stdout.isEmpty)
    }

    func testHeadlessLivePrintsJSONLinesAndStopsCleanlyOnCtrlC() throws {
        try requireModel()
        try Sanitizers.skipIfSignalsAreNotDelivered()
        let run = try emonet(["live", "--device", EmulatedCamera.devicePath, "--no-window", "--detect-every", "2"],
                             interruptAfterLines: 15)
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n")
        XCTAssertGreaterThanOrEqual(lines.count, 15)
        var previous = -1
        for line in lines {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], String(line))
            let frame = try XCTUnwrap(object["frame"] as? Int)
            XCTAssertGreaterThan(frame, previous, "frames in order")
            previous = frame
            XCTAssertNotNil(object["time"] as? Double)
            XCTAssertNotNil(object["faces"] as? [[String: Any]])
        }
        XCTAssertTrue(run.stderr.contains("emonet: stopped: "), run.stderr)
        XCTAssertTrue(run.stderr.contains("processed"), run.stderr)
    }

    /// `live --record` on the emulated camera into a new folder (removed after the test), stopped by
    /// `interruptSignal` after 15 printed results: the session's path, the run, and its session.json.
    private func recordLive(interruptSignal: Int32 = SIGINT, fileSizeLimitKB: Int? = nil) throws
        -> (session: String, run: Run, manifest: [String: Any]) {
        try requireModel()
        try Sanitizers.skipIfSignalsAreNotDelivered()
        let folder = TestPaths.temporaryDirectory("emonet-record")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        let session = folder.appendingPathComponent("session").path
        let run = try emonet(["live", "--device", EmulatedCamera.devicePath, "--no-window", "--record", session],
                             interruptAfterLines: 15, interruptSignal: interruptSignal, fileSizeLimitKB: fileSizeLimitKB)
        let manifest = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: session + "/session.json"))) as? [String: Any], run.stderr)
        return (session, run, manifest)
    }

    func testSIGTERMStopsLiveCleanlyAndCompletesTheRecording() throws {
        let (session, run, manifest) = try recordLive(interruptSignal: SIGTERM)
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("emonet: stopped: "), run.stderr)
        XCTAssertEqual(manifest["state"] as? String, "completed")
        let frames = try XCTUnwrap(manifest["frames"] as? Int)
        XCTAssertGreaterThanOrEqual(frames, 15)
        let recorded = try String(contentsOfFile: session + "/results.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(recorded.count, frames, "one result line per recorded frame")
        XCTAssertEqual(recorded.count, run.stdout.split(separator: "\n").count, "the recording has every frame printed")
    }

    func testAnUnplugEndsLiveWithASummaryAndOneErrorLine() throws {
        try requireModel()
        let run = try emonet(["live", "--device", EmulatedCamera.devicePath, "--no-window"],
                             environment: ["EMONET_EMU_UNPLUG_AFTER": "20"])
        XCTAssertEqual(run.status, 1)
        let messages = run.stderr.split(separator: "\n").map(String.init)
        XCTAssertEqual(messages.last, "emonet: camera \(EmulatedCamera.devicePath) was disconnected after 20 frames (ENODEV)", run.stderr)
        XCTAssertTrue(messages.contains { $0.hasPrefix("emonet: finished: 20 frames captured") }, run.stderr)
        XCTAssertLessThanOrEqual(run.stdout.split(separator: "\n").count, 20)
    }

    func testARecordingThatStoppedEarlyEndsLiveWithAnErrorAfterKeepingItsFrames() throws {
        // 40 KB: session.json and a few frames fit, then every write fails as on a full disk.
        let (session, run, manifest) = try recordLive(fileSizeLimitKB: 40)
        XCTAssertEqual(run.status, 1, "a recording that stopped early is a failed run: \(run.stderr)")
        let messages = run.stderr.split(separator: "\n").map(String.init)
        XCTAssertTrue(messages.contains { $0.hasPrefix("emonet: stopped: ") }, run.stderr)
        let last = try XCTUnwrap(messages.last)
        XCTAssertTrue(last.hasPrefix("emonet: recording to \(session) stopped after "), run.stderr)
        XCTAssertTrue(last.hasSuffix("file size limit reached; the frames written so far are kept"), run.stderr)
        XCTAssertEqual(manifest["state"] as? String, "failed")
        let frames = try XCTUnwrap(manifest["frames"] as? Int)
        XCTAssertGreaterThan(frames, 0, "what was recorded is kept")
        XCTAssertEqual(try String(contentsOfFile: session + "/results.jsonl", encoding: .utf8).split(separator: "\n").count, frames)
    }

    func testTheFirstSIGTERMEndsLiveWithinASecondWhileTheSourceSendsNothing() throws {
        try requireModel()
        try Sanitizers.skipIfSignalsAreNotDelivered()
        guard FileManager.default.isExecutableFile(atPath: executable) else { throw XCTSkip("\(executable) is not built") }
        let directory = TestPaths.temporaryDirectory("emonet-stall")
        defer { try? FileManager.default.removeItem(at: directory) }
        // A y4m stream on a FIFO that sends its header and one frame, then nothing: the capture thread waits
        // in read() for the next frame.
        let fifo = directory.appendingPathComponent("stalled.y4m").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let testDone = DispatchSemaphore(value: 0)
        defer { testDone.signal() }
        let writer = Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            let stream = Array("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8)
                + [UInt8](repeating: 90, count: 64 * 48) + [UInt8](repeating: 128, count: 2 * 32 * 24)
            _ = stream.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            _ = testDone.wait(timeout: .now() + 60)  // holds the stream open, sending no frame
            close(fd)
        }
        writer.start()
        let err = directory.appendingPathComponent("err")
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = BuiltCommand.process(executable, ["live", "--input", fifo, "--no-window"], in: TestPaths.repositoryRoot,
                                           environment: BuiltCommand.headlessEnvironment)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        BuiltCommand.waitForLog(err, toContain: "headless:", while: process)
        Thread.sleep(forTimeInterval: 0.5)  // the pipeline is running, its capture thread waiting for a frame
        XCTAssertTrue(process.isRunning, (try? String(contentsOf: err, encoding: .utf8)) ?? "")
        let seconds = BuiltCommand.secondsToEnd(afterSIGTERM: process)
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        print(String(format: "live ended %.2f s after SIGTERM (limit 1 s)", seconds))
        XCTAssertLessThan(seconds, 1, "live took \(seconds) s to end after SIGTERM: \(stderr)")
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertTrue(stderr.contains("emonet: stopped: "), stderr)
    }
}
