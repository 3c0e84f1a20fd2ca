// `emonet replay INPUT`: a recorded session, a .y4m file or any video FFmpeg decodes, through exactly the
// live path (LivePipeline + FrameProcessor, with a file or session source) but headless, as fast as
// possible and without dropping frames. Writes results.jsonl, results.csv, summary.json and
// timeline.png to --out (and an annotated MP4 with --annotated-video), prints a summary, and for a session checks the replay against the recording.
// A damaged or truncated input keeps the results up to the damage and ends with an error saying where.
// Several inputs (files, directories searched for videos and sessions, --manifest lists) are one batch run
// (ReplayBatch): the model and cascade load once, each input gets its own folder under --out, and
// batch.csv/batch.json hold one row per input. One input that is a file or a session is today's lone replay.
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

            Many inputs, one run: several INPUTs, a directory that is not a session (searched, sorted, for \
            session directories and videos: \(BatchInputs.videoExtensions.joined(separator: " ")), any case; \
            hidden entries skipped) and/or --manifest FILE (one path per line; blank lines and # comments ignored). \
            The model and cascade load once. With --out DIR each input's results go to DIR/<file name> \
            (-2, -3 … for repeated names, in sorted input order) and DIR/batch.csv, DIR/batch.json hold one row \
            per input. A failed input does not stop the others; the exit status is 1 when any failed.
            """)

    @Argument(help: "Session directories, .y4m files, video files, or directories to search for them.")
    var inputs: [String] = []

    @Option(help: "A file listing inputs, one path per line (blank lines and # comments ignored; relative paths are relative to the manifest's folder).")
    var manifest: String?

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

    /// The one input of a lone replay (today's behaviour), nil for a batch.
    var loneInput: String? {
        guard manifest == nil, inputs.count == 1 else { return nil }
        return BatchInputs.isSearchedDirectory(inputs[0]) ? nil : inputs[0]
    }

    func validate() throws {
        if inputs.isEmpty && manifest == nil {
            throw ValidationError("give an INPUT (a session directory, a video file or a directory of them) or --manifest FILE")
        }
        if loneInput == nil {
            for (given, name) in [(jsonl, "--jsonl"), (csv, "--csv"), (annotatedVideo, "--annotated-video")] where given != nil {
                throw ValidationError("\(name) is for one input; a batch writes each input's files into its folder under --out")
            }
            if window { throw ValidationError("--window is for one input, not a batch") }
        }
        if window && ProcessInfo.processInfo.environment["DISPLAY"] == nil && ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] == nil {
            throw ValidationError("--window needs a display (DISPLAY or WAYLAND_DISPLAY)")
        }
    }

    func run() throws {
        try CLIErrors.reporting {
            if let input = loneInput {
                let run = try ReplayRun(command: self, input: input)
                try run.execute()
            } else {
                try ReplayBatch(command: self).execute()
            }
        }
    }
}
