// `EmoNetBench batch` (`make bench-batch`): a folder of short clips (--copies, default 20, copies of the
// ../shared/media clips in turn) replayed as one batch, `emonet replay DIR --jobs N --out …`, against the
// `fer` package looping over the same clips in one Python process (scripts/bench_fer_video.py), on one and on
// two cores (taskset; decoders inherit the pinning). Each repeat runs, per core count, ours with --jobs 1,
// ours with --jobs 2, then fer, back to back (interleaved as `EmoNetBench replay` does); ratios are medians of
// the per-repeat ratios. Ours is timed end to end (process start, model load, every input's opening and
// writing); fer over its loop (each clip's Video set-up and analyze()), its TensorFlow import and detector
// construction excluded. Also measured: per-input start-up, the batch's extra time per input, from batches
// of 1 and of 20 one-frame clips ((T20 - T1) / 19, median of the repeats), for an .mp4 (FFmpeg) and a .y4m.
// The decoder is emonet's default (FFmpeg's libraries where they load); EMONET_DECODER=program measures the
// ffmpeg program instead (the runs inherit the environment).
import Capture
import Foundation

enum BatchBench {
    typealias Row = ReplayBench.Row

    static func run(arguments: [String]) throws {
        var media = "../shared/media", model: String?, python = ProcessInfo.processInfo.environment["EMONET_BENCH_PYTHON"]
        var clips = ["pyfeat_single_face.mp4", "pyfeat_no_face.mp4"]
        var copies = 20, repeats = 3
        try BenchArguments.read(arguments, [
            "--media": .text { media = $0 }, "--model": .text { model = $0 }, "--python": .text { python = $0 },
            "--clips": .text { clips = $0.split(separator: ",").map(String.init) },
            "--copies": .number(in: 2...10_000) { copies = $0 }, "--repeats": .number(in: 1...1000) { repeats = $0 },
        ])
        let emonet = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("emonet").path
        guard FileManager.default.isExecutableFile(atPath: emonet) else {
            throw BenchError("\(emonet) is not built: swift build -c release --product emonet")
        }
        let sources = clips.map { (media as NSString).appendingPathComponent($0) }
        for source in sources where !FileManager.default.fileExists(atPath: source) {
            print("batch bench: \(source) absent, nothing measured")
            return
        }
        let (modelPath, modelNote) = try ReplayBench.resolveModel(model)
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-bench-batch-\(getpid())")
        defer { try? FileManager.default.removeItem(at: work) }
        let folder = work.appendingPathComponent("clips")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var copied: [String] = []
        for i in 0..<copies {
            let source = sources[i % sources.count]
            let path = folder.appendingPathComponent(String(format: "clip%02d-", i) + (source as NSString).lastPathComponent).path
            try FileManager.default.copyItem(atPath: source, toPath: path)
            copied.append(path)
        }
        print("batch throughput: \(copies) clips (\(clips.joined(separator: ", ")) in turn), classifier: \(modelNote), \(repeats) repeats, "
              + "video decoded by FFmpeg's \(VideoDecoder.preferred == .libraries ? "libraries in the process" : "ffmpeg program")")

        // runs["emonet C J"] / runs["fer C"]: one row per repeat, each repeat running every case once.
        var runs: [String: [Row]] = [:]
        var machine: [Double] = []
        for _ in 0..<repeats {
            machine.append(machineScaling())
            for cores in [1, 2] {
                for jobs in [1, 2] {
                    runs["emonet \(cores) \(jobs)", default: []].append(try runOurs(emonet, folder: folder.path, model: modelPath, cores: cores,
                                                                                   jobs: jobs, work: work))
                }
                if let python { runs["fer \(cores)", default: []].append(try runFer(python, clips: copied, cores: cores)) }
            }
        }
        let keys = ["emonet 1 1", "emonet 1 2", "fer 1", "emonet 2 1", "emonet 2 2", "fer 2"].filter { runs[$0] != nil }
        let rows = keys.map { ReplayBench.medianRun(runs[$0]!) }
        rows.forEach(printRow)
        func pairs(_ a: String, _ b: String) -> [Double] {
            guard let x = runs[a], let y = runs[b] else { return [] }
            return zip(x, y).map { $0.framesPerSecond / $1.framesPerSecond }
        }
        let ratios: [(String, [Double])] = [
            ("emonet --jobs 1 / fer, 1 core", pairs("emonet 1 1", "fer 1")),
            ("emonet --jobs 2 / fer, 2 cores", pairs("emonet 2 2", "fer 2")),
            ("emonet --jobs 1 / fer, 2 cores", pairs("emonet 2 1", "fer 2")),
            ("--jobs 2 on 2 cores / --jobs 1 on 1 core", pairs("emonet 2 2", "emonet 1 1")),
            ("--jobs 2 / --jobs 1, both on 2 cores", pairs("emonet 2 2", "emonet 2 1")),
            ("--jobs 2 / --jobs 1, both on 1 core", pairs("emonet 1 2", "emonet 1 1")),
        ].filter { !$0.1.isEmpty }
        for (name, values) in ratios {
            print(String(format: "  ratio %@: %.2fx (median of the per-repeat ratios: %@)", name, median(values),
                         values.map { String(format: "%.2f", $0) }.joined(separator: " ")))
        }
        print(String(format: "  the machine's own 2-core scaling (2 threads of an arithmetic loop / 1, at each repeat): %.2fx (%@)",
                     median(machine), machine.map { String(format: "%.2f", $0) }.joined(separator: " ")))
        if let one = runs["emonet 1 1"] {
            print(String(format: "  per-core throughput (1 core, --jobs 1, end to end): %.1f frames/s", ReplayBench.medianRun(one).framesPerSecond))
        }
        let startup = try measureStartup(emonet, model: modelPath, clip: sources[0], work: work, repeats: repeats)
        for (kind, seconds) in startup.sorted(by: { $0.key < $1.key }) {
            print(String(format: "  per-input start-up, %@ (2 cores, --jobs 1; (T20 - T1) / 19, median): %.3f s", kind, seconds))
        }

        try FileManager.default.createDirectory(atPath: "bench-results", withIntermediateDirectories: true)
        struct Report: Codable {
            var classifier: String; var clips: [String]; var copies: Int; var repeats: Int
            var rows: [Row]; var ratios: [String: [Double]]; var startupSeconds: [String: Double]; var machineScaling: [Double]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(Report(classifier: modelNote, clips: clips, copies: copies, repeats: repeats, rows: rows, ratios: Dictionary(uniqueKeysWithValues: ratios),
                                  startupSeconds: startup, machineScaling: machine)).write(to: URL(fileURLWithPath: "bench-results/batch.json"))
        print("written: bench-results/batch.json")
    }

    /// How much faster two threads do twice the work of one, on this machine now: a virtual machine's two
    /// cores may not be two cores' worth (a busy host, shared physical cores), and "2 jobs / 1 job" can be
    /// no better than this. Each thread runs the same dependent arithmetic loop, about 0.3 s.
    static func machineScaling() -> Double {
        @Sendable @inline(never) func loop(_ seed: UInt64) -> UInt64 {
            var x = seed
            for _ in 0..<150_000_000 { x = x &* 6364136223846793005 &+ 1442695040888963407 }
            return x
        }
        func timed(threads: Int) -> Double {
            let group = DispatchGroup()
            let start = Date()
            for t in 0..<threads {
                group.enter()
                Thread {
                    if loop(UInt64(t + 1)) == 0 { print("") }  // the result is used, so the loop is kept
                    group.leave()
                }.start()
            }
            group.wait()
            return Date().timeIntervalSince(start)
        }
        let one = timed(threads: 1), two = timed(threads: 2)
        return 2 * one / two
    }

    static func runOurs(_ emonet: String, folder: String, model: String, cores: Int, jobs: Int, work: URL) throws -> Row {
        let out = work.appendingPathComponent("out-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let (seconds, output) = try ReplayBench.timed(["taskset", "-c", cores == 1 ? "0" : "0,1", emonet, "replay", folder, "--quiet",
                                                       "--jobs", String(jobs), "--model", model, "--out", out])
        let frames = try framesInReport(out, output: output)
        return Row(clip: "batch", implementation: "emonet", cores: cores, frames: frames, seconds: seconds,
                   framesPerSecond: Double(frames) / seconds, jobs: jobs)
    }

