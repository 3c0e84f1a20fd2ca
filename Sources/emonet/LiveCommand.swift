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
    @Option(help: "Record a session (frames, per-frame results, session.json) into this new directory; replay it with `emonet replay DIR`.")
    var record: String?

    @Option(help: "Full-frame face detection every N frames; in between only around tracked faces.")
    var detectEvery: Int = 5

    @Option(help: "Weight of the newest frame in the per-face moving average, in (0, 1]; 1 or 'off' = raw.")
    var smoothing: String = "0.4"

    @Option(help: "Views of each face classified: alternate (the face and its mirror on alternate frames, each answer the mean of both: flip TTA at no extra cost), both (both every frame, twice the work) or single.")
    var views: String = FaceViews.alternate.rawValue

    @Option(help: "Cascade XML (default: \(CascadeLocator.defaultFrontalFacePath), or $EMONET_CASCADE).")
    var cascade: String?

    @Option(help: "Emotion model file.")
    var model: String = ModelPaths.defaultModel

    @Flag(help: "Headless: print a summary every 5 s instead of a JSON line per frame.")
    var quiet = false

    func validate() throws {
        if device != nil && input != nil { throw ValidationError("give --device or --input, not both") }
        guard fps > 0 && fps <= 240 else { throw ValidationError("--fps must be in (0, 240]") }
        guard detectEvery >= 1 else { throw ValidationError("--detect-every must be 1 or more") }
        guard smoothingAlpha != nil else { throw ValidationError("--smoothing must be a number in (0, 1] or 'off'") }
        guard FaceViews(rawValue: views) != nil else { throw ValidationError("--views must be alternate, both or single (got '\(views)')") }
    }

    var smoothingAlpha: Float? {
        if smoothing == "off" { return 1 }
        guard let value = Float(smoothing), value > 0, value <= 1 else { return nil }
        return value
    }

    func run() throws {
        try CLIErrors.reporting {
            // Everything that can fail on a missing file fails before a device is opened.
            let classifier = try LiveModel.loadClassifier(path: model)
            let finder = CascadeFaceFinder(detector: FaceDetector(cascade: try CascadeLocator.load(path: cascade)))
            let source = try openSource()
            let configuration = PipelineConfiguration(detectEvery: detectEvery, smoothing: smoothingAlpha ?? 0.4,
                                                      views: FaceViews(rawValue: views)!)
            let processor = FrameProcessor(finder: finder, classifier: classifier, configuration: configuration)
            // Session feature hook: records with --record and on the `r` key (LiveRecording.swift).
            let recording: LiveRecording
            do {
                recording = try LiveRecording(source: source, directory: record) {
                    SessionSetup.manifest(source: source, modelPath: model, cascadePath: cascade, configuration: configuration, finder: finder)
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
            LiveMessages.say("reading \(source.description); detect every \(detectEvery) frames, smoothing \(smoothing), \(views) face views")
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
            let error = pipeline.waitUntilFinished()
            recording.finish()  // Session feature hook
            signals.cancel()
            let summary = pipeline.stats.snapshot()
            LiveMessages.say((signals.fired ? "stopped: " : "finished: ") + summary.line)
            if summary.framesProcessed > 0 { LiveMessages.say("mean ms per frame and stage: " + summary.stagesLine) }
            if let error { throw error }
        }
    }

    private func makeWindow(title: String, source: FrameSource) throws -> LiveWindow {
        let window = try LiveWindow(title: title, width: source.width, height: source.height)
        window.onScreenshot = { image in
            let path = "emonet-screenshot-\(Int(Date().timeIntervalSince1970)).png"
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

/// Turns SIGINT and SIGTERM into one call of `stop` (a second Ctrl-C exits at once).
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

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
