// The work of one `emonet replay`: the run service (RunService's PipelineRun) opens the input and runs it
// through the same pipeline as `emonet live`, in its no-drop mode; this file keeps what is replay's own: the
// result sinks and writers, then the summary, the timeline and, for a session, the comparison with the
// recording. Kept apart from the argument parsing in ReplayCommand.
import Capture
import Display
import FaceDetection
import Foundation
import ImageIO
import Pipeline
import Plot
import RunService
import SafeOutput
import Session

final class ReplayRun {
    let command: Replay
    /// The run service: it owns the input (a session or a video file) from open to close.
    let run: PipelineRun
    let jsonlPath: String?
    let temporaryJSONL: String?
    let csvPath: String?

    init(command: Replay) throws {
        self.command = command
        jsonlPath = command.jsonl ?? command.out.map { ($0 as NSString).appendingPathComponent("results.jsonl") }
        csvPath = command.csv ?? command.out.map { ($0 as NSString).appendingPathComponent("results.csv") }
        try Self.checkOutputs(command: command, jsonl: jsonlPath, csv: csvPath)
        // Detector threads from EMONET_DETECT_THREADS (default: live's); they do not change the boxes, only who
        // computes them.
        let threads = ProcessInfo.processInfo.environment["EMONET_DETECT_THREADS"].flatMap { Int($0) }
        run = try PipelineRun(RunSpec(input: .recording(path: command.input, paced: command.realtime),
                                      model: .file(path: command.modelOptions.model),
                                      finder: command.detector.finderSpec(threads: threads), tuning: command.pipelineOptions.tuning))
        if let out = command.out { try run.prepare { try OutputPlan.makeDirectory(out) } }
        // A session is always checked against its recording, so its lines are written somewhere.
        temporaryJSONL = run.session != nil && jsonlPath == nil
            ? FileManager.default.temporaryDirectory.appendingPathComponent("emonet-replay-\(UUID().uuidString).jsonl").path : nil
    }

    /// Before anything opens: no output over an input (the video, the session's own files, the model,
    /// the cascade), and none over an existing file without --force.
    static func checkOutputs(command: Replay, jsonl: String?, csv: String?) throws {
        var outputs = [jsonl, csv].compactMap { $0 }
        if let out = command.out {
            outputs += ["summary.json", "timeline.png"].map { (out as NSString).appendingPathComponent($0) }
        }
        if let video = command.annotatedVideo { outputs.append(video) }
        var isDirectory: ObjCBool = false
        let inputIsDirectory = FileManager.default.fileExists(atPath: command.input, isDirectory: &isDirectory) && isDirectory.boolValue
        let inputs = (inputIsDirectory ? OutputPlan.files(in: command.input) : [command.input])
            + [command.modelOptions.model, CascadeLocator.resolve(command.detector.cascade)]
        try OutputPlan(inputs: inputs, force: command.output.force).check(outputs)
    }

    func execute() throws {
        defer { run.close() }
        let source = run.source, session = run.session
        let writer = try run.prepare { try ResultsWriter(jsonlPath: jsonlPath ?? temporaryJSONL, csvPath: csvPath) }
        defer { if let temporaryJSONL { try? FileManager.default.removeItem(atPath: temporaryJSONL) } }
        let summary = ResultsSummary()
        var sinks: [FrameSink] = [writer, summary]
        if !command.quiet && !command.window {
            let total = session?.frameCountEstimate
                ?? VideoFrameCount.estimate(path: command.input, width: source.width, height: source.height,
                                            framesPerSecond: source.framesPerSecond,
                                            duration: (source as? FFmpegFileSource)?.durationSeconds)
            sinks.append(ReplayProgressSink(total: total))
        }
        let annotated = try run.prepare {
            try command.annotatedVideo.map {
                try AnnotatedVideoWriter(path: $0, width: source.width, height: source.height, framesPerSecond: source.framesPerSecond)
            }
        }
        if let annotated { sinks.append(annotated) }
        let display = DisplaySink()
        if command.window { sinks.append(display) }
        note("emonet: replaying \(source.description); " + PipelineOptions.describe(run.configuration))

        let liveWindow = try run.prepare {
            command.window ? try LiveWindow(title: "EmoNet replay — \(command.input)", width: source.width, height: source.height) : nil
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
            note("emonet: wrote the annotated video \(annotated.path)")
        }
        note("emonet: " + outcome.headline)
        if !outcome.stoppedBySignal, outcome.error == nil, let damage = (source as? FFmpegFileSource)?.decodeError {
            note("emonet: warning: ffmpeg reported damage in \(command.input) (\(damage)); the results cover the "
                 + "\(stats.framesCaptured) frames it could decode")
        }
        if let stages = outcome.stagesLine { note("emonet: " + stages) }

        try writeOutputs(summary: summary, stats: stats)
        for line in summary.lines() { print(line) }
        if let session { try compare(with: session) }
        if let runError = outcome.error {
            let where_ = session.map { "after \($0.framesRead) frames" } ?? "after \(stats.framesProcessed) frames"
            note("emonet: input ended early \(where_); the results up to there were written")
            throw runError
        }
    }

    private func writeOutputs(summary: ResultsSummary, stats: PipelineSummary) throws {
        guard let out = command.out else { return }
        let summaryPath = (out as NSString).appendingPathComponent("summary.json")
        let object = summary.json(input: command.input, pipeline: stats)
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: summaryPath)
        let chart = summary.timeline(title: "Emotions over time — \((command.input as NSString).lastPathComponent)")
        let panels = max(1, chart.shownTracks.count)
        let image = chart.render(width: 1400, height: 140 + 190 * panels)
        try ImageFile.writePNG(image, path: (out as NSString).appendingPathComponent("timeline.png"))
        note("emonet: wrote results.jsonl, results.csv, summary.json and timeline.png to \(out)")
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
