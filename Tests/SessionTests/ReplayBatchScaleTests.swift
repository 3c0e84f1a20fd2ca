// A batch at scale, end to end through the built executable: a batch killed with SIGKILL and run again
// finishes without replaying the inputs it had completed and leaves nothing half-written; shards merged
// equal one unsharded run apart from timings; --jobs 2 gives each input the results --jobs 1 gives it, and
// inputs with the same file name keep their own folders; a rerun knows its own folders and refuses others'.
// Small generated .y4m clips (and the ../shared single-face clip, when present, for results with faces).
import Foundation
import TestSupport
import XCTest

final class ReplayBatchScaleTests: XCTestCase {
    private var directory: URL!

    override func setUp() { directory = TestPaths.temporaryDirectory("replay-batch-scale") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// A 64x48 clip of `frames` frames at `relativePath` (gray levels differ per clip through `base`).
    @discardableResult
    private func clip(_ relativePath: String, frames: Int, base: Int = 40) throws -> String {
        let url = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try TestY4M.clip(frames: frames) { UInt8((base + 7 * $0) % 250) }.write(to: url)
        return url.path
    }

    private func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func arguments(_ given: [String]) throws -> [String] {
        ["replay"] + given + ["--model", try TestModel.path(), "--cascade", TestPaths.frontalFaceCascade, "--quiet"]
    }

    private func replay(_ given: [String], environment: [String: String] = [:]) throws -> CommandRun {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), try arguments(given),
                                                  environment: BuiltCommand.headlessEnvironment.merging(environment) { $1 }), timeout: 240)
    }

    private func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    }

    private func entries(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    /// A results.jsonl without its timings (each frame's latency).
    private func resultsWithoutTimings(_ path: String) throws -> String {
        try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: #""latency_ms":[0-9.e+-]+,"#, with: "", options: .regularExpression)
    }

    private func inode(_ path: String) -> UInt64 {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0, path)
        return UInt64(info.st_ino)
    }

    func testABatchKilledWithSIGKILLFinishesOnTheNextRunWithoutRedoingFinishedInputs() throws {
        // Paced to 25 fps (--realtime), six 10-frame clips take 0.4 s each: the kill lands mid-batch.
        let clips = try (0..<6).map { try clip("in/c\($0).y4m", frames: 10, base: 30 + 20 * $0) }
        let out = path("out")
        let log = directory.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = BuiltCommand.process(try BuiltCommand.emonet(), try arguments([path("in"), "--out", out, "--jobs", "1", "--realtime"]),
                                           environment: BuiltCommand.headlessEnvironment)
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        BuiltCommand.waitForLog(log, toContain: "[2/6] ok", while: process)
        Thread.sleep(forTimeInterval: 0.15)  // into the third input
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal, "killed before the batch ended")

        // What the kill left: complete folders (each with its record) and at most a temporary one, never a
        // half-written folder under an input's name, and no report yet.
        let finished = entries(out).filter { !$0.hasPrefix(".") }
        XCTAssertGreaterThanOrEqual(finished.count, 2, entries(out).description)
        XCTAssertLessThan(finished.count, 6, entries(out).description)
        var inodes: [String: UInt64] = [:]
        for folder in finished {
            XCTAssertEqual(entries("\(out)/\(folder)"),
                           ["batch-entry.json", "results.csv", "results.jsonl", "summary.json", "timeline.png"], folder)
            inodes[folder] = inode("\(out)/\(folder)/results.jsonl")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "\(out)/batch.csv"))

        let again = try replay([path("in"), "--out", out, "--jobs", "1"])
        XCTAssertEqual(again.status, 0, again.stderr)
        for folder in finished {
            XCTAssertTrue(again.stderr.contains("ok \(path("in"))/\(folder) ") && again.stderr.contains("done earlier"), again.stderr)
            XCTAssertEqual(inode("\(out)/\(folder)/results.jsonl"), inodes[folder], "\(folder) was not replayed again")
        }
        XCTAssertEqual(entries(out).filter { $0.hasPrefix(".") && $0 != ".emonet-batch.lock" }, [], "nothing half-written is left")
        let report = try json("\(out)/batch.json")
        let rows = report["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { $0["input"] as? String }, clips)
        XCTAssertEqual(rows.map { $0["status"] as? String }, Array(repeating: "ok", count: 6))
        XCTAssertEqual(rows.map { $0["frames"] as? Int }, Array(repeating: 10, count: 6))
        XCTAssertEqual(rows.filter { $0["resumed"] as? Bool == true }.map { $0["output"] as? String }, finished)
        XCTAssertEqual(report["resumed"] as? Int, finished.count)
        for k in 0..<6 {
            XCTAssertEqual(entries("\(out)/c\(k).y4m").count, 5, "c\(k).y4m complete")
        }
    }

    func testAnInputAnEarlierRunDiedInIsDecodedByTheFFmpegProgramInItsOwnProcess() throws {
        // In-process decoding puts FFmpeg's libraries in the batch's process: an input that crashed them would
        // crash the batch again at every rerun. The one a run was replaying when it died (its .partial folder
        // is still there) is decoded by the ffmpeg program the next time, with the same results.
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        try FileManager.default.createDirectory(atPath: path("in"), withIntermediateDirectories: true)
        for (name, source) in [("a.mkv", "testsrc=size=96x64:rate=10"), ("b.mkv", "smptebars=size=96x64:rate=10")] {
            let made = try BuiltCommand.run(BuiltCommand.process("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", source,
                                                                                     "-frames:v", "8", "-c:v", "ffv1", path("in/\(name)")]))
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        let plain = try replay([path("in"), "--out", path("plain"), "--jobs", "1"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stderr.contains("ffmpeg program"), plain.stderr)

        // What a run killed during b.mkv leaves: its .partial folder, half-written.
        try FileManager.default.createDirectory(atPath: path("out/.b.mkv.partial"), withIntermediateDirectories: true)
        try Data("{\"frame\":0".utf8).write(to: URL(fileURLWithPath: path("out/.b.mkv.partial/results.jsonl")))
        let resumed = try replay([path("in"), "--out", path("out"), "--jobs", "1"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let lines = resumed.stderr.split(separator: "\n").map(String.init)
        let b = lines.first { $0.contains("ok \(path("in/b.mkv"))") }, a = lines.first { $0.contains("ok \(path("in/a.mkv"))") }
        XCTAssertTrue(b?.contains("decoded by the ffmpeg program, in its own process") == true, resumed.stderr)
        XCTAssertFalse(a?.contains("ffmpeg program") ?? true, resumed.stderr)
        XCTAssertEqual(entries(path("out")).filter { $0.hasPrefix(".") && $0 != ".emonet-batch.lock" }, [])
        for name in ["a.mkv", "b.mkv"] {
            XCTAssertEqual(try resultsWithoutTimings(path("out/\(name)/results.jsonl")),
                           try resultsWithoutTimings(path("plain/\(name)/results.jsonl")), name)
        }
    }

    /// batch.json without what differs from run to run (timings; whether a row was resumed).
    private func comparable(_ report: [String: Any]) -> [String: Any] {
        var report = report
        report["rows"] = (report["rows"] as! [[String: Any]]).map { row in row.filter { $0.key != "seconds" && $0.key != "resumed" } }
        return report
    }

    func testShardsMergedEqualOneUnshardedRunApartFromTimings() throws {
        for (k, name) in ["a/clip.y4m", "b/clip.y4m", "c.y4m", "d.y4m", "e.y4m"].enumerated() {
            try clip("in/\(name)", frames: 3 + k, base: 50 + 25 * k)
        }
        try Data("YUV4MPEG2 W0 H48 F25:1 Ip A1:1 C420jpeg\n".utf8).write(to: directory.appendingPathComponent("in/broken.y4m"))
        let whole = try replay([path("in"), "--out", path("whole")])
        XCTAssertEqual(whole.status, 1, "the broken clip fails: \(whole.stderr)")
        let first = try replay([path("in"), "--out", path("s0"), "--shard", "0/2"])
        // The second shard as a Kubernetes Indexed Job's pod gives it: --shard auto/2 with $JOB_COMPLETION_INDEX.
        let second = try replay([path("in"), "--out", path("s1"), "--shard", "auto/2"], environment: ["JOB_COMPLETION_INDEX": "1"])
        XCTAssertTrue(first.stdout.contains("shard 0/2 of 6 inputs") && second.stdout.contains("shard 1/2 of 6 inputs"),
                      first.stdout + second.stdout)
        XCTAssertEqual(Set([first.status, second.status]), [0, 1], "one shard has the broken clip")

        let merge = try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), ["merge", path("s1"), path("s0"), "--out", path("merged")]),
                                         timeout: 60)
        XCTAssertEqual(merge.status, 1, "the merged batch has the failed input: \(merge.stderr)")
        XCTAssertTrue(merge.stdout.contains("6 inputs, 5 ok, 1 failed"), merge.stdout)

        let expected = try json(path("whole/batch.json")), merged = try json(path("merged/batch.json"))
        XCTAssertEqual(NSDictionary(dictionary: comparable(merged)), NSDictionary(dictionary: comparable(expected)))
        XCTAssertEqual((expected["rows"] as! [[String: Any]]).compactMap { $0["output"] as? String },
                       ["clip.y4m", "clip.y4m-2", "c.y4m", "d.y4m", "e.y4m"])
        let csv = { (p: String) in try String(contentsOfFile: p, encoding: .utf8).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).enumerated().filter { $0.offset != 7 }.map(\.element).joined(separator: ",")
        } }
        XCTAssertEqual(try csv(path("merged/batch.csv")), try csv(path("whole/batch.csv")), "batch.csv apart from seconds")
        XCTAssertEqual(entries(path("merged")).filter { !$0.hasPrefix(".") }, entries(path("whole")).filter { !$0.hasPrefix(".") })
        for folder in ["clip.y4m", "clip.y4m-2", "c.y4m", "d.y4m", "e.y4m"] {
            XCTAssertEqual(try resultsWithoutTimings(path("merged/\(folder)/results.jsonl")),
                           try resultsWithoutTimings(path("whole/\(folder)/results.jsonl")), "\(folder)/results.jsonl apart from latencies")
            for name in ["results.csv", "timeline.png"] {
                XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("merged/\(folder)/\(name)"))),
                               try Data(contentsOf: URL(fileURLWithPath: path("whole/\(folder)/\(name)"))), "\(folder)/\(name)")
            }
            var a = try json(path("merged/\(folder)/summary.json")), b = try json(path("whole/\(folder)/summary.json"))
            a["pipeline"] = nil
            b["pipeline"] = nil
            XCTAssertEqual(NSDictionary(dictionary: a), NSDictionary(dictionary: b), "\(folder)/summary.json apart from timings")
        }

        let incomplete = try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), ["merge", path("s0"), "--out", path("m2")]), timeout: 60)
        XCTAssertEqual(incomplete.status, 1)
        XCTAssertTrue(incomplete.stderr.contains("shards missing: 1/2"), incomplete.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("m2")), "nothing was written")
    }

    func testTwoJobsGiveEachInputTheResultsOfOneJobAndSameNamesKeepTheirFolders() throws {
        var inputs = [try clip("x/clip.y4m", frames: 4, base: 60), try clip("y/clip.y4m", frames: 7, base: 120),
                      try clip("z/other.y4m", frames: 5, base: 200)]
        var folders = ["clip.y4m", "clip.y4m-2", "other.y4m"]
        // With ../shared, the same real clip under two names adds results with faces and tracks.
        let media = TestPaths.sharedRoot.appendingPathComponent("media/pyfeat_single_face.mp4").path
        if FileManager.default.fileExists(atPath: media) {
            for copy in ["p/face.mp4", "q/face.mp4"] {
                let url = directory.appendingPathComponent(copy)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(atPath: media, toPath: url.path)
                inputs.append(url.path)
            }
            folders += ["face.mp4", "face.mp4-2"]
        }
        let one = try replay(inputs + ["--out", path("one"), "--jobs", "1"])
        let two = try replay(inputs + ["--out", path("two"), "--jobs", "2"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertEqual(two.status, 0, two.stderr)
        let rows = try json(path("two/batch.json"))["rows"] as! [[String: Any]]
        let order = inputs.indices.sorted { inputs[$0] < inputs[$1] }
        XCTAssertEqual(rows.map { $0["input"] as? String }, order.map { inputs[$0] })
        XCTAssertEqual(rows.map { $0["output"] as? String }, order.map { folders[$0] })
        XCTAssertEqual(NSDictionary(dictionary: comparable(try json(path("two/batch.json")))),
                       NSDictionary(dictionary: comparable(try json(path("one/batch.json")))))
        for (input, folder) in zip(inputs, folders) {
            XCTAssertEqual(try json(path("two/\(folder)/summary.json"))["input"] as? String, input, folder)
            XCTAssertEqual(try resultsWithoutTimings(path("two/\(folder)/results.jsonl")),
                           try resultsWithoutTimings(path("one/\(folder)/results.jsonl")), folder)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("two/\(folder)/results.csv"))),
                           try Data(contentsOf: URL(fileURLWithPath: path("one/\(folder)/results.csv"))), folder)
        }
        if folders.count > 3 {
            let face = try json(path("two/face.mp4/summary.json"))
            XCTAssertGreaterThan(face["frames_with_faces"] as? Int ?? 0, 0, "the real clip has faces")
        }
    }

    func testARerunKnowsItsOwnFoldersAndRefusesOthersWithoutForce() throws {
        let a = try clip("a.y4m", frames: 2), b = try clip("b.y4m", frames: 3)
        let out = path("out")
        XCTAssertEqual(try replay([a, b, "--out", out]).status, 0)
        let again = try replay([a, b, "--out", out])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(again.stderr.components(separatedBy: "done earlier").count - 1, 2, again.stderr)
        XCTAssertTrue(again.stdout.contains("2 inputs, 2 ok (2 done earlier)"), again.stdout)

        // Other settings: the folders are not this batch's.
        let other = try replay([a, b, "--out", out, "--detect-every", "1"])
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.stderr.contains("\(out)/a.y4m already exists and is not this batch's: it was made with other settings (detect_every"),
                      other.stderr)
        XCTAssertEqual(other.stderr.split(separator: "\n").count, 1, other.stderr)
        let forced = try replay([a, b, "--out", out, "--detect-every", "1", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertFalse(forced.stderr.contains("done earlier"), forced.stderr)

        // A folder no batch made (a file of the user's in it) is never replaced, even with --force.
        try Data("mine\n".utf8).write(to: URL(fileURLWithPath: "\(out)/a.y4m/notes.txt"))
        let refused = try replay([a, b, "--out", out, "--force"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("holds files a batch does not write (notes.txt)"), refused.stderr)
        XCTAssertEqual(try String(contentsOfFile: "\(out)/a.y4m/notes.txt", encoding: .utf8), "mine\n")
    }

    func testABadShardIsOneLineBeforeAnyWork() throws {
        let a = try clip("a.y4m", frames: 2)
        for (shard, expected, environment) in [("2/2", "the shard index 2 is not in 0..<2", [String: String]()),
                                               ("auto/3", "none of $JOB_COMPLETION_INDEX", [:]),
                                               ("auto/3", "the shard index 3 is not in 0..<3", ["SLURM_ARRAY_TASK_ID": "4", "SLURM_ARRAY_TASK_MIN": "1"])] {
            let run = try replay([a, "--out", path("out"), "--shard", shard], environment: environment)
            XCTAssertNotEqual(run.status, 0, shard)
            XCTAssertTrue(run.stderr.contains(expected), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path("out")), "nothing was written")
        }
    }
}
