// The run service: one type owns a pipeline's source from open to close, for `emonet live`, `emonet replay`
// and the pipeline benchmark (the soak and the replay benchmark run the built `emonet`, so they come through
// here too). Its life:
//   init    builds the finder and the classifier from the spec and opens the source: for a file or session
//           they load on another thread while it opens (ffmpeg takes 0.15-0.3 s to its first frame, most of a
//           short clip's replay), for a camera before it is opened (a missing model never touches the device);
//           a load error comes first either way, as if it had loaded first, and closes the source again.
//   prepare the caller's set-up that needs the open source (sinks, a window, a recording): an error there
//           closes the source, since nothing started.
//   start   the pipeline with the caller's sinks (optionally reading through a wrapper of the source, such as
//           a recording's JPEG round trip), and the signal handling: the first SIGINT/SIGTERM stops the run.
//   wait    until the run ends; after any stop request it waits at most `stopGrace` (0.5 s) for the source,
//           then ends without it (`LivePipeline.finishWithoutSource`: the frames read are finished, every sink is
//           told as at the end of a stream). Returns the outcome: summary, error, how it ended.
//   close   stops watching signals.
// The commands keep only what is theirs: their sinks and writers, and a window's loop on the main thread.
import Capture
import Emotion
import FaceDetection
import Foundation
import Pipeline
import Session

public final class PipelineRun {
    public let spec: RunSpec
    /// The opened source (for a session, the session).
    public let source: FrameSource
    /// The session being replayed, when the input is a session directory.
    public let session: SessionSource?
    public let finder: CascadeFaceFinder
    public let classifier: FaceClassifying
    /// The spec's tuning over the session's recorded settings, over the defaults.
    public let configuration: PipelineConfiguration
    public var pipeline: LivePipeline? {
        lock.lock()
        defer { lock.unlock() }
        return started
    }
    private var started: LivePipeline?
    /// `stop()` came before `start()` (a batch stopped while this run was opening): start stops at once.
    private var stopBeforeStart = false
    private let lock = NSLock()
    private var signals: SignalStopper?
    private var sourceClosed = false

    /// Seconds a stop request waits for the source to return before the run ends without it.
    public static let stopGrace = 0.5

    /// Loads the model and the cascade and opens the input; throws with nothing left open.
    public init(_ spec: RunSpec) throws {
        self.spec = spec
        let load = { () throws -> (CascadeFaceFinder, FaceClassifying) in
            (try spec.finder.make(), try Self.classifier(spec.model))
        }
        let loaded: Result<(CascadeFaceFinder, FaceClassifying), Error>
        let opened: Result<(FrameSource, SessionSource?), Error>
        if spec.input.isDevice {
            loaded = Result { try load() }
            if case .failure(let error) = loaded { throw error }
            opened = Result { try Self.open(spec) }
        } else {
            let loading = DispatchGroup()
            nonisolated(unsafe) var result: Result<(CascadeFaceFinder, FaceClassifying), Error>!
            DispatchQueue.global(qos: .userInitiated).async(group: loading) { result = Result { try load() } }
            opened = Result { try Self.open(spec) }
            loading.wait()
            loaded = result
        }
        switch loaded {
        case .success(let pair): (finder, classifier) = pair
        case .failure(let error):
            if case .success(let (source, _)) = opened { source.close() }
            throw error
        }
        (source, session) = try opened.get()
        configuration = spec.tuning.configuration(recorded: session?.manifest.settings)
    }

    private static func classifier(_ model: RunModel) throws -> FaceClassifying {
        switch model {
        case .given(let classifier): return classifier
        case .file(let path, let workers, let int8):
            guard FileManager.default.fileExists(atPath: path) else { throw RunError.modelNotFound(path: path) }
            let model = try EmotionModel.read(path: path)
            return EmotionClassifier(model: model, workers: workers, precision: try model.precision(int8: int8))
        }
    }