    /// The frames of every row of `out`/batch.json; fails unless every input is ok.
    static func framesInReport(_ out: String, output: String) throws -> Int {
        guard let data = FileManager.default.contents(atPath: out + "/batch.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let rows = object["rows"] as? [[String: Any]], rows.allSatisfy({ $0["status"] as? String == "ok" }) else {
            throw BenchError("the batch into \(out) did not complete:\n\(output.suffix(1500))")
        }
        return rows.compactMap { $0["frames"] as? Int }.reduce(0, +)
    }

    static func runFer(_ python: String, clips: [String], cores: Int) throws -> Row {
        let (_, output) = try ReplayBench.timed(["taskset", "-c", cores == 1 ? "0" : "0,1", python, "scripts/bench_fer_video.py"] + clips)
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("{") }),
              let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let frames = object["frames"] as? Int, let loop = object["loop_seconds"] as? Double else {
            throw BenchError("fer over \(clips.count) clips printed no result:\n\(output.suffix(1500))")
        }
        return Row(clip: "batch", implementation: "fer", cores: cores, frames: frames, seconds: loop, framesPerSecond: Double(frames) / loop)
    }

    /// Per-input start-up of a batch: batches of 1 and of 20 one-frame clips cut from `clip` (its first frame
    /// at its own size), as .mp4 and as .y4m; (T20 - T1) / 19 is what each further input costs.
    static func measureStartup(_ emonet: String, model: String, clip: String, work: URL, repeats: Int) throws -> [String: Double] {
        var result: [String: Double] = [:]
        for ext in ["mp4", "y4m"] {
            let one = work.appendingPathComponent("startup-\(ext)-1"), many = work.appendingPathComponent("startup-\(ext)-20")
            try FileManager.default.createDirectory(at: one, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: many, withIntermediateDirectories: true)
            let first = one.appendingPathComponent("frame00.\(ext)").path
            var encode = ["ffmpeg", "-v", "error", "-y", "-i", clip, "-frames:v", "1"]
            encode += ext == "mp4" ? ["-c:v", "libx264", "-pix_fmt", "yuv420p", first] : ["-pix_fmt", "yuv420p", first]
            _ = try ReplayBench.timed(encode)
            for i in 0..<20 {
                try FileManager.default.copyItem(atPath: first, toPath: many.appendingPathComponent(String(format: "frame%02d.\(ext)", i)).path)
            }
            var perInput: [Double] = []
            for _ in 0..<repeats {
                var times: [Double] = []
                for folder in [one, many] {
                    let out = work.appendingPathComponent("startup-out-\(UUID().uuidString)").path
                    defer { try? FileManager.default.removeItem(atPath: out) }
                    let (seconds, output) = try ReplayBench.timed(["taskset", "-c", "0,1", emonet, "replay", folder.path, "--quiet", "--jobs", "1",
                                                                   "--model", model, "--out", out])
                    _ = try framesInReport(out, output: output)
                    times.append(seconds)
                }
                perInput.append((times[1] - times[0]) / 19)
            }
            result[ext] = median(perInput)
        }
        return result
    }

    static func printRow(_ r: Row) {
        let name = r.implementation == "fer" ? "fer (loop, detect every frame)" : "emonet replay DIR --jobs \(r.jobs ?? 1)"
        print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) + " \(r.cores) core" + (r.cores == 1 ? " " : "s")
              + String(format: " %6d frames %7.2f s %7.1f fps", r.frames, r.seconds, r.framesPerSecond))
    }
}

