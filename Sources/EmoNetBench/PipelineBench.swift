// `EmoNetBench pipeline`: the live path under load. 640x480 frames with one face, then five, stream at
// 30 fps from the emulated V4L2 camera (Tests/V4L2Emulator, preloaded) through the real libv4l2,
// libv4lconvert, face detector and tracker (and the emotion classifier when a model is given) for a
// fixed time; reports processed fps, dropped frames and capture-to-result latency p50/p95.
// The parent process makes the frames with ffmpeg and runs each case in a child with LD_PRELOAD set; the
// child runs the case through the run service (RunService's PipelineRun), as `emonet live` does.
import Capture
import Assets
import FaceDetection
import Foundation
import Pipeline
import RunService

enum PipelineBench {
    struct Options {
        var image = ".build-demo/astronaut.png"
        var seconds = 10.0
        var model: String?
        var cascade: String?
        var detectEvery = 5
        /// Threads of the classifier's forward pass (1, as `emonet live` uses).
        var workers = 1
        /// Views of each face classified (`emonet live --views`; default alternate, as live).
        var views = FaceViews.alternate
        /// The faces full scans search (`emonet live --poses`): multi (the default, with the face verifier) or frontal.
        var poses = "multi"
        var verifier = DataRoot.find(DataRoot.shippedVerifier) ?? DataRoot.shippedVerifier
    }

    struct CaseResult: Codable {
        var name: String
        var faces: Int
        var seconds: Double
        var captured: Int
        var processed: Int
        var dropped: Int
        var skippedBySource: Int
        var processedFPS: Double
        var captureFPS: Double
        var latencyP50ms: Double
        var latencyP95ms: Double
        var meanFacesPerFrame: Double
        var stageMeansMs: [String: Double]
        var classified: Bool
    }

    static let device = "/dev/video-bench"

    static func run(arguments: [String]) throws {
        var options = Options()
        var childCase: Int?
        try BenchArguments.read(arguments, [
            "--image": .text { options.image = $0 }, "--model": .text { options.model = $0 },
            "--cascade": .text { options.cascade = $0 },
            "--seconds": .number(in: 0.1...86_400) { options.seconds = $0 },
            "--detect-every": .number(in: 1...1000) { options.detectEvery = $0 },
            "--workers": .number(in: 1...256) { options.workers = $0 },
            "--views": .text { text in
                guard let views = FaceViews(rawValue: text) else { throw BenchError("--views must be alternate, both or single (got '\(text)')") }
                options.views = views
            },
            "--poses": .text { text in
                guard ["multi", "frontal"].contains(text) else { throw BenchError("--poses must be multi or frontal (got '\(text)')") }
                options.poses = text
            },
            "--verifier": .text { options.verifier = $0 },
            // The parent runs each case in a child: this option is how it says which.
            "--child-faces": .number(in: 1...5) { childCase = $0 },
        ])
        if let faces = childCase {
            let result = try runCase(faces: faces, options: options)
            print(String(decoding: try JSONEncoder().encode(result), as: UTF8.self))
            return
        }
        try runParent(options: options, arguments: arguments)
    }

    // MARK: - Parent: frames, children, report

    private static func runParent(options: Options, arguments: [String]) throws {
        guard FileManager.default.fileExists(atPath: options.image) else {
            throw BenchError("\(options.image) not found: run `make .build-demo/astronaut.png` (or pass --image PHOTO)")
        }
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let library = executable.deletingLastPathComponent().appendingPathComponent("libV4L2Emulator.so").path
        guard FileManager.default.fileExists(atPath: library) else {
            throw BenchError("\(library) not found: build it with `swift build -c release --product V4L2Emulator`")
        }
        var results: [CaseResult] = []
        for faces in [1, 5] {
            let frames = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-bench-\(faces)-\(getpid()).yuyv")
            defer { try? FileManager.default.removeItem(at: frames) }
            try makeFrames(faces: faces, image: options.image, output: frames.path)
            let environment = emulatedCameraEnvironment(library: library, device: device, frames: frames.path)
            let output = String(decoding: try runChild(executable.path, ["pipeline"] + arguments + ["--child-faces", String(faces)],
                                                       environment: environment), as: UTF8.self)
            guard let line = output.split(separator: "\n").last,
                  let result = try? JSONDecoder().decode(CaseResult.self, from: Data(line.utf8)) else {
                throw BenchError("the \(faces)-face case printed no result:\n\(output)")
            }
            results.append(result)
        }
        printTable(results, views: options.views)
        try BenchResults.write(results, to: "bench-results/pipeline.json")
        print("written: bench-results/pipeline.json")
    }

