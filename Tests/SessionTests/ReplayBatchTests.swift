// `emonet replay` with many inputs, end to end through the built executable: a broken file among good
// ones is a `failed` row while the others complete, inputs with the same file name get distinct folders,
// directories are searched for videos and sessions, manifests list inputs, and a bad manifest or an
// existing batch output stops the batch before it starts. Small generated .y4m clips; no ../shared.
import Foundation
import TestSupport
import XCTest

final class ReplayBatchTests: XCTestCase {
    private var directory: URL!

    override func setUp() { directory = TestPaths.temporaryDirectory("replay-batch") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    /// A 64x48 clip of `frames` flat frames at `relativePath` under the test's directory; returns its path.
    @discardableResult
    private func clip(_ relativePath: String, frames: Int = 6) throws -> String {
        let url = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try TestY4M.clip(frames: frames) { UInt8(40 + 10 * $0) }.write(to: url)
        return url.path
    }

    /// A file at `relativePath` with `text` in it; returns its path.
    @discardableResult
    private func file(_ relativePath: String, _ text: String) throws -> String {
        let url = directory.appendingPathComponent(relativePath)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    private var out: String { directory.appendingPathComponent("out").path }

    private func replay(_ arguments: [String]) throws -> CommandRun {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), ["replay"] + arguments
            + ["--model", try TestModel.path(), "--cascade", TestPaths.frontalFaceCascade, "--quiet"],
            environment: BuiltCommand.headlessEnvironment), timeout: 240)
    }

    /// batch.csv's rows as dictionaries by column (the test's fields hold no commas or quotes).
    private func csvRows() throws -> [[String: String]] {
        let lines = try String(contentsOfFile: out + "/batch.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "input,output,status,frames,frames_with_faces,tracks,dominant,seconds,error")
        let columns = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(uniqueKeysWithValues: zip(columns, line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    private func jsonRows() throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/batch.json"))) as! [String: Any]
        return object["rows"] as! [[String: Any]]
    }

    func testABrokenFileAmongGoodOnesFailsAloneAndTheBatchExitsNonZero() throws {
        let good1 = try clip("a.y4m"), good2 = try clip("c.y4m", frames: 4)
        let broken = try file("b.y4m", "YUV4MPEG2 W0 H48 F25:1 Ip A1:1 C420jpeg\n")
        let run = try replay([good2, broken, good1, "--out", out])
        XCTAssertEqual(run.status, 1, run.stderr)
        let rows = try csvRows()
        XCTAssertEqual(rows.map { $0["input"] }, [good1, broken, good2], "one row per input, in sorted order")
        XCTAssertEqual(rows.map { $0["status"] }, ["ok", "failed", "ok"])
        XCTAssertEqual(rows.map { $0["frames"] }, ["6", "", "4"])
        XCTAssertTrue(rows[1]["error"]!.contains(broken), rows[1]["error"]!)
        XCTAssertEqual(rows[0]["error"], "")
        for folder in ["a.y4m", "c.y4m"] {
            for name in ["results.jsonl", "results.csv", "summary.json", "timeline.png"] {
                XCTAssertTrue(FileManager.default.fileExists(atPath: "\(out)/\(folder)/\(name)"), "\(folder)/\(name)")
            }
        }
        let json = try jsonRows()
        XCTAssertEqual(json.map { $0["status"] as? String }, ["ok", "failed", "ok"])
        XCTAssertEqual(json[2]["frames"] as? Int, 4)
        XCTAssertTrue((json[1]["error"] as? String ?? "").contains(broken))
        for (k, input) in [good1, broken, good2].enumerated() {
            XCTAssertTrue(run.stderr.contains("emonet: [\(k + 1)/3] "), run.stderr)
            XCTAssertTrue(run.stderr.contains(input), run.stderr)
        }
    }

    func testTwoInputsWithTheSameFileNameGetTheirOwnFolders() throws {
        let first = try clip("x/clip.y4m", frames: 3), second = try clip("y/clip.y4m", frames: 5)
        let run = try replay([second, first, "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try csvRows().map { $0["output"] }, ["clip.y4m", "clip.y4m-2"])
        for (folder, input, frames) in [("clip.y4m", first, 3), ("clip.y4m-2", second, 5)] {
            let summary = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/\(folder)/summary.json"))) as! [String: Any]
            XCTAssertEqual(summary["input"] as? String, input)
            XCTAssertEqual(summary["frames"] as? Int, frames)
        }
    }

    func testADirectoryIsSearchedForVideosAndSessionsButNotOtherFiles() throws {
        let top = try clip("media/a.y4m", frames: 3), nested = try clip("media/deeper/b.Y4M", frames: 2)
        try clip("media/.hidden.y4m")
        try file("media/notes.txt", "not a video\n")
        let session = directory.appendingPathComponent("media/session").path
        _ = try RecordReplayTests.record(to: session, frames: 3)
        let run = try replay([directory.appendingPathComponent("media").path, "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        let rows = try csvRows()
        XCTAssertEqual(rows.map { $0["input"] }, [top, nested, session])
        XCTAssertEqual(rows.map { $0["status"] }, ["ok", "ok", "ok"])
        // The session holds the frames its recording kept (a live recording may drop some), one results line each.
        let recorded = try String(contentsOfFile: session + "/results.jsonl", encoding: .utf8).split(separator: "\n").count
        XCTAssertEqual(rows.map { $0["frames"] }, ["3", "2", "\(recorded)"])
    }

    /// Writes a manifest, replays it into `out` (expecting `status`) and returns batch.csv's rows.
    private func replayManifest(_ relativePath: String, _ text: String, status: Int32,
                                file: StaticString = #filePath, line: UInt = #line) throws -> [[String: String]] {
        let run = try replay(["--manifest", try self.file(relativePath, text), "--out", out])
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: line)
        return try csvRows()
    }

    func testAManifestListsInputsWithCommentsBlankLinesAndRelativePaths() throws {
        let first = try clip("clips/one.y4m", frames: 2), second = try clip("two.y4m", frames: 3)
        let rows = try replayManifest("clips/list.txt", "# interviews\n\none.y4m\n  \(second)  \n", status: 0)
        XCTAssertEqual(rows.map { $0["input"] }, [first, second])
        XCTAssertEqual(rows.map { $0["frames"] }, ["2", "3"])
    }

    func testAMissingFileInAManifestIsAFailedRowNamingItAndTheOthersRun() throws {
        let present = try clip("here.y4m", frames: 2)
        let missing = directory.appendingPathComponent("gone.y4m").path
        let rows = try replayManifest("list.txt", "\(present)\n\(missing)\n", status: 1)
        XCTAssertEqual(rows.map { $0["input"] }, [missing, present])
        XCTAssertEqual(rows.map { $0["status"] }, ["failed", "ok"])
        XCTAssertTrue(rows[0]["error"]!.contains(missing) && rows[0]["error"]!.contains("no such file"), rows[0]["error"]!)
    }

    func testABadManifestLineIsOneLineNamingTheManifestAndTheLineBeforeAnyWork() throws {
        let good = try clip("good.y4m")
        let manifest = directory.appendingPathComponent("list.txt")
        try (Data("\(good)\n# fine\n".utf8) + Data([0x62, 0xFF, 0xFE, 0x0A])).write(to: manifest)
        let run = try replay(["--manifest", manifest.path, "--out", out])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("manifest \(manifest.path) line 3"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing was written")
    }

    func testAnInputGivenTwiceIsReplayedOnceAndSkippedThen() throws {
        let clipPath = try clip("same.y4m", frames: 2)
        let manifest = try file("list.txt", "same.y4m\n")
        let run = try replay([clipPath, "--manifest", manifest, "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(try csvRows().map { $0["status"] }, ["ok", "skipped"])
    }

    func testOneInputsOptionsAreRefusedForABatchBeforeAnyWork() throws {
        let first = try clip("a.y4m"), second = try clip("b.y4m")
        for option in ["--jsonl", "--csv", "--annotated-video"] {
            let run = try replay([first, second, "--out", out, option, directory.appendingPathComponent("x").path])
            XCTAssertNotEqual(run.status, 0, option)
            XCTAssertTrue(run.stderr.contains("\(option) is for one input"), run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing was written")
        }
    }

    func testAFolderNoBatchMadeIsReplacedOnlyWithForce() throws {
        let first = try clip("a.y4m", frames: 2), second = try clip("b.y4m", frames: 2)
        // A lone replay into the folder the batch would use for a.y4m: it has no batch record.
        let lone = try replay([first, "--out", out + "/a.y4m"])
        XCTAssertEqual(lone.status, 0, lone.stderr)
        let again = try replay([first, second, "--out", out])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("\(out)/a.y4m already exists and is not this batch's: it holds no batch-entry.json"), again.stderr)
        XCTAssertTrue(again.stderr.contains("pass --force to replace it"), again.stderr)
        XCTAssertEqual(again.stderr.split(separator: "\n").count, 1, again.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/b.y4m"), "nothing was replayed")
        XCTAssertEqual(try replay([first, second, "--out", out, "--force"]).status, 0)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/a.y4m/batch-entry.json"))
    }
}
