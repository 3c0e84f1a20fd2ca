// Runs capture tests against the emulated V4L2 camera (Tests/V4L2Emulator): the emulator must be
// preloaded into the process, so a test re-runs itself as a child process of this same test binary with
// LD_PRELOAD and the emulator's settings in its environment; the child does the real work.
import Foundation
import Imaging
import XCTest

enum EmulatedCamera {
    static let devicePath = "/dev/video-emu"
    static let width = 320
    static let height = 240
    static let framesInFile = 20

    /// True inside the child process, where the emulator is loaded.
    static var isChild: Bool { ProcessInfo.processInfo.environment["EMONET_EMU_CHILD"] == "1" }

    /// The emulator library: built by SwiftPM next to the test binary, else compiled here with cc.
    static func library() throws -> String {
        let binDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [binDirectory, binDirectory.deletingLastPathComponent()] {
            let url = candidate.appendingPathComponent("libV4L2Emulator.so")
            if FileManager.default.fileExists(atPath: url.path) { return url.path }
        }
        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../V4L2Emulator/v4l2_emulator.c").standardized
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("libV4L2Emulator-\(getpid()).so")
        let status = run("/usr/bin/env", ["cc", "-O2", "-shared", "-fPIC", "-I", source.deletingLastPathComponent().path + "/include",
                                          "-o", output.path, source.path, "-ldl", "-lpthread"])
        guard status == 0 else { throw XCTSkip("the V4L2 emulator is not built and cc could not build it") }
        return output.path
    }

    /// YUYV frames with bright squares ("faces") on a dark background; square k of frame f is at `square(k, f)`.
    static func writeFrames(faces: Int) throws -> String {
        var bytes = [UInt8](repeating: 0, count: width * height * 2 * framesInFile)
        for f in 0..<framesInFile {
            let base = f * width * height * 2
            for i in stride(from: 0, to: width * height * 2, by: 2) {
                bytes[base + i] = 40
                bytes[base + i + 1] = 128
            }
            for k in 0..<faces {
                let box = square(k, frame: f)
                for y in box.y..<(box.y + box.height) {
                    for x in box.x..<(box.x + box.width) { bytes[base + (y * width + x) * 2] = 220 }
                }
            }
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-emu-\(faces)-\(UUID().uuidString).yuyv")
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Where face `k` is in frame `frame` of the file: 40x40, moving right then back 2 px a frame, so the
    /// loop of the file has no jump.
    static func square(_ k: Int, frame: Int) -> Rect {
        let f = frame % framesInFile
        let step = f < framesInFile / 2 ? f : framesInFile - f
        return Rect(x: 20 + 100 * k + 2 * step, y: 60 + 30 * k, width: 40, height: 40)
    }

    /// Runs test `name` of `testCase` in a child process with the emulator preloaded; fails with its output.
    /// `framesFile` (raw YUYV at `size`) replaces the generated squares when given.
    static func runInChild(_ testCase: XCTestCase, name: String, faces: Int = 1, environment: [String: String] = [:],
                           framesFile: String? = nil, size: (width: Int, height: Int) = (width, height),
                           file: StaticString = #filePath, line: UInt = #line) throws {
        let library = try library()
        let frames = try framesFile ?? writeFrames(faces: faces)
        defer { if framesFile == nil { try? FileManager.default.removeItem(atPath: frames) } }
        var env = ProcessInfo.processInfo.environment
        env["LD_PRELOAD"] = library
        env["EMONET_EMU_CHILD"] = "1"
        env["EMONET_EMU_DEVICE"] = devicePath
        env["EMONET_EMU_FRAMES"] = frames
        env["EMONET_EMU_SIZE"] = "\(size.width)x\(size.height)"
        env["EMONET_EMU_FPS"] = "30"
        env["EMONET_TEST_FACES"] = String(faces)
        for (key, value) in environment { env[key] = value }
        let className = String(describing: type(of: testCase))
        let selector = "CaptureTests.\(className)/\(name.replacingOccurrences(of: "()", with: ""))"
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-emu-child-\(UUID().uuidString).log")
        let status = run(CommandLine.arguments[0], [selector], environment: env, log: log, timeout: 60)
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        XCTAssertTrue(output.contains("Executed 1 test"), "the child ran no test:\n\(output)", file: file, line: line)
        XCTAssertEqual(status, 0, "child test \(selector) failed:\n\(output)", file: file, line: line)
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    log: URL? = nil, timeout: Double = 60) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let log {
            FileManager.default.createFile(atPath: log.path, contents: nil)
            let handle = try? FileHandle(forWritingTo: log)
            process.standardOutput = handle
            process.standardError = handle
        }
        guard (try? process.run()) != nil else { return -1 }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return -2  // hung: a test failure, never a hung suite
        }
        return process.terminationStatus
    }
}
