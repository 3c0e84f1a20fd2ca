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
import RunService

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

    @Option(help: ArgumentHelp(
        "Frame size WxH. A camera is asked for it (default 640x480; it may choose another). A video file keeps its own size unless this is given; then its picture is scaled to fit inside it, keeping its shape, with black bars (never stretched).",
        valueName: "WxH"))
    var size: FrameSize?

    /// What a camera is asked for when --size is not given.
    static let defaultCameraSize = FrameSize(width: 640, height: 480)

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
            // The run service loads the model and cascade, then opens the camera or file, and owns it to the end.
            let run = try PipelineRun(RunSpec(input: runInput(), model: .file(path: modelOptions.model, int8: modelOptions.arithmetic.int8),
                                              finder: detector.finderSpec(), tuning: pipelineOptions.tuning))
            defer { run.close() }
            let source = run.source
            // Session feature hook: records with --record and on the `r` key (LiveRecording.swift).
            let recording = try run.prepare {
                try LiveRecording(source: source, directory: record) {
                    SessionSetup.manifest(source: source, modelPath: modelOptions.model, cascadePath: detector.cascade,
                                          configuration: run.configuration, finder: run.finder)
                }
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
            RunMessages.say("reading \(source.description); " + PipelineOptions.describe(run.configuration))
            if !windowed {
                RunMessages.say(quiet ? "headless: a summary every 5 s on stderr" : "headless: one JSON line per frame on stdout")
            }

            // The window first: if it cannot open, nothing has started yet.
            let window = try run.prepare { () throws -> LiveWindow? in
                guard windowed else { return nil }
                let window = try makeWindow(title: "EmoNet — \(source.description)", source: source)
                window.onRecordToggle = recording.toggle  // Session feature hook
                return window
            }
            let pipeline = run.start(sinks: sinks + [recording], reading: recording.source)
            statsProvider = { pipeline.stats.snapshot() }
            if let window {
                let userQuit: Bool
                do { userQuit = try window.run(sink: displaySink, stats: pipeline.stats) } catch {
                    run.stop()
                    _ = run.wait()
                    throw error
                }
                if userQuit { run.stop() }
            }
            // A source may not return (a stalled camera or pipe): after a stop request the run waits for it
            // at most PipelineRun.stopGrace seconds, then ends without it.
            let outcome = run.wait()
            let recordingFailure = recording.finish()  // Session feature hook
            run.close()
            RunMessages.say(outcome.headline)
            if let stages = outcome.stagesLine { RunMessages.say(stages) }
            if let error = outcome.error {
                if let recordingFailure { RunMessages.say((recordingFailure as? LocalizedError)?.errorDescription ?? "\(recordingFailure)") }
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
                RunMessages.say("screenshot saved to \(path)")
            } catch {
                RunMessages.say("screenshot failed: \(error.localizedDescription)")
            }
        }
        return window
    }

    private func runInput() -> RunInput {
        if let input { return .videoFile(path: input, paced: true, size: size.map { ($0.width, $0.height) }) }
        let request = size ?? Self.defaultCameraSize
        return .camera(device: device, request: .init(width: request.width, height: request.height, framesPerSecond: fps))
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

