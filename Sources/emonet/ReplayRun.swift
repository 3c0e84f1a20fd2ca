// The work of one `emonet replay`: the run service (RunService's PipelineRun) opens the input and runs it
// through the same pipeline as `emonet live`, in its no-drop mode; this file keeps what is replay's own: the
// result sinks and writers, then the summary, the timeline and, for a session, the comparison with the
// recording. Kept apart from the argument parsing in ReplayCommand.
import Capture
import Display
import FaceDetection
import Foundation
import Frames
import ImageIO
import Pipeline
import Plot
import RunService
import SafeOutput
import Session

/// One input's replay: where it reads and writes. A lone `emonet replay INPUT` makes one from its options;
/// a batch (ReplayBatch) makes one per input, with that input's folder under --out.
struct ReplayJob {
    var input: String
    var out: String?
    var jsonl: String?
    var csv: String?
    var annotatedVideo: String?
    /// Part of a batch: no per-frame progress bar, no per-input notes or summary lines (the batch reports
    /// each input in one line), no comparison with a session's recording, and no signal handling of its
    /// own (the batch stops all its runs at once).
    var inBatch = false
    /// The batch's progress, told of every frame (batch inputs only).
    var progress: FrameSink?
    /// How a video input is decoded (a batch isolates, in an ffmpeg process, an input an earlier run died in).
    var videoDecoder = VideoDecoder.preferred
    /// Its decoding threads (0: FFmpeg's choice; a batch gives each of its jobs its share of the cores).
    var decoderThreads = 0

    /// The lone replay of `command`'s single input.
    init(command: Replay, input: String) {
        self.input = input
        out = command.out
        jsonl = command.jsonl ?? command.out.map { ($0 as NSString).appendingPathComponent("results.jsonl") }
        csv = command.csv ?? command.out.map { ($0 as NSString).appendingPathComponent("results.csv") }
        annotatedVideo = command.annotatedVideo
    }

    /// The replay of one batch input into its own folder `out` (nil: no files, the row only).
    init(batchInput input: String, out: String?, progress: FrameSink? = nil) {
        self.input = input
        self.out = out
        self.progress = progress
        jsonl = out.map { ($0 as NSString).appendingPathComponent("results.jsonl") }
        csv = out.map { ($0 as NSString).appendingPathComponent("results.csv") }
        inBatch = true
    }

    /// Every file this job writes.
    var outputs: [String] {
        var outputs = [jsonl, csv].compactMap { $0 }
        if let out {
            outputs += ["summary.json", "timeline.png"].map { (out as NSString).appendingPathComponent($0) }
        }
        if let annotatedVideo { outputs.append(annotatedVideo) }
        return outputs
    }
}

/// What one replay found, for a batch's row (also known after a run that ended early).
struct ReplayCounts: Codable, Equatable {
    var frames = 0
    var framesWithFaces = 0
    var tracks = 0
    /// The emotion most often the most probable over every face observation; nil without faces.
    var dominant: String?
}

final class ReplayRun {
    let command: Replay
    let job: ReplayJob
    /// The run service: it owns the input (a session or a video file) from open to close.
    let run: PipelineRun
    let temporaryJSONL: String?
    /// What the run found so far (set once it ended, also when it ended with an error).
    private(set) var counts: ReplayCounts?
    /// The run was asked to stop before its input ended (a signal; in a batch, the batch's stop).
    private(set) var stopRequested = false
    private var jsonlPath: String? { job.jsonl }
    private var csvPath: String? { job.csv }

