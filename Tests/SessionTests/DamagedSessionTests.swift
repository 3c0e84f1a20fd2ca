// Sessions that were cut short or damaged: an interrupted recording (incomplete last record) replays
// cleanly up to its last complete frame; truncated or corrupted frame data ends the replay with an
// error naming the record, after delivering every frame before it; bad manifests name the field.
import Crypto
import Foundation
import Pipeline
@testable import Session
import TestSupport
import XCTest

final class DamagedSessionTests: XCTestCase {
    private func recorded(frames: Int) throws -> (dir: String, count: Int) {
        let dir = TestPaths.temporaryDirectory("damaged").appendingPathComponent("s").path
        let live = try RecordReplayTests.record(to: dir, frames: frames)
        return (dir, live.count)
    }

    private func readAll(_ dir: String) throws -> (frames: Int, error: Error?) {
        let source = try SessionSource(directory: dir)
        var count = 0
        do {
            while try source.nextFrame() != nil { count += 1 }
        } catch {
            return (count, error)
        }
        return (count, nil)
    }

    /// Reading `dir` delivers `frames` frames, then stops with damage at record `frames`, for a reason with `text` in it.
    private func assertDamage(in dir: String, afterFrames frames: Int, reasonContains text: String,
                              file: StaticString = #filePath, line: UInt = #line) throws {
        let (read, error) = try readAll(dir)
        XCTAssertEqual(read, frames, file: file, line: line)
        guard case SessionError.damaged(_, frames, let reason)? = error else {
            return XCTFail("\(String(describing: error))", file: file, line: line)
        }
        XCTAssertTrue(reason.contains(text), reason, file: file, line: line)
    }

