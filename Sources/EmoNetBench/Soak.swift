// `EmoNetBench soak`: the shipped `emonet live` on the emulated V4L2 camera (640x480 at 30 fps, one face
// drifting), recording a session, for a long time (default 30 minutes), watched from outside: resident
// memory, open file descriptors and capture-to-result latency sampled every few seconds from /proc and
// from the JSON line printed per frame. The run ends with SIGINT, as a user's Ctrl-C, and then:
//   - counts: frames captured = processed + dropped; result lines on stdout, result lines in the session
//     and frames in the session all equal the processed count; session.json says the recording completed;
//   - flatness: resident memory, descriptors and latency p95 of the last tenth against the first tenth
//     (after a one-minute warm-up);
//   - optionally (--replay) the recorded session replayed must reproduce every per-frame result.
// Output: a line per sample, a verdict table, DIR/soak.json and DIR/soak.png (the three series over time),
// and a copy of the report in bench-results/soak.json. DIR keeps the session, the camera's log and the
// printed results; an earlier run is never destroyed: by default each run gets a new folder
// runs/soak/<UTC date-time>, and an existing --out DIR is refused unless --force (which replaces it).
import Foundation
import ImageIO
import Plot

enum Soak {
    struct Options {
        var seconds = 1800.0
        var sampleEvery = 10.0
        var warmUp = 60.0
        var image = ".build-demo/astronaut.png"
        var model: String?
        /// The run's folder (default: a new runs/soak/<UTC date-time>).
        var out: String?
        /// Replace an existing --out folder.
        var force = false
        var replay = false
    }

    struct Sample: Codable {
        var seconds: Double
        var residentMB: Double
        var openFiles: Int
        var frames: Int
        var latencyP50ms: Double
        var latencyP95ms: Double
    }

    struct Check: Codable {
        var name: String
        var start: String
        var end: String
        var passed: Bool
    }

    struct Report: Codable {
        var seconds: Double
        var captured: Int
        var processed: Int
        var dropped: Int
        var checks: [Check]
        var samples: [Sample]
        var passed: Bool
    }

    static func run(arguments: [String]) throws {
        var options = Options()
        try BenchArguments.read(arguments, [
            "--seconds": .number(in: 1...604_800) { options.seconds = $0 },
            "--sample": .number(in: 0.1...3600) { options.sampleEvery = $0 },
            "--warm-up": .number(in: 0...604_800) { options.warmUp = $0 },
            "--image": .text { options.image = $0 }, "--model": .text { options.model = $0 },
            "--out": .text { options.out = $0 }, "--force": .flag { options.force = true },
            "--replay": .flag { options.replay = true },
        ])
        let report = try soak(options)
        if !report.passed { exit(1) }
    }

