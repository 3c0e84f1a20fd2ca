// Runs the built `emonet` as a user does, for the end-to-end tests: the executable found beside the
// test bundle, headless when asked, in a folder, optionally under a file-size limit (as a full disk);
// both outputs are read at once so that neither pipe fills and blocks the child. One place for what
// the CLI, capture and session tests each used to spell out.
import Foundation
import XCTest

/// What a finished command left: its exit status and both outputs.
public struct CommandRun: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
}

extension CommandRun {
    /// The run of a process that wrote its outputs to files (read as UTF-8; a missing file reads as empty).
    public init(status: Int32, stdoutFile: URL, stderrFile: URL) {
        self.init(status: status, stdout: (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "",
                  stderr: (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "")
    }
}

extension CommandRun {
    /// In the output of `--help`: the help of the option whose line starts with `option` (e.g. "--poses <poses>"),
    /// from that line to the next option's; "" when there is none.
    public func optionHelp(_ option: String) -> String {
        let lines = stdout.components(separatedBy: "\n")
        func starts(_ line: String, _ prefix: String) -> Bool { line.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) }
        guard let start = lines.firstIndex(where: { starts($0, option) }) else { return "" }
        let rest = lines[(start + 1)...].prefix { !starts($0, "--") }
        return ([lines[start]] + rest).joined(separator: "\n")
    }
}

public enum BuiltCommand {
    /// The built `emonet` beside the test bundle (or one folder up), or an XCTSkip when it is not built.
    public static func emonet() throws -> String { try executable("emonet") }

    /// The built `EmoNetBench`, found as `emonet()` finds `emonet`.
    public static func emonetBench() throws -> String { try executable("EmoNetBench") }

    private static func executable(_ name: String) throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bin, bin.deletingLastPathComponent()] {
            let path = dir.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw XCTSkip("\(bin.appendingPathComponent(name).path) is not built")
    }

    /// This process's environment without DISPLAY and WAYLAND_DISPLAY, so that no window opens.
    public static var headlessEnvironment: [String: String] {
        ProcessInfo.processInfo.environment.filter { $0.key != "DISPLAY" && $0.key != "WAYLAND_DISPLAY" }
    }

    /// A process, not yet started, for `executable arguments` in `directory` (nil: this one's) with
    /// `environment` (nil: this one's). With `fileSizeLimitKB` it runs under `ulimit -f` with SIGXFSZ
    /// ignored, so that a write past the limit fails with EFBIG, as one on a full disk fails with ENOSPC.
    public static func process(_ executable: String, _ arguments: [String], in directory: URL? = nil,
                               environment: [String: String]? = nil, fileSizeLimitKB: Int? = nil) -> Process {
        let process = Process()
        if let limit = fileSizeLimitKB {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(limit); exec \"$0\" \"$@\"", executable] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        return process
    }

    /// Starts `process`, collects stdout and stderr and waits for its end (at most `timeout` seconds,
    /// after which it is killed and the test fails).
    public static func run(_ process: Process, timeout: Double? = nil,
                           file: StaticString = #filePath, line: UInt = #line) throws -> CommandRun {
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var stdout = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { stdout = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        if let timeout {
            XCTAssertTrue(wait(process, timeout: timeout), "\(process.arguments ?? []) hung", file: file, line: line)
        } else {
            process.waitUntilExit()
        }
        group.wait()
        return CommandRun(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                          stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// Waits at most `timeout` seconds for `process`; false (and the child killed) if it hung.
    public static func wait(_ process: Process, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)  // not SIGTERM: a hung child may not be able to handle it
            process.waitUntilExit()
            return false
        }
        return true
    }

    /// Waits (at most `timeout` seconds) until the text file `log` contains `marker`, or the process ended.
    public static func waitForLog(_ log: URL, toContain marker: String, while process: Process, timeout: Double = 60) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline, process.isRunning,
              !((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains(marker) {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// Sends SIGTERM and returns how many seconds the process took to end; one still running after
    /// `limit` seconds is killed (the caller's assertion on the seconds then fails).
    public static func secondsToEnd(afterSIGTERM process: Process, limit: Double = 10) -> Double {
        let signalled = Date()
        kill(process.processIdentifier, SIGTERM)
        let deadline = signalled.addingTimeInterval(limit)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let seconds = Date().timeIntervalSince(signalled)
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return seconds
    }
}

/// Small YUV4MPEG2 (4:2:0) clips of flat frames, for the commands' file inputs.
public enum TestY4M {
    /// The stream header of a 64x48, 25 fps clip.
    public static let header = "YUV4MPEG2 W64 H48 F25:1 Ip A1:1 C420jpeg\n"

    /// One 64x48 frame, FRAME marker included, of gray level `luma` (neutral chroma).
    public static func frame(luma: UInt8) -> Data {
        Data("FRAME\n".utf8) + Data(repeating: luma, count: 64 * 48) + Data(repeating: 128, count: 2 * 32 * 24)
    }

    /// A 64x48 clip whose frame i has gray level `luma(i)`.
    public static func clip(frames: Int, luma: (Int) -> UInt8) -> Data {
        (0..<frames).reduce(into: Data(header.utf8)) { video, i in video.append(frame(luma: luma(i))) }
    }
}
