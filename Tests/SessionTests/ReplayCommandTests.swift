// `emonet replay` end to end, through the built executable with the real cascade detector and a
// random-weight model: the shared face clip has faces, the no-face clip none, every frame is processed
// and the outputs (JSON lines, CSV, summary, timeline) agree; a recorded session replays exactly.
// The ../shared clips are skipped cleanly when absent.
import Foundation
import Session
import TestSupport
import XCTest

final class ReplayCommandTests: XCTestCase {
    private func emonet() throws -> String { try BuiltCommand.emonet() }

    private func cascade() throws -> String { TestPaths.frontalFaceCascade }

    /// Runs emonet with `arguments`; returns (status, stdout, stderr).
    private func run(_ arguments: [String], timeout: Double = 240) throws -> (Int32, String, String) {
        let run = try BuiltCommand.run(BuiltCommand.process(try emonet(), arguments), timeout: timeout)
        return (run.status, run.stdout, run.stderr)
    }

    /// Runs emonet with stderr in a file and sends `signal` one second after it says it is replaying
    /// (its handlers are installed just after that line); returns (status, stderr).
    private func runInterrupted(_ arguments: [String], signal number: Int32, timeout: Double = 60) throws -> (Int32, String) {
        let log = TestPaths.temporaryDirectory("replay-stderr").appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = BuiltCommand.process(try emonet(), arguments)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: log)
        try process.run()
        BuiltCommand.waitForLog(log, toContain: "emonet: replaying", while: process, timeout: timeout)
        Thread.sleep(forTimeInterval: 1)
        kill(process.processIdentifier, number)
        XCTAssertTrue(ChildTest.wait(process, timeout: timeout), "emonet \(arguments) hung")
        return (process.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    private func jsonLines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            .map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    private func replayClip(_ name: String, extra: [String] = []) throws -> (out: String, lines: [[String: Any]], summary: [String: Any], stdout: String) {
        let clip = try TestPaths.sharedFile("media/\(name)")
        let out = TestPaths.temporaryDirectory("replay").path
        let (status, stdout, stderr) = try run(["replay", clip.path, "--out", out, "--model", try TestModel.path(),
                                                "--cascade", try cascade(), "--quiet"] + extra.map { $0.replacingOccurrences(of: "OUT", with: out) })
        XCTAssertEqual(status, 0, stderr)
        let lines = try jsonLines(out + "/results.jsonl")
        let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))) as! [String: Any]
        return (out, lines, summary, stdout)
    }

    func testTheSingleFaceClipHasFacesInMostFrames() throws {
        let (out, lines, summary, stdout) = try replayClip("pyfeat_single_face.mp4", extra: ["--annotated-video", "OUT/annotated.mp4"])
        XCTAssertGreaterThan(lines.count, 10)
        XCTAssertEqual(lines.map { $0["frame"] as! Int }, Array(0..<lines.count), "every frame processed, in order")
        let withFaces = lines.filter { !($0["faces"] as! [Any]).isEmpty }.count
        XCTAssertGreaterThan(Double(withFaces) / Double(lines.count), 0.5, "faces in \(withFaces) of \(lines.count) frames")
        XCTAssertEqual(summary["frames"] as? Int, lines.count)
        XCTAssertEqual(summary["frames_with_faces"] as? Int, withFaces)
        let tracks = summary["tracks"] as! [[String: Any]]
        XCTAssertFalse(tracks.isEmpty)
        let shares = (tracks[0]["share"] as! [String: Double]).values.reduce(0, +)
        XCTAssertEqual(shares, 1, accuracy: 0.01)
        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(String(csv[0]), ResultsWriter.csvHeader)
        XCTAssertEqual(csv.count - 1, lines.map { ($0["faces"] as! [Any]).count }.reduce(0, +), "one CSV row per face")
        let png = try Data(contentsOf: URL(fileURLWithPath: out + "/timeline.png"))
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertTrue(stdout.contains("track"), stdout)
        // The annotated video has one frame per processed frame.
        let probe = Process(), pipe = Pipe()
        probe.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        probe.arguments = ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                           "stream=nb_read_frames", "-of", "csv=p=0", out + "/annotated.mp4"]
        probe.standardOutput = pipe
        try probe.run()
        let frames = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        probe.waitUntilExit()
        XCTAssertEqual(Int(frames.trimmingCharacters(in: .whitespacesAndNewlines)), lines.count)
    }

    func testTheNoFaceClipHasNone() throws {
        let (_, lines, summary, _) = try replayClip("pyfeat_no_face.mp4")
        XCTAssertGreaterThan(lines.count, 10)
        XCTAssertTrue(lines.allSatisfy { ($0["faces"] as! [Any]).isEmpty })
        XCTAssertEqual(summary["frames_with_faces"] as? Int, 0)
        XCTAssertEqual((summary["tracks"] as! [Any]).count, 0)
    }

    func testSIGINTAndSIGTERMStopAReplayAndKeepItsResultsSoFar() throws {
        try Sanitizers.skipIfSignalsAreNotDelivered()
        let directory = TestPaths.temporaryDirectory("replay-signal")
        defer { try? FileManager.default.removeItem(at: directory) }
        // 10 s of 25 fps video replayed in real time, stopped about a second in.
        let clip = directory.appendingPathComponent("long.y4m").path
        try TestY4M.clip(frames: 250) { UInt8($0 % 200 + 20) }.write(to: URL(fileURLWithPath: clip))
        for number in [SIGINT, SIGTERM] {
            let out = directory.appendingPathComponent("out\(number)").path
            let (status, stderr) = try runInterrupted(["replay", clip, "--realtime", "--out", out, "--model", try TestModel.path(),
                                                       "--cascade", try cascade(), "--quiet"], signal: number)
            XCTAssertEqual(status, 0, "signal \(number): \(stderr)")
            let stopped = try XCTUnwrap(stderr.split(separator: "\n").first { $0.hasPrefix("emonet: stopped: ") }, stderr)
            let range = try XCTUnwrap(stopped.range(of: #"([0-9]+) processed"#, options: .regularExpression))
            let processed = try XCTUnwrap(Int(stopped[range].split(separator: " ")[0]))
            XCTAssertGreaterThan(processed, 5, stderr)
            XCTAssertLessThan(processed, 200, "the replay was not stopped early: \(stderr)")
            XCTAssertEqual(try jsonLines(out + "/results.jsonl").count, processed, "every processed frame's line is written")
            for file in ["results.csv", "summary.json", "timeline.png"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/" + file), file)
            }
        }
    }

    func testASessionEditedToAnOutOfRangeSettingIsOneLineNamingTheFieldNotATrap() throws {
        // detect_every 0 and a smoothing weight of 5 once stopped replay with SIGILL (a precondition).
        for (key, value) in [("detect_every", "0"), ("smoothing", "5")] {
            let dir = TestPaths.temporaryDirectory("edited-session").appendingPathComponent("s").path
            _ = try RecordReplayTests.record(to: dir, frames: 3)
            try DamagedSessionTests.edit(dir, key, to: value)
            let (status, _, stderr) = try run(["replay", dir, "--model", try TestModel.path(), "--cascade", try cascade(), "--quiet"])
            XCTAssertEqual(status, 1, stderr)
            let lines = stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, stderr)
            XCTAssertTrue(stderr.hasPrefix("emonet: ") && stderr.contains(dir + "/session.json") && stderr.contains("settings.\(key)"), stderr)
        }
    }

    func testAMissingInputIsOneClearLine() throws {
        let (status, _, stderr) = try run(["replay", "/nonexistent/clip.mp4", "--model", try TestModel.path(), "--cascade", try cascade()])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("/nonexistent/clip.mp4"), stderr)
        XCTAssertEqual(stderr.split(separator: "\n").count, 1, stderr)
    }
}