    /// `model` and `finder`: the command's, or a batch's loaded once for all its inputs.
    init(command: Replay, job: ReplayJob, model: RunModel, finder: FinderSpec) throws {
        self.command = command
        self.job = job
        if !job.inBatch { try Self.checkOutputs(command: command, job: job) }
        var spec = RunSpec(input: .recording(path: job.input, paced: command.realtime),
                           model: model, finder: finder, tuning: command.pipelineOptions.tuning, stopsOnSignals: !job.inBatch)
        spec.videoDecoder = job.videoDecoder
        spec.decoderThreads = job.decoderThreads
        // Only an annotated video and a window draw the frames; the pipeline itself looks at their gray.
        spec.colour = job.annotatedVideo != nil || command.window
        run = try PipelineRun(spec)
        if let out = job.out { try run.prepare { try OutputPlan.makeDirectory(out) } }
        // A session is always checked against its recording, so its lines are written somewhere.
        temporaryJSONL = !job.inBatch && run.session != nil && job.jsonl == nil
            ? FileManager.default.temporaryDirectory.appendingPathComponent("emonet-replay-\(UUID().uuidString).jsonl").path : nil
    }

    /// The lone replay of `command`: its model and finder are loaded by the run service, beside the input.
    convenience init(command: Replay, input: String) throws {
        // Detector threads from EMONET_DETECT_THREADS (default: live's); they do not change the boxes, only who
        // computes them.
        // A session is searched as it was recorded (its poses and verifier setting) unless the options say otherwise.
        let recorded = (try? SessionManifest.read(directory: input)).map {
            (poses: FacePoses(rawValue: $0.settings.poses) ?? .frontal, verified: $0.settings.verified)
        }
        try self.init(command: command, job: ReplayJob(command: command, input: input),
                      model: .file(path: command.modelOptions.model, int8: command.modelOptions.arithmetic.int8),
                      finder: command.detector.finderSpec(threads: Self.detectThreads, recorded: recorded))
    }

    static var detectThreads: Int? { ProcessInfo.processInfo.environment["EMONET_DETECT_THREADS"].flatMap { Int($0) } }

    /// Before anything opens: no output over an input (the video, the session's own files, the model,
    /// the cascade), and none over an existing file without --force.
    static func checkOutputs(command: Replay, job: ReplayJob) throws {
        try OutputPlan(inputs: readFiles(command: command, inputs: [job.input]), force: command.output.force).check(job.outputs)
    }

