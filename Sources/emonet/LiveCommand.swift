// `emonet live`: camera (or a video file, paced to its rate) → detect, track, classify, smooth →
// an SDL window with the overlay, or headless JSON lines on stdout. Ctrl-C (SIGINT/SIGTERM) stops
// cleanly with a summary; an unplugged camera ends the run with a one-line error after the summary.
import ArgumentParser
import Capture
import Display
import FaceDetection
import Foundation
import ImageIO
import Imaging
import Pipeline

struct Live: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Detect faces and their emotions live from a camera or a video file.",
        discussion: """
            With a display (DISPLAY or WAYLAND_DISPLAY) a window shows the video with a box, label and track ID \
            per face (keys: q/Esc quit, space pause, s screenshot, h HUD, b probability bars, f fullscreen, \
            r record). Without one, or with --no-window, one JSON line per processed frame goes to stdout.
            """)

    @Option(help: "Camera device (default: the first capture device).")
    var device: String?

    @Option(help: "Video file to play through the live path instead of a camera (.y4m natively, others via ffmpeg).")
    var input: String?

    @Option(help: "Requested frame size WxH (the camera may choose another; files are scaled).")
    var size: FrameSize = FrameSize(width: 640, height: 480)

    @Option(help: "Requested camera frame rate.")
    var fps: Double = 30

    @Flag(help: "Run headless even when a display is available.")
    var noWindow = false

    // Session feature hook (see LiveRecording.swift).
    @Option(help: "Record a session (frames, per-frame results, session.json) into this new (or empty) directory; replay it with `emonet replay DIR`. A recording that stops early (disk full) keeps what it wrote and makes the run exit with status 1.")
    var record: String?

    @OptionGroup(title: "Tracking and smoothing")
    var pipelineOptions: PipelineOptions

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Detector (the live path's defaults)")
    var detector: DetectorOptions

    @Flag(help: "Headless: print a summary every 5 s instead of a JSON line per frame.")
    var quiet = false

    func validate() throws {
        if device != nil && input != nil { throw ValidationError("give --device or --input, not both") }
        guard fps > 0 && fps <= 240 else { throw ValidationError("--fps must be in (0, 240]") }
    }

    func run() throws {
        try CLIErrors.reporting {
            // Everything that can fail on a missing file fails before a device is opened.
            let classifier = try LiveModel.loadClassifier(path: modelOptions.model)
            let finder = try detector.liveFinder()
            let source = try openSource()
            let configuration = pipelineOptions.configuration()
            let processor = FrameProcessor(finder: finder, classifier: classifier, configuration: configuration)
            // Session feature hook: records with --record and on the `r` key (LiveRecording.swift).
            let recording: LiveRecording
            do {
                recording = try LiveRecording(source: source, directory: record) {
                    SessionSetup.manifest(source: source, modelPath: modelOptions.model, cascadePath: detector.cascade,
                                          configuration: configuration, finder: finder)
                }
            } catch {
                source.close()
                throw error
            }
            let env = ProcessInfo.processInfo.environment
            let windowed = !noWindow && (env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil)

            var sinks: [FrameSink] = []
            let displaySink = DisplaySink()
            var statsProvider: (() -> PipelineSummary)?
            if windowed {
                sinks.append(displaySink)
            } else if quiet {
                sinks.append(PeriodicSummarySink { statsProvider?() ?? PipelineSummary() })
            } else {
                sinks.append(JSONLinesSink())
            }
            let pipeline = LivePipeline(source: recording.source, processor: processor, sinks: sinks + [recording])
            statsProvider = { pipeline.stats.snapshot() }
            LiveMessages.say("reading \(source.description); " + PipelineOptions.describe(configuration))
            if !windowed {
                LiveMessages.say(quiet ? "headless: a summary every 5 s on stderr" : "headless: one JSON line per frame on stdout")
            }

            // The window first: if it cannot open, nothing has started yet.
            var window: LiveWindow?
            if windowed {
                do {
                    window = try makeWindow(title: "EmoNet — \(source.description)", source: source)
                    window?.onRecordToggle = recording.toggle  // Session feature hook
                } catch {
                    source.close()
                    throw error
                }
            }
            let signals = SignalStopper { pipeline.stop() }
            pipeline.start()
            if let window {
                let userQuit: Bool
                do { userQuit = try window.run(sink: displaySink, stats: pipeline.stats) } catch {
                    pipeline.stop()
                    pipeline.waitUntilFinished()
                    throw error
                }
                if userQuit { pipeline.stop() }
            }
            // A source may not return (a stalled camera or pipe): after a stop request the run waits for it
            // at most SignalStopper.stopGrace seconds, then ends without it.
            if !signals.waitForStop(of: pipeline) {
                LiveMessages.say(String(format: "%@ did not stop within %.1f s; ending without it", source.description, SignalStopper.stopGrace))
                pipeline.finishWithoutSource()
            }
            let error = pipeline.waitUntilFinished()
            let recordingFailure = recording.finish()  // Session feature hook
            signals.cancel()
            let summary = pipeline.stats.snapshot()
            LiveMessages.say((signals.fired ? "stopped: " : "finished: ") + summary.line)
            if summary.framesProcessed > 0 { LiveMessages.say("mean ms per frame and stage: " + summary.stagesLine) }
            if let error {
                if let recordingFailure { LiveMessages.say((recordingFailure as? LocalizedError)?.errorDescription ?? "\(recordingFailure)") }
                throw error
            }
            // A recording that stopped early is a failed run, after what it kept was saved and named above.
            if let recordingFailure { throw recordingFailure }
        }
    }

    private func makeWindow(title: String, source: FrameSource) throws -> LiveWindow {
        let window = try LiveWindow(title: title, width: source.width, height: source.height)
        window.onScreenshot = { image in
            // A new file each time: two screenshots in one second do not replace each other.
            let stamp = "emonet-screenshot-\(Int(Date().timeIntervalSince1970))"
            var path = stamp + ".png"
            var k = 1
            while FileManager.default.fileExists(atPath: path) {
                k += 1
                path = "\(stamp)-\(k).png"
            }
            do {
                try ImageFile.writePNG(image, path: path)
                LiveMessages.say("screenshot saved to \(path)")
            } catch {
                LiveMessages.say("screenshot failed: \(error.localizedDescription)")
            }
        }
        return window
    }

    private func openSource() throws -> FrameSource {
        if let input {
            return try VideoFile.open(path: input, paced: true, size: (size.width, size.height))
        }
        return try V4L2Camera(path: device, request: .init(width: size.width, height: size.height, framesPerSecond: fps))
    }
}