    static func soak(_ options: Options) throws -> Report {
        let folder = try runFolderPath(options)
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let emonet = bin.appendingPathComponent("emonet").path, library = bin.appendingPathComponent("libV4L2Emulator.so").path
        for path in [emonet, library] where !FileManager.default.fileExists(atPath: path) {
            throw BenchError("\(path) not found: swift build -c release --product emonet; --product V4L2Emulator")
        }
        guard FileManager.default.fileExists(atPath: options.image) else {
            throw BenchError("\(options.image) not found: run `make .build-demo/astronaut.png` (or pass --image PHOTO)")
        }
        let out = try makeRunFolder(folder, force: options.force)
        let frames = out.appendingPathComponent("camera.yuyv").path
        try PipelineBench.makeFrames(faces: 1, image: options.image, output: frames)
        let session = out.appendingPathComponent("session").path
        let stdoutPath = out.appendingPathComponent("live.jsonl").path, stderrPath = out.appendingPathComponent("live.log").path
        FileManager.default.createFile(atPath: stdoutPath, contents: nil)
        FileManager.default.createFile(atPath: stderrPath, contents: nil)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: emonet)
        process.arguments = ["live", "--device", "/dev/video-soak", "--no-window", "--record", session]
            + (options.model.map { ["--model", $0] } ?? [])
        process.environment = emulatedCameraEnvironment(library: library, device: "/dev/video-soak", frames: frames)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: stdoutPath))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrPath))
        try process.run()
        let pid = process.processIdentifier
        print("soak: emonet live (pid \(pid)) on the emulated camera, recording into \(session), for \(clock(options.seconds))")

        let reader = try LineTail(path: stdoutPath)
        var samples: [Sample] = []
        let start = Date()
        var processedLines = 0
        while process.isRunning {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= options.seconds { break }
            Thread.sleep(forTimeInterval: min(options.sampleEvery, options.seconds - elapsed))
            guard process.isRunning, let resident = residentMB(pid), let files = openFiles(pid) else { break }
            let latencies = reader.newLines().compactMap(latency).sorted()
            processedLines += latencies.count
            let sample = Sample(seconds: Date().timeIntervalSince(start), residentMB: resident, openFiles: files, frames: processedLines,
                                latencyP50ms: percentile(latencies, 0.5), latencyP95ms: percentile(latencies, 0.95))
            samples.append(sample)
            print(String(format: "  [%@ / %@] resident %.1f MB, %d open files, %d frames, latency p50 %.1f ms p95 %.1f ms",
                         clock(sample.seconds), clock(options.seconds), sample.residentMB, sample.openFiles, sample.frames,
                         sample.latencyP50ms, sample.latencyP95ms))
            fflush(stdout)
        }
        let crashed = !process.isRunning
        if !crashed { kill(pid, SIGINT) }
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { kill(pid, SIGKILL); process.waitUntilExit() }
        processedLines += reader.newLines().count
        let log = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        guard !crashed, process.terminationStatus == 0,
              let finished = log.split(separator: "\n").last(where: { $0.contains("frames captured") }) else {
            throw BenchError("emonet live \(crashed ? "ended by itself" : "exited with status \(process.terminationStatus)") "
                                     + "after \(clock(Date().timeIntervalSince(start))); its log:\n\(log.suffix(1500))")
        }
        func number(before word: String) -> Int {
            guard let range = finished.range(of: #"([0-9]+) "# + word, options: .regularExpression) else { return -1 }
            return Int(finished[range].split(separator: " ")[0]) ?? -1
        }
        let captured = number(before: "frames captured"), processed = number(before: "processed"), dropped = number(before: "dropped")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: session + "/session.json"))) as? [String: Any]
        let sessionFrames = manifest?["frames"] as? Int ?? -1, state = manifest?["state"] as? String ?? "?"
        let sessionLines = try LineTail(path: session + "/results.jsonl").newLines().count

        var checks: [Check] = []
        checks.append(Check(name: "captured = processed + dropped", start: "\(captured)", end: "\(processed) + \(dropped)",
                            passed: captured == processed + dropped && processed > 0))
        checks.append(Check(name: "result lines on stdout = processed", start: "\(processedLines)", end: "\(processed)",
                            passed: processedLines == processed))
        checks.append(Check(name: "session frames and result lines = processed", start: "\(sessionFrames), \(sessionLines)",
                            end: "\(processed)", passed: sessionFrames == processed && sessionLines == processed))
        checks.append(Check(name: "session.json state", start: "", end: state, passed: state == "completed"))
        let steady = samples.filter { $0.seconds >= min(options.warmUp, options.seconds / 4) }
        let tenth = max(1, steady.count / 10)
        if steady.count >= 2 {
            let first = Array(steady.prefix(tenth)), last = Array(steady.suffix(tenth))
            func mean(_ s: [Sample], _ f: (Sample) -> Double) -> Double { s.map(f).reduce(0, +) / Double(s.count) }
            let rss0 = mean(first, \.residentMB), rss1 = mean(last, \.residentMB)
            checks.append(Check(name: "resident memory (MB)", start: String(format: "%.1f", rss0), end: String(format: "%.1f", rss1),
                                passed: rss1 - rss0 <= max(4, 0.05 * rss0)))
            let fd0 = first.map(\.openFiles).max()!, fd1 = last.map(\.openFiles).max()!
            checks.append(Check(name: "open file descriptors", start: "\(fd0)", end: "\(fd1)", passed: fd1 <= fd0))
            let p0 = mean(first, \.latencyP95ms), p1 = mean(last, \.latencyP95ms)
            checks.append(Check(name: "latency p95 (ms)", start: String(format: "%.1f", p0), end: String(format: "%.1f", p1),
                                passed: p1 <= p0 * 1.25 + 5))
        } else {
            checks.append(Check(name: "enough samples for the flatness checks", start: "", end: "\(steady.count)", passed: false))
        }
        if options.replay {
            let replayStart = Date()
            let replay = Process()
            replay.executableURL = URL(fileURLWithPath: emonet)
            replay.arguments = ["replay", session, "--quiet"] + (options.model.map { ["--model", $0] } ?? [])
            let output = Pipe()
            replay.standardOutput = output
            replay.standardError = FileHandle.nullDevice
            try replay.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            replay.waitUntilExit()
            let verdict = text.split(separator: "\n").last(where: { $0.contains("the record") }).map(String.init) ?? ""
            checks.append(Check(name: "replay reproduces the recording (\(clock(Date().timeIntervalSince(replayStart))))",
                                start: "", end: verdict.isEmpty ? "exit \(replay.terminationStatus)" : verdict,
                                passed: replay.terminationStatus == 0 && verdict.contains("exactly")))
        }
        let report = Report(seconds: Date().timeIntervalSince(start), captured: captured, processed: processed, dropped: dropped,
                            checks: checks, samples: samples, passed: checks.allSatisfy(\.passed))
        print("soak: \(clock(report.seconds)), \(captured) frames captured, \(processed) processed, \(dropped) dropped")
        for c in checks {
            let values = c.start.isEmpty ? c.end : "\(c.start) → \(c.end)"
            print("  \(c.passed ? "ok  " : "FAIL") \(c.name): \(values)")
        }
        try BenchResults.write(report, to: out.appendingPathComponent("soak.json").path)
        try BenchResults.write(report, to: "bench-results/soak.json")
        try writeChart(samples, path: out.appendingPathComponent("soak.png").path)
        try? FileManager.default.removeItem(atPath: frames)
        print("written: \(out.path)/soak.json, \(out.path)/soak.png, bench-results/soak.json; the session stays in \(session)")
        return report
    }

    /// The run's folder: --out (an existing one only with --force), else a new runs/soak/<UTC date-time>.
    /// Checked before any work; `makeRunFolder` creates it.
    static func runFolderPath(_ options: Options) throws -> String {
        guard let given = options.out else {
            let format = DateFormatter()
            format.locale = Locale(identifier: "en_US_POSIX")
            format.timeZone = TimeZone(identifier: "UTC")
            format.dateFormat = "yyyyMMdd-HHmmss"
            return "runs/soak/" + format.string(from: Date())
        }
        if FileManager.default.fileExists(atPath: given) && !options.force {
            throw BenchError("\(given) already exists (an earlier soak?): it was not replaced; pass --force to replace it, or leave --out out for a new folder under runs/soak/")
        }
        return given
    }

    /// Creates the run's folder empty (with --force, in place of the one there).
    static func makeRunFolder(_ path: String, force: Bool) throws -> URL {
        if force && FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        // Not withIntermediateDirectories here: that succeeds on a folder that appeared meanwhile.
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false) } catch {
            throw BenchError("cannot create the run folder \(path): \(error.localizedDescription)")
        }
        return URL(fileURLWithPath: path)
    }

    static func writeChart(_ samples: [Sample], path: String) throws {
        let minutes = samples.map { $0.seconds / 60 }
        func series(_ name: String, _ values: [Double]) -> Series {
            Series(name: name, points: zip(minutes, values).map { (x: $0.0, y: $0.1) })
        }
        // From zero: growth should look as large as it is, not fill the panel.
        let memory = LineChart(title: "resident memory", xLabel: "minutes", yLabel: "MB",
                               series: [series("RSS", samples.map(\.residentMB))],
                               yRange: 0...max(1, (samples.map(\.residentMB).max() ?? 1) * 1.25), showLegend: false)
        let files = LineChart(title: "open file descriptors", xLabel: "minutes", yLabel: "descriptors",
                              series: [series("fds", samples.map { Double($0.openFiles) })],
                              yRange: 0...Double((samples.map(\.openFiles).max() ?? 1) + 5), showLegend: false)
        let latency = LineChart(title: "capture-to-result latency", xLabel: "minutes", yLabel: "ms",
                                series: [series("p50", samples.map(\.latencyP50ms)), series("p95", samples.map(\.latencyP95ms))])
        try ImageFile.writePNG(Plot.hstack([memory.render(width: 520, height: 360), files.render(width: 520, height: 360),
                                            latency.render(width: 520, height: 360)]), path: path)
    }

    static func residentMB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return nil }
        return kb / 1024
    }

    static func openFiles(_ pid: Int32) -> Int? {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"))?.count
    }

    static func latency(_ line: String) -> Double? {
        guard let range = line.range(of: #""latency_ms":[0-9.]+"#, options: .regularExpression) else { return nil }
        return Double(line[range].dropFirst(#""latency_ms":"#.count))
    }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(q * Double(sorted.count)))]
    }

    static func clock(_ seconds: Double) -> String {
        String(format: "%d:%02d", Int(seconds) / 60, Int(seconds) % 60)
    }
}

/// The complete lines appended to a file since the last call.
final class LineTail {
    private let handle: FileHandle
    private var pending = Data()

    init(path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BenchError("cannot read \(path)") }
        self.handle = handle
    }

    func newLines() -> [String] {
        pending.append(handle.readDataToEndOfFile())
        guard let last = pending.lastIndex(of: 0x0A) else { return [] }
        let lines = pending[pending.startIndex..<last].split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        pending.removeSubrange(pending.startIndex...last)
        return lines
    }
}
