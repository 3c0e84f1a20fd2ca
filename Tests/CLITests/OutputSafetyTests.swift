// Outputs never destroy data, end to end through the built `emonet`: an annotation is never written over
// an input photo, an existing output is replaced only with --force, images with the same name get
// distinct annotations, a new training run does not replace an earlier (resumable) one, and a write that
// fails (the file size limit, as on a full disk) leaves the previous file whole and no temporary file.
import Foundation
import ImageIO
import Imaging
import TestSupport
import XCTest

final class OutputSafetyTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("emonet-outputs") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    typealias Run = CommandRun

    /// Runs emonet in the test's directory; with `fileSizeLimitKB` under `ulimit -f` (see BuiltCommand.process).
    func emonet(_ arguments: [String], fileSizeLimitKB: Int? = nil) throws -> Run {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), arguments, in: directory,
                                                  fileSizeLimitKB: fileSizeLimitKB))
    }

    func cascade() throws -> String {
        let path = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
        guard FileManager.default.fileExists(atPath: path) else { throw XCTSkip("needs Debian's opencv-data (\(path))") }
        return path
    }

    /// A noise image (no faces) saved as PNG at `name` (folders created); `seed` makes images differ.
    @discardableResult
    func photo(_ name: String, seed: UInt64, width: Int = 160, height: Int = 120) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var state = seed
        var image = RGBImage(width: width, height: height)
        for i in image.pixels.indices {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            image.pixels[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
        try ImageFile.writePNG(image, path: path)
        return path
    }

    func bytes(_ name: String) throws -> Data { try Data(contentsOf: directory.appendingPathComponent(name)) }

    func files(in folder: String = ".") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path).sorted()
    }

    /// One line on stderr naming every fragment, and exit status 1.
    func assertRefused(_ run: Run, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "one line: \(run.stderr)", file: file, line: line)
        for f in fragments { XCTAssertTrue(run.stderr.contains(f), "'\(run.stderr)' lacks '\(f)'", file: file, line: line) }
    }

    func testAnAnnotationIsNeverWrittenOverAPhotoTheUserMeantAsAnInput() throws {
        let cascade = try cascade()
        try photo("holiday1.png", seed: 1)
        try photo("holiday2.png", seed: 2)
        let before = try bytes("holiday1.png")
        // --annotate taken for a switch: holiday1.png becomes its value.
        for command in ["detect", "classify"] {
            let run = try emonet([command, "--cascade", cascade, "--annotate", "holiday1.png", "holiday2.png"])
            assertRefused(run, mentions: ["holiday1.png already exists", "--force"])
            XCTAssertEqual(try bytes("holiday1.png"), before, "\(command) kept the photo")
        }
        // Even with --force, an output that is one of the inputs (here under another spelling) is refused.
        for command in ["detect", "classify"] {
            let run = try emonet([command, "--cascade", cascade, "--force", "--annotate", "./holiday1.png", "holiday1.png"])
            assertRefused(run, mentions: ["./holiday1.png is one of this command's inputs (holiday1.png)", "refusing to write over it"])
        }
        XCTAssertEqual(try bytes("holiday1.png"), before)
        XCTAssertEqual(try files(), ["holiday1.png", "holiday2.png"], "nothing else was written")
    }

    func testAnAnnotationPathThatIsNotAPNGIsRefusedEvenWithForce() throws {
        let cascade = try cascade()
        try photo("holiday2.png", seed: 2)
        let jpeg = directory.appendingPathComponent("holiday1.jpg")
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: jpeg)
        // The JPEG a user meant as the first input: --force would otherwise turn it into a PNG of holiday2.
        for command in ["detect", "classify"] {
            let run = try emonet([command, "--cascade", cascade, "--force", "--annotate", "holiday1.jpg", "holiday2.png"])
            XCTAssertNotEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stderr.contains("--annotate writes PNG files: its path must end in .png (found holiday1.jpg"), run.stderr)
            XCTAssertEqual(try bytes("holiday1.jpg"), Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]), "\(command) kept the photo")
        }
    }

    func testImagesWithTheSameNameGetDistinctAnnotatedFiles() throws {
        let cascade = try cascade()
        try photo("a/x.png", seed: 1)
        try photo("b/x.png", seed: 2, width: 200)
        try photo("c/y.png", seed: 3)
        let run = try emonet(["detect", "--cascade", cascade, "--annotate", "out/marked.png", "a/x.png", "b/x.png", "c/y.png"])
        // The folder does not exist: the error names the file, nothing is half-written.
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("out/marked-x-1.png"), run.stderr)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("out"), withIntermediateDirectories: true)
        let again = try emonet(["detect", "--cascade", cascade, "--annotate", "out/marked.png", "a/x.png", "b/x.png", "c/y.png"])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertEqual(try files(in: "out"), ["marked-x-1.png", "marked-x-2.png", "marked-y.png"])
        XCTAssertEqual(try ImageFile.read(path: directory.appendingPathComponent("out/marked-x-1.png").path).width, 160)
        XCTAssertEqual(try ImageFile.read(path: directory.appendingPathComponent("out/marked-x-2.png").path).width, 200,
                       "b/x.png's annotation is its own, not written over a/x.png's")
    }

    func testAnExistingOutputIsReplacedOnlyWithForce() throws {
        let cascade = try cascade()
        try photo("photo.png", seed: 4)
        try Data("an earlier annotation".utf8).write(to: directory.appendingPathComponent("marked.png"))
        let refused = try emonet(["detect", "--cascade", cascade, "--annotate", "marked.png", "photo.png"])
        assertRefused(refused, mentions: ["marked.png already exists; pass --force to replace it"])
        XCTAssertEqual(String(decoding: try bytes("marked.png"), as: UTF8.self), "an earlier annotation")
        let forced = try emonet(["detect", "--cascade", cascade, "--annotate", "marked.png", "--force", "photo.png"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertEqual(try ImageFile.read(path: directory.appendingPathComponent("marked.png").path).width, 160)
    }

    func testAWriteThatFailsLeavesThePreviousFileWhole() throws {
        let cascade = try cascade()
        // 400x300 noise: about 360 KB of PNG, over a 64 KB file size limit.
        try photo("big.png", seed: 5, width: 400, height: 300)
        let previous = Data((0..<5000).map { UInt8($0 % 256) })
        try previous.write(to: directory.appendingPathComponent("marked.png"))
        let run = try emonet(["detect", "--cascade", cascade, "--annotate", "marked.png", "--force", "big.png"], fileSizeLimitKB: 64)
        assertRefused(run, mentions: ["cannot write marked.png: file size limit reached"])
        XCTAssertEqual(try bytes("marked.png"), previous, "the previous file is whole")
        XCTAssertEqual(try files(), ["big.png", "marked.png"], "no temporary file is left")
    }

    func testANewTrainingRunDoesNotReplaceAnEarlierResumableOne() throws {
        // Seven classes, three Training rows and one PublicTest row each: a tiny model learns nothing, quickly.
        let rows = (0..<28).map { i in
            "\(i % 7),\((0..<2304).map { String(($0 * (i + 3)) % 251) }.joined(separator: " ")),\(i < 21 ? "Training" : "PublicTest")"
        }
        let csv = (["emotion,pixels,Usage"] + rows).joined(separator: "\n") + "\n"
        try Data(csv.utf8).write(to: directory.appendingPathComponent("fer.csv"))
        try Data("{\"architecture\": \"tiny\", \"epochs\": 1, \"batchSize\": 7, \"workers\": 1}".utf8)
            .write(to: directory.appendingPathComponent("c.json"))
        let first = try emonet(["train", "--data", "fer.csv", "--config", "c.json", "--out", "run/m.safetensors"])
        XCTAssertEqual(first.status, 0, first.stderr)
        let checkpoint = try bytes("run/m.checkpoint.safetensors")
        let model = try bytes("run/m.safetensors")

        let again = try emonet(["train", "--data", "fer.csv", "--config", "c.json", "--out", "run/m.safetensors"])
        assertRefused(again, mentions: ["run/m.checkpoint.safetensors already exists", "--resume run/m.checkpoint.safetensors", "--force"])
        XCTAssertEqual(try bytes("run/m.checkpoint.safetensors"), checkpoint, "the earlier run stays resumable")
        XCTAssertEqual(try bytes("run/m.safetensors"), model)

        let resumed = try emonet(["train", "--data", "fer.csv", "--out", "run/m.safetensors", "--resume", "run/m.checkpoint.safetensors", "--epochs", "2"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming after epoch 1"), resumed.stderr)

        // The data file as --out: refused even with --force, and the data is untouched.
        let overData = try emonet(["train", "--data", "fer.csv", "--config", "c.json", "--out", "fer.csv", "--force"])
        assertRefused(overData, mentions: ["fer.csv is one of this command's inputs"])
        XCTAssertEqual(String(decoding: try bytes("fer.csv"), as: UTF8.self), csv)

        let forced = try emonet(["train", "--data", "fer.csv", "--config", "c.json", "--out", "run/m.safetensors", "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertTrue(forced.stderr.contains("epoch 1/1"), forced.stderr)

        // A one-letter --out once trapped in Foundation's deletingLastPathComponent (SIGILL).
        let short = try emonet(["train", "--data", "fer.csv", "--config", "c.json", "--out", "q"])
        XCTAssertEqual(short.status, 0, short.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("q.checkpoint.safetensors").path))

        // curves: its default output is the one train wrote.
        let curves = try emonet(["curves", "run/m.log.json"])
        assertRefused(curves, mentions: ["run/m.curves.png already exists; pass --force"])
        XCTAssertEqual(try emonet(["curves", "run/m.log.json", "--force"]).status, 0)
    }
}