/// `--size WxH`.
struct FrameSize: ExpressibleByArgument {
    var width: Int
    var height: Int

    init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts[0] >= 16, parts[1] >= 16, parts[0] <= 8192, parts[1] <= 8192 else { return nil }
        self.init(width: parts[0], height: parts[1])
    }

    var defaultValueDescription: String { "\(width)x\(height)" }
}

/// Turns SIGINT and SIGTERM into one call of `stop` (a second Ctrl-C exits at once), and bounds how long a
/// run then waits for its source.
final class SignalStopper: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(stop: @escaping () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                count += 1
                let first = count == 1
                lock.unlock()
                if first {
                    LiveMessages.say("stopping…")
                    stop()
                } else {
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    var fired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }

    /// Seconds a stop request waits for the source to return before the run ends without it.
    static let stopGrace = 0.5

    /// Waits for `pipeline` to finish; false when a stop was requested (a signal, the window closed, an
    /// error) and it had not finished `stopGrace` seconds later (then `finishWithoutSource()` ends it).
    func waitForStop(of pipeline: LivePipeline) -> Bool {
        var stopSeen: Double?
        while !pipeline.waitUntilFinished(timeout: 0.05) {
            guard fired || pipeline.isStopRequested else { continue }
            let now = MonotonicClock.now()
            if stopSeen == nil { stopSeen = now }
            if now - stopSeen! >= Self.stopGrace { return false }
        }
        return true
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
