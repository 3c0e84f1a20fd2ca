// scripts/make_deb.sh (the last step of `make deb`) refuses a binary the package must not ship, before
// dpkg-deb runs: one that still needs the Swift runtime's shared libraries (the test build links them
// dynamically, so it is such a binary) and one whose --version is not the package's version.
// Building the real package takes a static build of its own; `make test-package` installs and runs it.
import Foundation
import TestSupport
import XCTest

final class PackagingTests: XCTestCase {
    var folder: URL!
    var stage: URL!

    override func setUpWithError() throws {
        let built = try BuiltCommand.emonet()
        folder = TestPaths.temporaryDirectory("emonet-packaging")
        stage = folder.appendingPathComponent("stage")
        let bin = stage.appendingPathComponent("usr/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: built), to: bin.appendingPathComponent("emonet"))
    }

    override func tearDown() {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// scripts/make_deb.sh on the stage, writing its package (if it got that far) beside the stage.
    func makeDeb(version: String) throws -> (run: CommandRun, package: URL) {
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/make_deb.sh").path
        let package = folder.appendingPathComponent("emonet_\(version)_amd64.deb")
        let process = BuiltCommand.process(script, [stage.path, version, "amd64", "Test <test@localhost>", package.path])
        return (try BuiltCommand.run(process, timeout: 60), package)
    }

    func currentVersion() throws -> String {
        let run = try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), ["--version"]), timeout: 30)
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func testABinaryThatNeedsSwiftSharedLibrariesIsRefused() throws {
        let (run, package) = try makeDeb(version: try currentVersion())
        XCTAssertNotEqual(run.status, 0, run.stdout)
        XCTAssertTrue(run.stderr.contains("still needs Swift's shared libraries:"), run.stderr)
        XCTAssertTrue(run.stderr.contains("libswiftCore.so"), run.stderr)
        XCTAssertTrue(run.stderr.contains("--static-swift-stdlib"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: package.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: stage.appendingPathComponent("DEBIAN").path))
    }

    func testABinaryThatSaysAnotherVersionIsRefused() throws {
        let version = try currentVersion()
        let (run, package) = try makeDeb(version: "\(version).1")
        XCTAssertNotEqual(run.status, 0, run.stdout)
        XCTAssertTrue(run.stderr.contains("--version says '\(version)', the package would be \(version).1"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: package.path))
    }
}