    /// 90 YUYV 640x480 frames: the portrait (1 face) or five smaller crops of its face, drifting.
    static func makeFrames(faces: Int, image: String, output: String) throws {
        let drift = "x='%d+12*sin(2*PI*t/3)':y='%d+8*cos(2*PI*t/3)'"
        let filter: String
        if faces == 1 {
            filter = "color=c=0x303030:s=640x480:r=30[bg];[0:v]scale=400:400[a];[bg][a]overlay="
                + String(format: drift, 120, 40) + ":shortest=1"
        } else {
            let spots = [(20, 40), (240, 40), (460, 40), (130, 280), (350, 280)].prefix(faces)
            var graph = "color=c=0x303030:s=640x480:r=30[bg];[0:v]crop=190:190:129:18,scale=150:150,split=\(faces)"
            graph += (0..<faces).map { "[f\($0)]" }.joined() + ";"
            var last = "bg"
            for (i, spot) in spots.enumerated() {
                graph += "[\(last)][f\(i)]overlay=" + String(format: drift, spot.0, spot.1) + ":shortest=1[o\(i)];"
                last = "o\(i)"
            }
            filter = String(graph.dropLast()).replacingOccurrences(of: "[o\(faces - 1)]", with: "")
        }
        try runChild("/usr/bin/env", ["ffmpeg", "-v", "error", "-y", "-loop", "1", "-i", image, "-filter_complex", filter,
                                      "-t", "3", "-r", "30", "-pix_fmt", "yuyv422", "-f", "rawvideo", output])
        let size = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        guard size >= 640 * 480 * 2 * 30 else { throw BenchError("ffmpeg made no frames from \(image)") }
    }

    private static func printTable(_ results: [CaseResult], views: FaceViews) {
        print("pipeline: 640x480 @ 30 fps from the emulated V4L2 camera (libv4l2 + libv4lconvert), real detector\(results.first?.classified == true ? " and classifier (\(views.rawValue) face views)" : ", no classifier (no model given)")")
        print("faces  found/frame  seconds  captured  processed  dropped  processed fps  latency p50  latency p95  stages (mean ms)")
        for r in results {
            let stages = PipelineStage.all.compactMap { s in r.stageMeansMs[s].map { "\(s) \(String(format: "%.1f", $0))" } }
            print(String(format: "%5d  %11.2f  %7.1f  %8d  %9d  %7d  %13.1f  %8.1f ms  %8.1f ms  ", r.faces, r.meanFacesPerFrame, r.seconds, r.captured,
                         r.processed, r.dropped, r.processedFPS, r.latencyP50ms, r.latencyP95ms) + stages.joined(separator: ", "))
        }
    }

    // MARK: - Child: one case through the live path

    private static func runCase(faces: Int, options: Options) throws -> CaseResult {
        let classifier = try BenchClassifier.make(modelPath: options.model, workers: options.workers)
        let run = try PipelineRun(RunSpec(input: .camera(device: device, request: .init(width: 640, height: 480, framesPerSecond: 30)),
                                          model: .given(classifier.classifier),
                                          finder: FinderSpec(cascade: options.cascade,
                                                             profileCascade: options.poses == "multi" ? MultiPoseDetector.defaultProfileCascadePath : nil,
                                                             verifier: options.poses == "multi" ? options.verifier : nil),
                                          tuning: PipelineTuning(detectEvery: options.detectEvery, views: options.views),
                                          stopsOnSignals: false))
        defer { run.close() }
        run.start(sinks: [])
        Thread.sleep(forTimeInterval: options.seconds)
        run.stop()
        let outcome = run.wait()
        if let error = outcome.error { throw error }
        let s = outcome.summary
        return CaseResult(name: "\(faces) face\(faces == 1 ? "" : "s")", faces: faces, seconds: options.seconds,
                          captured: s.framesCaptured, processed: s.framesProcessed, dropped: s.framesDropped,
                          skippedBySource: s.framesSkippedBySource, processedFPS: s.averageProcessedFPS,
                          captureFPS: s.averageCaptureFPS, latencyP50ms: s.latencyP50 * 1000, latencyP95ms: s.latencyP95 * 1000,
                          meanFacesPerFrame: Double(s.facesSeen) / Double(max(1, s.framesProcessed)),
                          stageMeansMs: s.stageMeans.mapValues { $0 * 1000 }, classified: classifier.isReal)
    }
}
