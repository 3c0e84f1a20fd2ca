// `emonet replay`'s outputs never destroy data, end to end: results over an earlier run's need --force,
// an output that is the input is refused even so, and a write that fails during the run (the file size
// limit, as on a full disk) keeps the earlier results whole and leaves no temporary file.
import Foundation
import TestSupport
import XCTest

final class ReplayOutputTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("replay-outputs") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func emonet() throws -> String { try BuiltCommand.emonet() }

    private func cascade() throws -> String {
        let path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("needs Debian's opencv-data (\(path))") }
        return path
    }

    /// Runs `emonet replay CLIP arguments` (model and cascade given); with `fileSizeLimitKB` under `ulimit -f`
    /// with SIGXFSZ ignored, so writes past the limit fail with EFBIG as they fail with ENOSPC on a full disk.
    private func replay(_ arguments: [String], fileSizeLimitKB: Int? = nil) throws -> (status: Int32, stderr: String) {
        let full = ["replay", try clip(), "--model", try TestModel.path(), "--cascade", try cascade(), "--quiet"] + arguments
        let process = BuiltCommand.process(try emonet(), full, in: directory, fileSizeLimitKB: fileSizeLimitKB), err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        XCTAssertTrue(ChildTest.wait(process, timeout: 120), "emonet \(full) hung")
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }

    /// 400 frames of 64x48 gray levels: about 22 KB of JSON lines.
    private func clip() throws -> String {
        let path = directory.appendingPathComponent("clip.y4m").path
        if FileManager.default.fileExists(atPath: path) { return path }
        try TestY4M.clip(frames: 400) { UInt8($0 % 200 + 20) }.write(to: URL(fileURLWithPath: path))
        return path
    }

    private func files(_ folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path).sorted()
    }

    func testResultsOverAnEarlierReplayNeedForce() throws {
        let first = try replay(["--out", "out"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let results = try Data(contentsOf: directory.appendingPathComponent("out/results.jsonl"))
        try Data("my notes\n".utf8).write(to: directory.appendingPathComponent("out/results.csv"))

        let again = try replay(["--out", "out", "--detect-every", "1"])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "emonet: out/results.jsonl already exists; pass --force to replace it\n")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("out/results.jsonl")), results)
        XCTAssertEqual(try String(contentsOfFile: directory.appendingPathComponent("out/results.csv").path, encoding: .utf8), "my notes\n")

        let forced = try replay(["--out", "out", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(try String(contentsOfFile: directory.appendingPathComponent("out/results.csv").path, encoding: .utf8)
            .hasPrefix("frame,time,track"))
        XCTAssertEqual(try files("out"), ["results.csv", "results.jsonl", "summary.json", "timeline.png"])
    }

    func testAnOutputThatIsTheInputIsRefusedEvenWithForce() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: try clip()))
        let run = try replay(["--jsonl", "clip.y4m", "--force"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.hasPrefix("emonet: clip.y4m is one of this command's inputs"), run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: try clip())), before)
    }

    func testAResultsFileThatCannotBeWrittenKeepsTheEarlierOneWhole() throws {
        let first = try replay(["--jsonl", "results.jsonl"])
        XCTAssertEqual(first.status, 0, first.stderr)
        // A shorter earlier file, so that the new one is over the limit and the old one under it.
        let earlier = Data(try String(contentsOfFile: directory.appendingPathComponent("results.jsonl").path, encoding: .utf8)
            .split(separator: "\n").prefix(5).joined(separator: "\n").utf8) + Data("\n".utf8)
        try earlier.write(to: directory.appendingPathComponent("results.jsonl"))
        let full = try replay(["--jsonl", "results.jsonl", "--force"], fileSizeLimitKB: 8)
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertTrue(full.stderr.contains("cannot write results.jsonl: file size limit reached"), full.stderr)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("results.jsonl")), earlier, "the earlier results are whole")
        XCTAssertEqual(try files("."), ["clip.y4m", "results.jsonl"], "no temporary file is left")
    }

    func testAnAnnotatedVideoThatCannotBeWrittenKeepsTheEarlierOneWhole() throws {
        guard AnnotatedVideoProbe.ffmpegAvailable else { throw XCTSkip("needs ffmpeg") }
        let earlier = Data((0..<3000).map { UInt8($0 % 256) })
        try earlier.write(to: directory.appendingPathComponent("annotated.mp4"))
        let run = try replay(["--annotated-video", "annotated.mp4", "--force"], fileSizeLimitKB: 8)
        XCTAssertEqual(run.status, 1, run.stderr)
        // ffmpeg's own words, with the target's name (not the temporary file's); ffmpeg itself exits 0 here.
        let message = try XCTUnwrap(run.stderr.split(separator: "\n").last.map(String.init))
        XCTAssertTrue(message.hasPrefix("emonet: cannot write annotated.mp4: Error "), message)
        XCTAssertTrue(message.hasSuffix("annotated.mp4: File too large"), message)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("annotated.mp4")), earlier, "the earlier video is whole")
        XCTAssertEqual(try files("."), ["annotated.mp4", "clip.y4m"], "no temporary file is left")
    }

    func testTheFirstSIGTERMEndsAReplayWithinASecondWhileTheSourceSendsNothingAndKeepsItsResults() throws {
        try Sanitizers.skipIfSignalsAreNotDelivered()
        // A y4m stream on a FIFO that sends its header and one frame, then nothing.
        let fifo = directory.appendingPathComponent("stalled.y4m").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let testDone = DispatchSemaphore(value: 0)
        defer { testDone.signal() }
        Thread {
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else { return }
            let stream = Array("YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\nFRAME\n".utf8)
                + [UInt8](repeating: 90, count: 64 * 48) + [UInt8](repeating: 128, count: 2 * 32 * 24)
            _ = stream.withUnsafeBytes { write(fd, $0.baseAddress!, $0.count) }
            _ = testDone.wait(timeout: .now() + 60)
            close(fd)
        }.start()
        let log = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = BuiltCommand.process(try emonet(), ["replay", fifo, "--out", "out", "--quiet", "--model", try TestModel.path(),
                                                          "--cascade", try cascade()], in: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        BuiltCommand.waitForLog(log, toContain: "emonet: replaying", while: process)
        Thread.sleep(forTimeInterval: 0.5)  // the signal handlers are installed; the capture thread waits for a frame
        let seconds = BuiltCommand.secondsToEnd(afterSIGTERM: process)
        let stderr = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        print(String(format: "replay ended %.2f s after SIGTERM (limit 1 s)", seconds))
        XCTAssertLessThan(seconds, 1, stderr)
        XCTAssertEqual(process.terminationStatus, 0, stderr)
        XCTAssertTrue(stderr.contains("did not stop within 0.5 s; ending without it"), stderr)
        XCTAssertEqual(try String(contentsOfFile: directory.appendingPathComponent("out/results.jsonl").path, encoding: .utf8)
            .split(separator: "\n").count, 1, "the frame read before the stall is in the results")
        XCTAssertEqual(try files("out"), ["results.csv", "results.jsonl", "summary.json", "timeline.png"])
    }

    func testReplayingASessionIntoItsOwnDirectoryIsRefused() throws {
        // A 20-frame session recorded by `emonet live` from a y4m file.
        try TestY4M.clip(frames: 20) { UInt8($0 * 5 + 20) }.write(to: directory.appendingPathComponent("short.y4m"))
        let record = Process()
        record.executableURL = URL(fileURLWithPath: try emonet())
        record.arguments = ["live", "--input", "short.y4m", "--no-window", "--record", "session", "--model", try TestModel.path(),
                            "--cascade", try cascade()]
        record.environment = ProcessInfo.processInfo.environment.filter { $0.key != "DISPLAY" && $0.key != "WAYLAND_DISPLAY" }
        record.currentDirectoryURL = directory
        record.standardOutput = FileHandle.nullDevice
        record.standardError = FileHandle.nullDevice
        try record.run()
        XCTAssertTrue(ChildTest.wait(record, timeout: 60))
        XCTAssertEqual(record.terminationStatus, 0)
        let recorded = try Data(contentsOf: directory.appendingPathComponent("session/results.jsonl"))

        let process = Process(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: try emonet())
        process.arguments = ["replay", "session", "--out", "session", "--force", "--model", try TestModel.path(), "--cascade", try cascade()]
        process.currentDirectoryURL = directory
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(ChildTest.wait(process, timeout: 60))
        XCTAssertEqual(process.terminationStatus, 1)
        XCTAssertEqual(stderr, "emonet: session/results.jsonl is one of this command's inputs; refusing to write over it (choose another output path)\n")
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("session/results.jsonl")), recorded, "the recording is untouched")
        XCTAssertEqual(try files("session"), ["frames.index", "frames.mjpeg", "results.jsonl", "session.json"])
    }
}

enum AnnotatedVideoProbe {
    static var ffmpegAvailable: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
            .contains { FileManager.default.isExecutableFile(atPath: "\($0)/ffmpeg") }
    }
}
