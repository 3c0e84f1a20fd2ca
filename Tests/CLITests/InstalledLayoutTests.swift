// The built `emonet` copied into an install prefix (<prefix>/bin/emonet, <prefix>/share/emonet/{assets,models},
// as `make install` lays it out) finds its cascade and model there, run from a folder that holds neither.
import Foundation
import TestSupport
import XCTest

final class InstalledLayoutTests: XCTestCase {
    var prefix: URL!
    var workingDirectory: URL!

    override func setUpWithError() throws {
        let built = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emonet")
        guard FileManager.default.isExecutableFile(atPath: built.path) else { throw XCTSkip("\(built.path) is not built") }
        prefix = TestPaths.temporaryDirectory("emonet-prefix")
        workingDirectory = TestPaths.temporaryDirectory("emonet-elsewhere")
        let fm = FileManager.default
        let share = prefix.appendingPathComponent("share/emonet")
        try fm.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try fm.createDirectory(at: share.appendingPathComponent("models"), withIntermediateDirectories: true)
        try fm.copyItem(at: built, to: prefix.appendingPathComponent("bin/emonet"))
        try fm.copyItem(at: TestPaths.repositoryRoot.appendingPathComponent("assets"), to: share.appendingPathComponent("assets"))
        try fm.copyItem(at: TestPaths.repositoryRoot.appendingPathComponent("models/emonet.safetensors"),
                        to: share.appendingPathComponent("models/emonet.safetensors"))
    }

    override func tearDown() {
        if let prefix { try? FileManager.default.removeItem(at: prefix) }
        if let workingDirectory { try? FileManager.default.removeItem(at: workingDirectory) }
    }

    func installed(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = prefix.appendingPathComponent("bin/emonet")
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment
        environment["EMONET_MODEL"] = nil
        environment["EMONET_CASCADE"] = nil
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testTheInstalledBinaryFindsItsModelAndCascadeUnderShare() throws {
        let share = prefix.appendingPathComponent("share/emonet").path
        let info = try installed(["model-info"])
        XCTAssertEqual(info.status, 0, info.output)
        XCTAssertTrue(info.output.hasPrefix("\(share)/models/emonet.safetensors: emonet-model"), info.output)

        let help = try installed(["detect", "--help"])
        XCTAssertTrue(help.output.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " ", with: "")
            .contains("\(share)/assets/cascades/haarcascade_frontalface_default.xml"), help.output)

        let image = TestPaths.repositoryRoot.appendingPathComponent("models/emonet.curves.png").path
        let detect = try installed(["detect", image])
        XCTAssertEqual(detect.status, 0, detect.output)
        XCTAssertTrue(detect.output.hasPrefix("\(image): "), detect.output)
    }
}
