// The FER-2013 CSV reader: good rows, every kind of malformed row (named by line), gzip, empty files.
import Emotion
import Foundation
import TestSupport
import XCTest

final class FER2013ReaderTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = TestPaths.temporaryDirectory("fer") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func pixels(_ seed: Int) -> String { (0..<2304).map { String(($0 * 7 + seed) % 256) }.joined(separator: " ") }

    func write(_ text: String, name: String = "f.csv") -> String { TestPaths.write(text, named: name, in: dir) }

    func testReadsRowsLabelsSplitsAndPixels() throws {
        let path = write("emotion,pixels,Usage\n3,\(pixels(1)),Training\n0,\(pixels(2)),PublicTest\r\n6,\"\(pixels(3))\",PrivateTest\n")
        let all = try FERDataset.read(path: path)
        XCTAssertEqual(all.count, 3)
        XCTAssertEqual(all.labels, [3, 0, 6])
        XCTAssertEqual(all.splits, [.training, .publicTest, .privateTest])
        XCTAssertEqual(Array(all.pixels[0..<3]), [1, 8, 15])
        XCTAssertEqual(all.pixels[2304 + 2303], UInt8((2303 * 7 + 2) % 256))
        let validation = try FERDataset.read(path: path, splits: [.publicTest])
        XCTAssertEqual(validation.labels, [0])
        XCTAssertEqual(all.subset([.training, .privateTest]).labels, [3, 6])
    }

    func testReadsGzipTheSameAsPlain() throws {
        let text = "emotion,pixels,Usage\n2,\(pixels(4)),Training\n5,\(pixels(5)),PublicTest\n"
        let plain = write(text)
        let gz = write(text, name: "g.csv")
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", gz]
        try gzip.run()
        gzip.waitUntilExit()
        let a = try FERDataset.read(path: plain), b = try FERDataset.read(path: gz + ".gz")
        XCTAssertEqual(a.pixels, b.pixels)
        XCTAssertEqual(a.labels, b.labels)
    }

    func assertFails(_ body: String, _ fragments: [String], header: String = "emotion,pixels,Usage\n",
                     file: StaticString = #filePath, line: UInt = #line) {
        let path = write(header + body)
        XCTAssertThrowsError(try FERDataset.read(path: path), file: file, line: line) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            print("  rejected: \(message.replacingOccurrences(of: dir.path, with: "…"))")
            XCTAssertTrue(message.contains(path), "message does not name the file", file: file, line: line)
            for f in fragments { XCTAssertTrue(message.contains(f), "'\(message)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testMalformedRowsAreRejectedWithLineAndReason() {
        let good = "1,\(pixels(0)),Training\n"
        let short = (0..<2303).map { _ in "9" }.joined(separator: " ")
        assertFails(good + "3,\(short),Training\n", ["line 3", "2303 pixel values", "2304"])
        assertFails("3,\(pixels(0)) 7,Training\n", ["line 2", "more than 2304"])
        assertFails("3,\(pixels(0).replacingOccurrences(of: "15", with: "256")),Training\n", ["line 2", "larger than 255"])
        assertFails("3,\(pixels(0).replacingOccurrences(of: "15", with: "1x")),Training\n", ["line 2", "'x'"])
        assertFails("7,\(pixels(0)),Training\n", ["line 2", "emotion '7'"])
        assertFails("happy,\(pixels(0)),Training\n", ["line 2", "emotion 'happy'"])
        assertFails(good + good + "3,\(pixels(0)),Validation\n", ["line 4", "Usage 'Validation'"])
        assertFails("3\n", ["line 2", "3 comma-separated fields"])
    }

    private func gzip(_ text: String, name: String) throws -> [UInt8] {
        let path = write(text, name: name)
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-f", "-n", path]
        try gzip.run()
        gzip.waitUntilExit()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    func testAGzipFileCutShortIsAnErrorEvenAtALineBoundary() throws {
        let text = "emotion,pixels,Usage\n" + (0..<40).map { "\($0 % 7),\(pixels($0)),Training\n" }.joined()
        let whole = try gzip(text, name: "whole.csv")
        XCTAssertEqual(try FERDataset.read(path: dir.appendingPathComponent("whole.csv.gz").path).count, 40)
        // Without its 8-byte trailer (CRC-32 and length) the deflate data is all there: every line
        // decodes, and the file was read as complete. Cut further, it ends mid-stream.
        for cut in [8, 4, 200] {
            let path = dir.appendingPathComponent("cut\(cut).csv.gz").path
            FileManager.default.createFile(atPath: path, contents: Data(whole.dropLast(cut)))
            XCTAssertThrowsError(try FERDataset.read(path: path), "cut \(cut)") { error in
                let m = error.localizedDescription
                XCTAssertTrue(m.hasPrefix(path + ": ") && m.contains("truncated"), m)
            }
        }
    }

    func testALineLongerThanTheLimitIsAnErrorNamingTheLine() throws {
        // A file with no line ends once grew memory without bound.
        let path = write("emotion,pixels,Usage\n1,\(pixels(0)),Training\n" + String(repeating: "7", count: LineReader.defaultMaximumLineLength + 10))
        XCTAssertThrowsError(try FERDataset.read(path: path)) { error in
            XCTAssertEqual(error.localizedDescription, "\(path): line 3: line is longer than 1048576 bytes (not a text data file, or no line ends?)")
        }
        let reader = try LineReader(path: write("short\n" + String(repeating: "x", count: 100) + "\n", name: "l.txt"), maximumLineLength: 64)
        XCTAssertEqual(try reader.next().map(Array.init), Array("short".utf8))
        XCTAssertThrowsError(try reader.next()) { error in
            XCTAssertTrue(error.localizedDescription.contains("line 2: line is longer than 64 bytes"), error.localizedDescription)
        }
    }

    func testEmptyFilesAndBadHeadersAreRejected() {
        assertFails("", ["empty"], header: "")
        assertFails("", ["no rows"])
        assertFails("1,\(pixels(0)),Training\n", ["header", "emotion,pixels,Usage"], header: "label,image,split\n")
        let path = write("emotion,pixels,Usage\n1,\(pixels(0)),Training\n")
        XCTAssertThrowsError(try FERDataset.read(path: path, splits: [.privateTest])) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("PrivateTest"))
        }
        XCTAssertThrowsError(try FERDataset.read(path: dir.appendingPathComponent("missing.csv").path)) { error in
            XCTAssertTrue(error.localizedDescription.contains("no such file"))
        }
    }
}