    func testAnIncompleteLastIndexRecordIsTheEndOfAnInterruptedRecording() throws {
        let (dir, count) = try recorded(frames: 20)
        let index = dir + "/" + SessionFiles.index
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: index))
        try handle.truncate(atOffset: UInt64(16 + 40 * (count - 1) + 17))
        try handle.close()
        let (frames, error) = try readAll(dir)
        XCTAssertNil(error)
        XCTAssertEqual(frames, count - 1)
    }

    /// A reader closed by its source and released later closes its frames file once: the second close hit
    /// whatever file the process had opened under the freed number since (in a batch, another job's video,
    /// whose next read then failed as "truncated").
    func testAReaderClosedThenReleasedLeavesADescriptorOpenedInBetweenAlone() throws {
        let (dir, _) = try recorded(frames: 3)
        var reader: FrameStoreReader? = try FrameStoreReader(directory: dir)
        reader!.close()
        let other = open(dir + "/" + SessionFiles.index, O_RDONLY | O_CLOEXEC)  // takes the lowest free numbers
        let another = open(dir + "/" + SessionFiles.frames, O_RDONLY | O_CLOEXEC)
        defer { _ = Foundation.close(other); _ = Foundation.close(another) }
        XCTAssertGreaterThanOrEqual(other, 0)
        reader = nil
        XCTAssertNotEqual(fcntl(other, F_GETFD), -1, "the reader's deinit closed a descriptor it no longer owned")
        XCTAssertNotEqual(fcntl(another, F_GETFD), -1, "the reader's deinit closed a descriptor it no longer owned")
        _ = reader
    }

    func testTruncatedFrameDataStopsAtTheDamagedRecordAfterTheFramesBeforeIt() throws {
        let (dir, count) = try recorded(frames: 20)
        let reader = try FrameStoreReader(directory: dir)
        var records: [FrameRecord] = []
        while let (record, _) = try reader.next() { records.append(record) }
        XCTAssertEqual(records.count, count)
        let cut = records[count - 3]  // cut in the middle of the third-last frame
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/" + SessionFiles.frames))
        try handle.truncate(atOffset: cut.offset + UInt64(cut.length / 2))
        try handle.close()
        let (frames, error) = try readAll(dir)
        XCTAssertEqual(frames, count - 3)
        guard case SessionError.damaged(let path, let frame, let reason)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, dir)
        XCTAssertEqual(frame, count - 3)
        XCTAssertTrue(reason.contains("truncated"), reason)
        XCTAssertTrue(error!.localizedDescription.contains("stopped there"), error!.localizedDescription)
    }

    func testACorruptedByteIsCaughtByTheChecksum() throws {
        let (dir, _) = try recorded(frames: 10)
        let path = dir + "/" + SessionFiles.frames
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let reader = try FrameStoreReader(directory: dir)
        _ = try reader.next()
        let (second, _) = try XCTUnwrap(try reader.next())
        bytes[Int(second.offset) + Int(second.length) / 2] ^= 0x5A
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        try assertDamage(in: dir, afterFrames: 1, reasonContains: "checksum")
    }

    func testReplayThroughThePipelineKeepsTheResultsBeforeTheDamage() throws {
        let (dir, count) = try recorded(frames: 20)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/" + SessionFiles.frames))
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size - 100)
        try handle.close()
        let (results, error) = try RecordReplayTests.replay(dir)
        XCTAssertEqual(results.count, count - 1)
        XCTAssertNotNil(error as? SessionError)
    }

    func testManifestErrorsNameTheFileAndField() throws {
        let dir = TestPaths.temporaryDirectory("manifest")
        XCTAssertThrowsError(try SessionManifest.read(directory: dir.path)) { error in
            XCTAssertTrue(error.localizedDescription.contains("not a session directory"), error.localizedDescription)
        }
        var manifest = RecordReplayTests.manifest()
        try manifest.write(directory: dir.path)
        XCTAssertEqual(try SessionManifest.read(directory: dir.path), manifest)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.path + "/session.json.tmp"))
        let path = dir.path + "/session.json"
        var text = try String(contentsOfFile: path, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"version\" : 1", with: "\"version\" : 7")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SessionManifest.read(directory: dir.path)) { error in
            guard case SessionError.invalid(let file, "version", let expected) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(file, path)
            XCTAssertTrue(expected.contains("found 7"), expected)
        }
        manifest.format = "something-else"
        try manifest.write(directory: dir.path)
        XCTAssertThrowsError(try SessionManifest.read(directory: dir.path))
        try "{\"format\":\"emonet-session\",\"version\":1}".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try SessionManifest.read(directory: dir.path)) { error in
            guard case SessionError.invalid(_, let field, _) = error else { return XCTFail("\(error)") }
            XCTAssertFalse(field.isEmpty)
        }
    }

    /// Rewrites one `"key" : value` of dir/session.json (as JSONEncoder's pretty printing writes it).
    static func edit(_ dir: String, _ key: String, to value: String) throws {
        let path = dir + "/" + SessionFiles.manifest
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"\(key)\" : [^,\n]+", with: "\"\(key)\" : \(value)", options: .regularExpression)
        XCTAssertNotEqual(edited, text, "no \(key) in \(path)")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testOutOfRangeSettingsAreAnErrorNamingTheFieldAndRangeNotATrap() throws {
        // Each of these reached a precondition in the pipeline (SIGILL) when a replay used it.
        let cases: [(key: String, value: String, field: String, range: String)] = [
            ("detect_every", "0", "settings.detect_every", "1...1000"),
            ("smoothing", "5", "settings.smoothing", "(0, 1]"),
            ("smoothing", "0", "settings.smoothing", "(0, 1]"),
            ("match_threshold", "-0.5", "settings.match_threshold", "(0, 1]"),
            ("max_missed_frames", "-1", "settings.max_missed_frames", "0...1000"),
            ("width", "0", "source.width", "1...16384"),
            ("height", "100000", "source.height", "1...16384"),
            ("fps", "1e300", "source.fps", "0...1000"),
            ("jpeg_quality", "400", "jpeg_quality", "1...100"),
            ("poses", "\"sideways\"", "settings.poses", "frontal, multi"),
        ]
        for c in cases {
            let dir = TestPaths.temporaryDirectory("settings").path
            try RecordReplayTests.manifest().write(directory: dir)
            try Self.edit(dir, c.key, to: c.value)
            XCTAssertThrowsError(try SessionManifest.read(directory: dir), c.key) { error in
                guard case SessionError.invalid(let file, let field, let expected) = error else { return XCTFail("\(error)") }
                XCTAssertEqual(file, dir + "/session.json")
                XCTAssertEqual(field, c.field)
                XCTAssertTrue(expected.contains(c.range), expected)
                XCTAssertFalse(error.localizedDescription.contains("\n"), error.localizedDescription)
            }
        }
    }

    func testAHugeManifestIsRefusedWithoutReadingIt() throws {
        let dir = TestPaths.temporaryDirectory("huge-manifest").path
        try RecordReplayTests.manifest().write(directory: dir)
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/session.json"))
        try handle.truncate(atOffset: UInt64(SessionManifest.maximumManifestBytes) + 1)  // sparse: no disk used
        try handle.close()
        XCTAssertThrowsError(try SessionManifest.read(directory: dir)) { error in
            guard case SessionError.invalid(_, "(document)", let expected) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(expected.contains("at most \(SessionManifest.maximumManifestBytes) bytes"), expected)
        }
    }

    func testAnIndexRecordDeclaringMoreBytesThanTheFramesFileHoldsFailsBeforeAllocating() throws {
        let (dir, _) = try recorded(frames: 20)
        // Record 2 claims 60 MB (under the 64 MB sanity limit) at the right offset; frames.mjpeg holds far less.
        let reader = try FrameStoreReader(directory: dir)
        _ = try reader.next(); _ = try reader.next()
        let (third, _) = try XCTUnwrap(try reader.next())
        reader.close()
        let index = dir + "/" + SessionFiles.index
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index)))
        let at = 16 + 2 * 40 + 24
        let length = UInt32(60 << 20)
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: length >> (8 * UInt32(k))) }
        try Data(bytes).write(to: URL(fileURLWithPath: index))
        try assertDamage(in: dir, afterFrames: 2, reasonContains: "truncated: the index says \(length) bytes at offset \(third.offset)")
    }

    func testAFrameIndexNearIntMaxOrOutOfOrderIsDamageNotATrap() throws {
        // Index Int.max reached `last + 1` in the pipeline's statistics: an overflow trap on replay.
        for (record, value) in [(0, Int64.max), (1, Int64(-5)), (2, Int64(0))] {
            // The recorder drops frames as a camera would when the machine is busy: record 20 to keep 3.
            let (dir, count) = try recorded(frames: 20)
            guard count > record else { return XCTFail("only \(count) frames were recorded") }
            let index = dir + "/" + SessionFiles.index
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: index)))
            for k in 0..<8 { bytes[16 + 40 * record + k] = UInt8(truncatingIfNeeded: UInt64(bitPattern: value) >> (8 * UInt64(k))) }
            try Data(bytes).write(to: URL(fileURLWithPath: index))
            let (results, error) = try RecordReplayTests.replay(dir)
            XCTAssertEqual(results.count, record)
            guard case SessionError.damaged(_, record, let reason)? = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertTrue(reason.hasPrefix("frame index \(value), expected one after"), reason)
        }
    }

    func testAResultsLineOverTheLimitIsRefused() throws {
        let dir = TestPaths.temporaryDirectory("long-results").path
        let good = dir + "/good.jsonl", long = dir + "/long.jsonl"
        try Data("{\"frame\":0,\"faces\":[]}\n".utf8).write(to: URL(fileURLWithPath: good))
        try Data(("{\"frame\":0,\"faces\":[]}\n{\"frame\":1,\"faces\":[]}\n{\"frame\":2,\"x\":\"" + String(repeating: "a", count: 1 << 20) + "\"}\n").utf8)
            .write(to: URL(fileURLWithPath: long))
        XCTAssertTrue(try ResultsComparison.compare(recorded: good, replayed: good).isExact)
        XCTAssertThrowsError(try ResultsComparison.compare(recorded: long, replayed: good)) { error in
            guard case SessionError.invalid(long, "line 3", let expected) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(expected.hasPrefix("a JSON line of at most 1048576 bytes"), expected)
        }
    }

    func testSettingDifferencesAreListed() {
        let manifest = RecordReplayTests.manifest()
        XCTAssertEqual(manifest.differences(replayingWith: manifest.model, cascade: manifest.cascade, settings: manifest.settings), [])
        var settings = manifest.settings
        settings.detectEvery = 1
        let changes = manifest.differences(replayingWith: FileFingerprint(path: "other", sha256: "cc"), cascade: manifest.cascade,
                                           settings: settings)
        XCTAssertEqual(changes.count, 2)
        XCTAssertTrue(changes[0].hasPrefix("model"), changes[0])
        XCTAssertEqual(changes[1], "detect every 3 → 1 frames")
    }

    func testSHA256MatchesKnownDigests() {
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        XCTAssertEqual(SHA256.hex(long), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF43926)
    }
}
