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
            and the replay is checked against the recorded results. Outputs that exist are replaced only with --force, \
            an output that is one of the inputs (e.g. --out the session directory itself) never; each is written \
            under a temporary name and put in place at the end, so a failed write keeps the previous file.
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

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Detector (the live path's defaults)")
    var detector: DetectorOptions

    @OptionGroup(title: "Tracking and smoothing (default: a session's recorded settings, else live's)")
    var pipelineOptions: PipelineOptions

    @Option(help: "Also write an MP4 with the overlay burned in (drawn by the window's renderer; needs FFmpeg).")
    var annotatedVideo: String?

    @Flag(help: "No progress bar.")
    var quiet = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        try detector.requireFrontal(command: "replay")
        if window && ProcessInfo.processInfo.environment["DISPLAY"] == nil && ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] == nil {
            throw ValidationError("--window needs a display (DISPLAY or WAYLAND_DISPLAY)")
        }
    }

    func run() throws {
        try CLIErrors.reporting {
            let run = try ReplayRun(command: self)
            try run.execute()
        }
    }
}