    /// The files a replay of `inputs` reads: each file, each session directory's files, the model, the cascade.
    static func readFiles(command: Replay, inputs: [String]) -> [String] {
        inputs.flatMap { input -> [String] in
            var isDirectory: ObjCBool = false
            let inputIsDirectory = FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory) && isDirectory.boolValue
            return inputIsDirectory ? OutputPlan.files(in: input) : [input]
        } + [command.modelOptions.model, CascadeLocator.resolve(command.detector.cascade)]
    }

    /// A note on stderr, unless this run is part of a batch (which reports each input in one line).
    private func say(_ message: String) {
        if !job.inBatch { note(message) }
    }

    func execute() throws {
        defer { run.close() }
        let source = run.source, session = run.session
        let writer = try run.prepare { try ResultsWriter(jsonlPath: jsonlPath ?? temporaryJSONL, csvPath: csvPath) }
        defer { if let temporaryJSONL { try? FileManager.default.removeItem(atPath: temporaryJSONL) } }
        let summary = ResultsSummary()
        var sinks: [FrameSink] = [writer, summary] + [job.progress].compactMap { $0 }
        if !command.quiet && !command.window && !job.inBatch {
            let total = session?.frameCountEstimate
                ?? VideoFrameCount.estimate(path: job.input, width: source.width, height: source.height,
                                            framesPerSecond: source.framesPerSecond,
                                            duration: (source as? FFmpegFileSource)?.durationSeconds)
            sinks.append(ReplayProgressSink(total: total))
        }
        let annotated = try run.prepare {
            try job.annotatedVideo.map {
                try AnnotatedVideoWriter(path: $0, width: source.width, height: source.height, framesPerSecond: source.framesPerSecond)
            }
        }
        if let annotated { sinks.append(annotated) }
        let display = DisplaySink()
        if command.window { sinks.append(display) }
        say("emonet: replaying \(source.description); " + PipelineOptions.describe(run.configuration))

        let liveWindow = try run.prepare {
            command.window ? try LiveWindow(title: "EmoNet replay — \(job.input)", width: source.width, height: source.height) : nil
        }
        let pipeline = run.start(sinks: sinks)
        if let liveWindow {
            if (try? liveWindow.run(sink: display, stats: pipeline.stats)) ?? true { run.stop() }
        }
        let outcome = run.wait()
        run.close()
        let stats = outcome.summary
        try writer.close()
        if let annotated {
            try annotated.close()
            say("emonet: wrote the annotated video \(annotated.path)")
        }
        counts = Self.counts(summary)
        stopRequested = outcome.stopRequested
        say("emonet: " + outcome.headline)
        if !outcome.stoppedBySignal, outcome.error == nil, let damage = (source as? FFmpegFileSource)?.decodeError {
            note("emonet: warning: ffmpeg reported damage in \(job.input) (\(damage)); the results cover the "
                 + "\(stats.framesCaptured) frames it could decode")
        }
        if let stages = outcome.stagesLine { say("emonet: " + stages) }

        try writeOutputs(summary: summary, stats: stats)
        if !job.inBatch {
            for line in summary.lines() { print(line) }
            if let session { try compare(with: session) }
        }
        if let runError = outcome.error {
            let where_ = session.map { "after \($0.framesRead) frames" } ?? "after \(stats.framesProcessed) frames"
            say("emonet: input ended early \(where_); the results up to there were written")
            throw runError
        }
    }

    private func writeOutputs(summary: ResultsSummary, stats: PipelineSummary) throws {
        guard let out = job.out else { return }
        let summaryPath = (out as NSString).appendingPathComponent("summary.json")
        let object = summary.json(input: job.input, pipeline: stats)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: summaryPath)
        let chart = summary.timeline(title: "Emotions over time — \((job.input as NSString).lastPathComponent)")
        let panels = max(1, chart.shownTracks.count)
        let image = chart.render(width: 1400, height: 140 + 190 * panels)
        try ImageFile.writeChartPNG(image, path: (out as NSString).appendingPathComponent("timeline.png"))
        say("emonet: wrote results.jsonl, results.csv, summary.json and timeline.png to \(out)")
    }

    /// A batch row's numbers from the run's summary.
    private static func counts(_ summary: ResultsSummary) -> ReplayCounts {
        let object = summary.json(input: "", pipeline: nil)
        let tracks = summary.tracks()
        var labels = Array(repeating: 0, count: 7)
        for track in tracks { for j in labels.indices { labels[j] += track.labelCounts[j] } }
        let top = labels.indices.max { labels[$0] < labels[$1] }
        let dominant = top.flatMap { labels[$0] > 0 ? EmotionLabel(rawValue: $0)?.description : nil }
        return ReplayCounts(frames: object["frames"] as? Int ?? 0, framesWithFaces: object["frames_with_faces"] as? Int ?? 0,
                            tracks: tracks.count, dominant: dominant)
    }

    /// Says whether this replay reproduces the recording and, if not, what changed.
    private func compare(with session: SessionSource) throws {
        let manifest = session.manifest
        if manifest.state == .recording {
            note("emonet: the session was interrupted while recording (session.json still says \"recording\"); \(session.framesRead) complete frames were replayed")
        }
        let changes = manifest.differences(replayingWith: FileFingerprint.of(path: command.modelOptions.model),
                                           cascade: FileFingerprint.of(path: CascadeLocator.resolve(command.detector.cascade)),
                                           settings: SessionSetup.settings(run.configuration, finder: run.finder))
        for change in changes { print("changed since recording: \(change)") }
        let recorded = (session.directory as NSString).appendingPathComponent(SessionFiles.results)
        guard let replayed = jsonlPath ?? temporaryJSONL else { return }
        let comparison = try ResultsComparison.compare(recorded: recorded, replayed: replayed)
        print(changes.isEmpty ? comparison.line : comparison.line + " (expected: the model or settings changed)")
    }
}