    private static func open(_ spec: RunSpec) throws -> (FrameSource, SessionSource?) {
        let video = { (path: String, paced: Bool, size: (width: Int, height: Int)?) throws -> FrameSource in
            try VideoFile.open(path: path, paced: paced, size: size, decoder: spec.videoDecoder, colour: spec.colour,
                               threads: spec.decoderThreads)
        }
        switch spec.input {
        case .camera(let device, let request):
            return (try V4L2Camera(path: device, request: request), nil)
        case .videoFile(let path, let paced, let size):
            return (try video(path, paced, size), nil)
        case .recording(let path, let paced):
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            if exists && isDirectory.boolValue {
                let session = try SessionSource(directory: path, paced: paced)
                return (session, session)
            }
            guard exists else {
                throw CaptureError.unreadableFile(path, reason: "no such file (expected a session directory, a .y4m file or a video)")
            }
            return (try video(path, paced, nil), nil)
        case .source(let source):
            return (source, nil)
        }
    }

    /// Runs the caller's set-up for the open source; if it throws, the source is closed (nothing started).
    public func prepare<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch {
            closeUnstartedSource()
            throw error
        }
    }

    private func closeUnstartedSource() {
        guard pipeline == nil, !sourceClosed else { return }
        sourceClosed = true
        source.close()
    }

    /// Starts the pipeline with `sinks`, reading `reading` (a wrapper of `source`; default the source itself).
    /// Call once.
    @discardableResult
    public func start(sinks: [FrameSink], reading: FrameSource? = nil) -> LivePipeline {
        precondition(pipeline == nil, "PipelineRun.start() called twice")
        let processor = FrameProcessor(finder: finder, classifier: classifier, configuration: configuration)
        let pipeline = LivePipeline(source: reading ?? source, processor: processor, sinks: sinks, dropPolicy: spec.dropPolicy)
        lock.lock()
        started = pipeline
        let stopAtOnce = stopBeforeStart
        lock.unlock()
        if spec.stopsOnSignals { signals = SignalStopper { pipeline.stop() } }
        pipeline.start()
        if stopAtOnce { pipeline.stop() }
        return pipeline
    }

    /// Asks the run to end (the window closed, a benchmark's time is up, a batch was stopped); returns at
    /// once. Any thread; before `start()` it makes the run stop as soon as it starts.
    public func stop() {
        lock.lock()
        let pipeline = started
        if pipeline == nil { stopBeforeStart = true }
        lock.unlock()
        pipeline?.stop()
    }

    /// Waits for the run to end: at the end of the stream or an error, or within `stopGrace` seconds of a
    /// stop request (a signal, `stop()`), ending without a source that does not return by then.
    public func wait() -> RunOutcome {
        guard let pipeline else { preconditionFailure("PipelineRun.wait() before start()") }
        var stopSeen: Double?
        var endedWithoutSource = false
        while !pipeline.waitUntilFinished(timeout: 0.05) {
            guard signals?.fired == true || pipeline.isStopRequested else { continue }
            let now = MonotonicClock.now()
            if stopSeen == nil { stopSeen = now }
            if now - stopSeen! >= Self.stopGrace {
                RunMessages.say(String(format: "%@ did not stop within %.1f s; ending without it", source.description, Self.stopGrace))
                pipeline.finishWithoutSource()
                endedWithoutSource = true
                break
            }
        }
        let error = pipeline.waitUntilFinished()
        return RunOutcome(summary: pipeline.stats.snapshot(), error: error, stoppedBySignal: signals?.fired ?? false,
                          stopRequested: pipeline.isStopRequested, endedWithoutSource: endedWithoutSource)
    }

    /// Stops watching signals (a later Ctrl-C acts as by default). Idempotent; an unstarted source is closed.
    public func close() {
        signals?.cancel()
        signals = nil
        closeUnstartedSource()
    }
}

/// How a run ended.
public struct RunOutcome {
    public var summary: PipelineSummary
    /// The source's or processing's error that ended the run, if any.
    public var error: Error?
    /// A SIGINT/SIGTERM asked the run to stop.
    public var stoppedBySignal: Bool
    /// Someone asked the run to stop (a signal, the window, `stop()`), rather than the stream ending.
    public var stopRequested: Bool
    /// The source did not return within the grace after the stop request; the run ended without it.
    public var endedWithoutSource: Bool

    /// "stopped: …" after a signal, else "finished: …", then the summary line.
    public var headline: String { (stoppedBySignal ? "stopped: " : "finished: ") + summary.line }

    /// Mean milliseconds per frame and stage, when any frame was processed.
    public var stagesLine: String? {
        summary.framesProcessed > 0 ? "mean ms per frame and stage: " + summary.stagesLine : nil
    }
}
