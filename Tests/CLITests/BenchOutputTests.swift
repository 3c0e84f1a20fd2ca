// The benchmarks write their results as every output is written (atomically, through SafeOutput) and
// replace only their own: a bench's --out over a file that is not an earlier result of that bench is
// refused before any work, and `soak --out` over an earlier run's folder is refused unless --force.
// Run against the built EmoNetBench, on a tiny photo so that the faces bench takes a second.
import Foundation
import ImageIO
import Imaging
import TestSupport
import XCTest

final class BenchOutputTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("emonet-bench-output") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func bench(_ arguments: [String]) throws -> CommandRun {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonetBench(), arguments, in: directory), timeout: 120)
    }

    /// `EmoNetBench faces` on one 96x72 photo of noise, recall only, writing `out`.
    private func facesBench(out: String) throws -> CommandRun {
        let media = directory.appendingPathComponent("media")
        try FileManager.default.createDirectory(at: media, withIntermediateDirectories: true)
        var random = SystemRandomNumberGenerator()
        let photo = GrayImage(width: 96, height: 72, pixels: (0..<(96 * 72)).map { _ in UInt8.random(in: 0...255, using: &random) })
        try ImageFile.writePNG(photo, path: media.appendingPathComponent("noise.png").path)
        let profile = TestPaths.repositoryRoot.appendingPathComponent("assets/cascades/haarcascade_profileface.xml").path
        return try bench(["faces", "--media", media.path, "--out", out, "--profile-cascade", profile,
                          "--skip-timing", "--skip-clips", "--model", "absent.safetensors"])
    }

    private func contents(_ name: String) throws -> String {
        try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
    }

    func testABenchRefusesToReplaceAFileThatIsNotOneOfItsResults() throws {
        try Data("my notes, not a bench result\n".utf8).write(to: directory.appendingPathComponent("notes.json"))
        let run = try facesBench(out: "notes.json")
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("notes.json exists and is not an earlier emonet-faces-bench result; it was not replaced"),
                      run.stderr)
        XCTAssertEqual(try contents("notes.json"), "my notes, not a bench result\n")
        XCTAssertFalse(run.stdout.contains("angle"), "refused before any work: \(run.stdout)")
    }

    func testABenchReplacesItsOwnEarlierResultsWholeAndLeavesNoTemporaryFile() throws {
        try Data(#"{"format": "emonet-faces-bench", "version": 1, "recall": []}"#.utf8)
            .write(to: directory.appendingPathComponent("faces.json"))
        let run = try facesBench(out: "faces.json")
        XCTAssertEqual(run.status, 0, run.stderr)
        let report = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(try contents("faces.json").utf8)) as? [String: Any])
        XCTAssertEqual(report["format"] as? String, "emonet-faces-bench")
        XCTAssertEqual((report["recall"] as? [Any])?.count, 4, "one recall row per angle: 0, 15, 30, 45")
        let left = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") }
        XCTAssertEqual(left, [], "the staged file was renamed into place")
    }

    func testASoakRefusesAnEarlierRunsFolderWithoutForce() throws {
        let earlier = directory.appendingPathComponent("soak")
        try FileManager.default.createDirectory(at: earlier, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: earlier.appendingPathComponent("soak.json"))
        let image = directory.appendingPathComponent("face.png").path
        try ImageFile.writePNG(GrayImage(width: 64, height: 64, pixels: [UInt8](repeating: 128, count: 64 * 64)), path: image)
        // One second: the old code deleted the folder, then ran a short soak in it.
        let run = try bench(["soak", "--out", earlier.path, "--image", image, "--seconds", "1"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("\(earlier.path) already exists (an earlier soak?): it was not replaced; pass --force"),
                      run.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: earlier.path), ["soak.json"], "the earlier run is kept")
    }

    func testABenchOptionOutOfRangeNamesTheOptionAndItsRange() throws {
        let run = try bench(["soak", "--seconds", "0"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("--seconds needs a number in 1.0...604800.0 (found '0')"), run.stderr)
        let unknown = try bench(["soak", "--minutes", "3"])
        XCTAssertTrue(unknown.stderr.contains("unknown option --minutes (options: --force --image --model --out --replay --sample --seconds --warm-up)"),
                      unknown.stderr)
    }

    func testAKeyWithoutItsValueIsAnErrorNotATrap() throws {
        // `layers` read the word after --batch without checking that there was one (SIGILL).
        let run = try bench(["layers", "tiny", "--batch"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("--batch needs a value"), run.stderr)
    }
}
