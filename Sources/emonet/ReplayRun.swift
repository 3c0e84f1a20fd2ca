// The work of one `emonet replay`: open the input, build the same processor as `emonet live`, run the
// pipeline in its no-drop mode with the result sinks, then write the summary, the timeline and, for a
// session, the comparison with the recording. Kept apart from the argument parsing in ReplayCommand.
import Capture
import Display
import FaceDetection
import Foundation
import ImageIO
import Pipeline
import Plot
import SafeOutput
import Session

final class ReplayRun {
    let command: Replay
    let source: FrameSource
    let session: SessionSource?
    let processor: FrameProcessor
    let configuration: PipelineConfiguration
    let finder: CascadeFaceFinder
    let jsonlPath: String?
    let temporaryJSONL: String?
    let csvPath: String?

    init(command: Replay) throws {
        self.command = command
        jsonlPath = command.jsonl ?? command.out.map { ($0 as NSString).appendingPathComponent("results.jsonl") }
        csvPath = command.csv ?? command.out.map { ($0 as NSString).appendingPathComponent("results.csv") }
        try Self.checkOutputs(command: command, jsonl: jsonlPath, csv: csvPath)
        // The model and cascade load on another thread while the input opens (ffmpeg takes 0.15-0.3 s to
        // its first frame here): a short clip's replay is mostly start-up. Their errors come first, as if
        // they had loaded first, and the input is closed again.
        let loading = DispatchGroup()
        nonisolated(unsafe) var loaded: Result<(FaceClassifying, CascadeFaceFinder), Error>!
        DispatchQueue.global(qos: .userInitiated).async(group: loading) {
            loaded = Result { (try LiveModel.loadClassifier(path: command.modelOptions.model), try Self.replayFinder(command.detector)) }
        }
        let opened = Result { () throws -> (FrameSource, SessionSource?) in
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: command.input, isDirectory: &isDirectory)
            if exists && isDirectory.boolValue {
                let session = try SessionSource(directory: command.input, paced: command.realtime)
                return (session, session)
            }
            guard exists else { throw CaptureError.unreadableFile(command.input, reason: "no such file (expected a session directory, a .y4m file or a video)") }
            return (try VideoFile.open(path: command.input, paced: command.realtime), nil)
        }
        loading.wait()
        let classifier: FaceClassifying
        switch loaded! {
        case .success(let pair): (classifier, finder) = pair
        case .failure(let error):
            if case .success(let (source, _)) = opened { source.close() }
            throw error
        }
        (source, session) = try opened.get()
        configuration = command.pipelineOptions.configuration(recorded: session?.manifest.settings)
        processor = FrameProcessor(finder: finder, classifier: classifier, configuration: configuration)

        if let out = command.out {
            do {
                try OutputPlan.makeDirectory(out)
            } catch {
                source.close()
                throw error
            }
        }
        // A session is always checked against its recording, so its lines are written somewhere.
        temporaryJSONL = session != nil && jsonlPath == nil
            ? FileManager.default.temporaryDirectory.appendingPathComponent("emonet-replay-\(UUID().uuidString).jsonl").path : nil
    }

    /// The live finder (with the detector options given), its threads set by EMONET_DETECT_THREADS
    /// (default: live's). Threads do not change the boxes, only who computes them.
    static func replayFinder(_ options: DetectorOptions) throws -> CascadeFaceFinder {
        try options.liveFinder(threads: ProcessInfo.processInfo.environment["EMONET_DETECT_THREADS"].flatMap { Int($0) })
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
        let writer: ResultsWriter
        do {
            writer = try ResultsWriter(jsonlPath: jsonlPath ?? temporaryJSONL, csvPath: csvPath)
        } catch {
            source.close()
            throw error
        }
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
        var annotated: AnnotatedVideoWriter?
        if let path = command.annotatedVideo {
            do {
                annotated = try AnnotatedVideoWriter(path: path, width: source.width, height: source.height,
                                                     framesPerSecond: source.framesPerSecond)
            } catch {
                source.close()
                throw error
            }
            sinks.append(annotated!)
        }
        let display = DisplaySink()
        if command.window { sinks.append(display) }
        let pipeline = LivePipeline(source: source, processor: processor, sinks: sinks, dropPolicy: .waitForProcessing)
        note("emonet: replaying \(source.description); " + PipelineOptions.describe(configuration))

        var liveWindow: LiveWindow?
        if command.window {
            do { liveWindow = try LiveWindow(title: "EmoNet replay — \(command.input)", width: source.width, height: source.height) } catch {
                source.close()
                throw error
            }
        }
        let signals = SignalStopper { pipeline.stop() }
        pipeline.start()
        if let liveWindow {
            if (try? liveWindow.run(sink: display, stats: pipeline.stats)) ?? true { pipeline.stop() }
        }
        if !signals.waitForStop(of: pipeline) {
            note(String(format: "emonet: %@ did not stop within %.1f s; ending without it", source.description, SignalStopper.stopGrace))
            pipeline.finishWithoutSource()
        }
        let runError = pipeline.waitUntilFinished()
        signals.cancel()
        let stats = pipeline.stats.snapshot()
        try writer.close()
        if let annotated {
            try annotated.close()
            note("emonet: wrote the annotated video \(annotated.path)")
        }
        note("emonet: " + (signals.fired ? "stopped: " : "finished: ") + stats.line)
        if !signals.fired, runError == nil, let damage = (source as? FFmpegFileSource)?.decodeError {
            note("emonet: warning: ffmpeg reported damage in \(command.input) (\(damage)); the results cover the "
                 + "\(stats.framesCaptured) frames it could decode")
        }
        if stats.framesProcessed > 0 { note("emonet: mean ms per frame and stage: " + stats.stagesLine) }

        try writeOutputs(summary: summary, stats: stats)
        for line in summary.lines() { print(line) }
        if let session { try compare(with: session) }
        if let runError {
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
                                           settings: SessionSetup.settings(configuration, finder: finder))
        for change in changes { print("changed since recording: \(change)") }
        let recorded = (session.directory as NSString).appendingPathComponent(SessionFiles.results)
        guard let replayed = jsonlPath ?? temporaryJSONL else { return }
        let comparison = try ResultsComparison.compare(recorded: recorded, replayed: replayed)
        print(changes.isEmpty ? comparison.line : comparison.line + " (expected: the model or settings changed)")
    }
}
