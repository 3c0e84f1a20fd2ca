// SafeOutput: an output is staged beside its target and renamed into place, so a write that fails
// (here: the file size limit, as a full disk would) leaves the previous file whole and no stray file.
import Foundation
import SafeOutput
import TestSupport
import XCTest

final class AtomicFileTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("safe-output") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    /// Runs `body` with the process's file size limit lowered to `bytes` (SIGXFSZ ignored, so writes past
    /// it fail with EFBIG, as they would on a full disk), then restores the limit.
    private func withFileSizeLimit(_ bytes: UInt64, _ body: () throws -> Void) rethrows {
        var saved = rlimit()
        getrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
        let previous = signal(SIGXFSZ, SIG_IGN)
        var lowered = saved
        lowered.rlim_cur = rlim_t(bytes)
        setrlimit(Int32(RLIMIT_FSIZE.rawValue), &lowered)
        defer {
            setrlimit(Int32(RLIMIT_FSIZE.rawValue), &saved)
            signal(SIGXFSZ, previous)
        }
        try body()
    }

    func testAWriteReplacesTheFileWhole() throws {
        let path = directory.appendingPathComponent("out.json").path
        try AtomicFile.write(Data("old".utf8), to: path)
        try AtomicFile.write(Data("new contents".utf8), to: path)
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "new contents")
        XCTAssertEqual(try contents(), ["out.json"], "no temporary file is left behind")
    }

    func testAFailedWriteLeavesTheOldFileWholeAndNoTemporaryFile() throws {
        let path = directory.appendingPathComponent("model.safetensors").path
        let old = Data((0..<1000).map { UInt8($0 % 251) })
        try old.write(to: URL(fileURLWithPath: path))
        try withFileSizeLimit(4096) {
            XCTAssertThrowsError(try AtomicFile.write(Data(repeating: 7, count: 100_000), to: path)) { error in
                XCTAssertEqual(error as? OutputError, .unwritable(path: path, reason: "file size limit reached"))
                XCTAssertEqual(error.localizedDescription, "cannot write \(path): file size limit reached")
            }
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), old, "the old file is whole")
        XCTAssertEqual(try contents(), ["model.safetensors"], "the temporary file was removed")
    }

    func testAStagedFileIsInvisibleUntilCommittedAndDiscardKeepsTheOldFile() throws {
        let path = directory.appendingPathComponent("results.jsonl").path
        try Data("previous run\n".utf8).write(to: URL(fileURLWithPath: path))
        let staged = try StagedFile(path: path)
        try staged.write("line 1\n")
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "previous run\n")
        XCTAssertTrue(staged.temporaryPath.hasSuffix(".jsonl"), "keeps the extension: \(staged.temporaryPath)")
        XCTAssertEqual((staged.temporaryPath as NSString).deletingLastPathComponent, directory.path, "beside its target")
        staged.discard()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "previous run\n")
        XCTAssertEqual(try contents(), ["results.jsonl"])

        let second = try StagedFile(path: path)
        try second.write("line 1\n")
        try second.commit()
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "line 1\n")
    }

    func testACommitThatMustNotReplaceRefusesAnExistingFile() throws {
        let path = directory.appendingPathComponent("shot.png").path
        try AtomicFile.write(Data("first".utf8), to: path, replacing: false)
        XCTAssertThrowsError(try AtomicFile.write(Data("second".utf8), to: path, replacing: false)) { error in
            XCTAssertEqual(error as? OutputError, .exists(path: path))
        }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), "first")
        XCTAssertEqual(try contents(), ["shot.png"])
    }

    func testAnUnwritableFolderIsOneLineNamingTheTarget() throws {
        let path = directory.appendingPathComponent("missing/out.png").path
        XCTAssertThrowsError(try AtomicFile.write(Data("x".utf8), to: path)) { error in
            XCTAssertEqual(error.localizedDescription, "cannot write \(path): its folder does not exist")
        }
    }
}
