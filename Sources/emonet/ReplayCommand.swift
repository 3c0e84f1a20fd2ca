// `emonet replay INPUT`: a recorded session, a .y4m file or any video FFmpeg decodes, through exactly the
// live path (LivePipeline + FrameProcessor, with a file or session source) but headless, as fast as
// possible and without dropping frames. Writes results.jsonl, results.csv, summary.json and
// timeline.png to --out (and an annotated MP4 with --annotated-video), prints a summary, and for a session checks the replay against the recording.
// A damaged or truncated input keeps the results up to the damage and ends with an error saying where.
import ArgumentParser
import Capture
import Display
import FaceDetection
import Foundation
import ImageIO
import Pipeline
import Plot
import Session

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Run a recorded session or a video file through the live pipeline, offline.",
        discussion: """
            INPUT is a session directory (from `emonet live --record DIR`), a .y4m file (read natively) or any \
            video FFmpeg can decode. Every frame is processed (none are dropped), as fast as the machine allows \
            unless --realtime. With --out DIR: results.jsonl, results.csv, summary.json and timeline.png. \
            A session is replayed with its recorded settings unless --detect-every/--smoothing/--views say otherwise, \
            and the replay is checked against the recorded results.
            """)

    @Argument(help: "Session directory, .y4m file or video file.")
    var input: String

    @Option(help: "Directory for results.jsonl, results.csv, summary.json and timeline.png (created).")
    var out: String?

    @Flag(help: "Pace frames to their timestamps instead of running as fast as possible.")
    var realtime = false

    @Flag(help: "Show the overlay in a window while replaying.")
    var window = false

    @Option(help: "Write the per-frame JSON lines here (default with --out: DIR/results.jsonl).")
    var jsonl: String?

    @Option(help: "Write the per-face CSV here (default with --out: DIR/results.csv).")
    var csv: String?

    @Option(help: "Emotion model file.")
    var model: String = ModelPaths.defaultModel

    @Option(help: "Cascade XML (default: \(CascadeLocator.defaultFrontalFacePath), or $EMONET_CASCADE).")
    var cascade: String?

    @Option(help: "Full-frame face detection every N frames (default: the session's, else 5).")
    var detectEvery: Int?

    @Option(help: "Weight of the newest frame in the per-face moving average, (0, 1] or 'off' (default: the session's, else 0.4).")
    var smoothing: String?

    @Option(help: "Views of each face classified: alternate (face and mirror on alternate frames, each answer the mean of both), both or single (default: the session's, else alternate).")
    var views: String?

    @Option(help: "Also write an MP4 with the overlay burned in (drawn by the window's renderer; needs FFmpeg).")
    var annotatedVideo: String?

    @Flag(help: "No progress bar.")
    var quiet = false

    func validate() throws {
        if let detectEvery, detectEvery < 1 { throw ValidationError("--detect-every must be 1 or more") }
        if let smoothing, Self.alpha(smoothing) == nil { throw ValidationError("--smoothing must be a number in (0, 1] or 'off'") }
        if let views, FaceViews(rawValue: views) == nil { throw ValidationError("--views must be alternate, both or single (got '\(views)')") }
        if window && ProcessInfo.processInfo.environment["DISPLAY"] == nil && ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] == nil {
            throw ValidationError("--window needs a display (DISPLAY or WAYLAND_DISPLAY)")
        }
    }

    static func alpha(_ text: String) -> Float? {
        if text == "off" { return 1 }
        guard let value = Float(text), value > 0, value <= 1 else { return nil }
        return value
    }

    func run() throws {
        try CLIErrors.reporting {
            let run = try ReplayRun(command: self)
            try run.execute()
        }
    }
}
