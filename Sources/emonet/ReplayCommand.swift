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

            A batch replays --jobs inputs at a time (default: the cores this process may use). It is resumable: \
            each input is written to DIR/.<name>.partial and renamed to DIR/<name> only when complete, so running \
            the same command again (after a crash, a SIGKILL, a pod restart) reports the inputs already complete \
            ("done earlier", status ok, their rows kept) without replaying them, replays the others and those that \
            failed, and removes what a killed run left half-written. A folder or batch.csv/json already in DIR is \
            used without --force only when it is this batch's: its batch-entry.json names the same input and the \
            same model, cascade and settings (kept when complete and the input unchanged, else replayed again); \
            anything else there needs --force, and --force replays every input again. \
            --shard I/N replays only the inputs at sorted positions I, I+N, I+2N … of the whole batch (I from \
            $JOB_COMPLETION_INDEX or $SLURM_ARRAY_TASK_ID with --shard auto/N); `emonet merge` combines the \
            shards' --out folders into one batch. See docs/scale.md.
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

    @Option(help: ArgumentHelp("Inputs of a batch replayed at once, 1 to 256 (default: the cores this process may use, \(Replay.availableCores) here).",
                               valueName: "N"))
    var jobs: Int?

    @Option(help: ArgumentHelp("Replay only shard I of N of the batch: the inputs at sorted positions I, I+N, I+2N … (0-based; needs --out). "
                               + "auto/N takes I from $JOB_COMPLETION_INDEX (Kubernetes Indexed Job), else $SLURM_ARRAY_TASK_ID minus "
                               + "$SLURM_ARRAY_TASK_MIN (Slurm array), else $AWS_BATCH_JOB_ARRAY_INDEX.", valueName: "I/N"))
    var shard: String?

    @OptionGroup var output: OutputOptions

    /// The one input of a lone replay (today's behaviour), nil for a batch.
    var loneInput: String? {
        guard manifest == nil, shard == nil, inputs.count == 1 else { return nil }
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
        if let jobs, !Self.jobsRange.contains(jobs) {
            throw ValidationError("--jobs must be in \(Self.jobsRange) (found \(jobs))")
        }
        if shard != nil {
            _ = try resolvedShard()
            if out == nil { throw ValidationError("--shard needs --out DIR: each shard writes its own batch folder, which `emonet merge` combines") }
        }
        if window && ProcessInfo.processInfo.environment["DISPLAY"] == nil && ProcessInfo.processInfo.environment["WAYLAND_DISPLAY"] == nil {
            throw ValidationError("--window needs a display (DISPLAY or WAYLAND_DISPLAY)")
        }
    }

    static let jobsRange = 1...256

    /// The cores this process may run on (its CPU affinity: taskset, a container's cpuset; the
    /// `Cpus_allowed` mask of /proc/self/status), at least 1; else the cores online.
    static var availableCores: Int {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
           let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) {
            let mask = line.dropFirst("Cpus_allowed:".count).filter { $0.isHexDigit }
            let count = mask.reduce(0) { $0 + ($1.hexDigitValue ?? 0).nonzeroBitCount }
            if count > 0 { return count }
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }

    /// --jobs, else the available cores.
    var batchJobs: Int { jobs ?? Self.availableCores }

    /// --shard, with auto resolved from the environment (nil: the whole batch).
    func resolvedShard() throws -> Shard? {
        try shard.map { try Shard.parse($0, environment: ProcessInfo.processInfo.environment) }
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
