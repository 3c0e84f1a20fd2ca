// `emonet replay` with many inputs (BatchInputs says which), `--jobs N` of them at a time in one process:
// the model and the cascade are read once, and each job gets its own classifier (its own buffers, from the
// weights read) and finder (its own scratch planes, from the cascade read), since neither is safe to share
// between threads; a job keeps them for every input it takes, so an input costs only its own opening and
// writing. `--shard I/N` takes every N-th input of the whole sorted batch from I; folder names are given over
// the whole batch first, so shards merged (`emonet merge`) equal an unsharded run.
// Resumable (BatchFolders): each input is replayed into a temporary folder, renamed into place once complete
// with its record; a rerun reports the complete folders of this batch without replaying them and replays the
// rest. Every output is checked before the first input starts. An input that fails (missing, not a video,
// damaged) is a `failed` row and the batch goes on; a repeat of an input is `skipped`, and so is every input
// not started when a SIGINT/SIGTERM stopped the batch (the inputs in progress stop, and their folders are
// dropped). DIR/batch.csv and DIR/batch.json are written atomically at the end. Exit status 1 when any input
// failed.
import ArgumentParser
import Capture
import Emotion
import FaceDetection
import Foundation
import Frames
import Pipeline
import RunService
import SafeOutput
import Session

final class ReplayBatch {
    let command: Replay
    /// The whole batch, sorted and named (every shard's inputs).
    let all: [BatchInput]
    let shard: Shard?
    /// This run's share of `all`, as positions in it.
    let positions: [Int]
    let settings: [String: String]
    private let folders: BatchFolders?

    init(command: Replay) throws {
        self.command = command
        all = try BatchInputs.collect(arguments: command.inputs, manifest: command.manifest, excluding: command.out)
        guard !all.isEmpty else {
            throw CLIMessage("no inputs: \((command.inputs + [command.manifest].compactMap { $0 }).joined(separator: ", ")) "
                             + "holds no session directories or videos (\(BatchInputs.videoExtensions.joined(separator: " ")))")
        }
        let shard = try command.resolvedShard()
        self.shard = shard
        positions = all.indices.filter { shard?.contains(position: $0) ?? true }
        settings = Self.settings(command)
        folders = command.out.map { BatchFolders(out: $0) }
    }

    /// What the results depend on; a folder made with other settings is not this batch's.
    static func settings(_ command: Replay) -> [String: String] {
        let p = command.detector.parameters(over: CascadeFaceFinder.defaultParameters)
        let tuning = command.pipelineOptions.tuning
        return [
            "model_sha256": FileFingerprint.of(path: command.modelOptions.model).sha256 ?? "unreadable",
            "cascade_sha256": FileFingerprint.of(path: CascadeLocator.resolve(command.detector.cascade)).sha256 ?? "unreadable",
            "scale_factor": "\(p.scaleFactor)", "min_neighbors": "\(p.minNeighbors)", "min_size": "\(p.minSize.width)x\(p.minSize.height)",
            "detect_every": tuning.detectEvery.map { "\($0)" } ?? "default",
            "smoothing": tuning.smoothing.map { "\($0)" } ?? "default",
            "views": tuning.views?.rawValue ?? "default",
            "poses": command.detector.poses(default: .multi).rawValue,
            "verifier_sha256": command.detector.verifierPath(default: true).map { FileFingerprint.of(path: $0).sha256 ?? "unreadable" } ?? "off",
        ]
    }

    /// What becomes of one input of this run.
    private enum Plan {
        /// A row without replaying (a repeat, or this batch's complete folder).
        case row(BatchRow, note: String?)
        /// Replay it (`reason`: why an existing folder of this batch is replayed again).
        case replay(reason: String?)
    }

    /// Every input's plan, after checking every output: nothing over an input, and an existing folder or
    /// report only when it is this batch's (or with --force).
    private func plans() throws -> [Plan] {
        let force = command.output.force
        var outputs: [String] = []
        let plans = try positions.map { k -> Plan in
            let input = all[k]
            if let earlier = input.repeatOf {
                return .row(BatchRow(index: k + 1, input: input.path, status: .skipped, error: "the same file as \(earlier), replayed once"), note: nil)
            }
            guard let folders, let folder = input.folder else { return .replay(reason: nil) }
            outputs += ReplayJob(batchInput: input.path, out: folders.final(folder)).outputs
            switch try folders.state(of: folder, input: input.path, settings: settings, force: force) {
            case .absent: return .replay(reason: nil)
            case .redo(let reason): return .replay(reason: reason)
            case .done(var row):
                (row.index, row.output, row.resumed) = (k + 1, folder, true)
                return .row(row, note: "done earlier, not replayed")
            }
        }
        if let out = command.out {
            outputs += BatchInputs.reportNames.map { (out as NSString).appendingPathComponent($0) }
            try checkReports(out: out)
        }
        // Existing files were judged above (per folder, per report); this refuses outputs over an input.
        try OutputPlan(inputs: ReplayRun.readFiles(command: command, inputs: positions.map { all[$0].path }), force: true).check(outputs)
        return plans
    }

    /// batch.csv/batch.json already in --out are replaced only when they are this batch's (an earlier run of
    /// the same command) or with --force.
    private func checkReports(out: String) throws {
        let paths = BatchInputs.reportNames.map { (out as NSString).appendingPathComponent($0) }
        guard !command.output.force, let existing = paths.first(where: { OutputPlan.identity($0) != nil }) else { return }
        let report: BatchReportFile
        switch BatchReportFile.read(directory: out) {
        case .success(let read): report = read
        case .failure(let why): throw CLIMessage("\(existing) already exists and is not this batch's report (\(why.message)); pass --force to replace it")
        }
        let identity = BatchIdentity(of: all, shard: shard)
        // A row is this batch's when its input is (under any spelling) or its folder is one of this batch's
        // (the same inputs given relative to another working directory).
        let inputs = Set(all.map { OutputPlan.canonical($0.path) }), names = Set(all.compactMap(\.folder))
        var other: String?
        if report.settings != settings {
            other = "it was made with other settings"
        } else if let stranger = report.rows.first(where: { !inputs.contains(OutputPlan.canonical($0.input)) && !names.contains($0.output ?? "") }) {
            other = "it lists \(stranger.input), which this batch does not have"
        } else if report.batch.shard != identity.shard {
            other = "it is the report of \(report.batch.shard.map { "shard \($0)" } ?? "an unsharded run"); give each shard its own --out"
        }
        if let other { throw CLIMessage("\(existing) already exists and is not this batch's report: \(other); pass --force to replace it") }
    }

    func execute() throws {
        let plans = try plans()
        var interrupted: Set<String> = []
        if let folders {
            try OutputPlan.makeDirectory(folders.out)
            try folders.lock()
            interrupted = folders.removeLeftovers(of: positions.compactMap { all[$0].folder })
        }
        // An input the last run died in may be one that crashes FFmpeg's libraries: it is decoded by the ffmpeg
        // program this time, so that a crash, if it is one, costs that input and not the batch.
        let isolate = VideoDecoder.programIsInstalled ? interrupted : []
        let toReplay = plans.indices.filter { if case .replay = plans[$0] { return true } else { return false } }
        let progress = BatchProgress(total: plans.count, work: toReplay.count, showsBar: !command.quiet)
        let rows = RowSlots(count: plans.count)
        for (i, plan) in plans.enumerated() {
            guard case .row(let row, let note) = plan else { continue }
            rows.set(i, row)
            progress.finished(line: line(row, done: rows.filled, note: note), frames: nil, replayed: false)
        }
        let stop = BatchStop()
        if !toReplay.isEmpty {
            let workers = try makeWorkers(count: min(command.batchJobs, toReplay.count))
            let signals = SignalStopper { stop.stopAll() }
            let queue = WorkQueue(command.batchJobs > 1 ? Self.largestFirst(toReplay, path: { all[positions[$0]].path }) : toReplay)
            let group = DispatchGroup()
            for worker in workers {
                group.enter()
                let thread = Thread { [self] in
                    while let i = queue.next() {
                        guard case .replay(let reason) = plans[i] else { continue }
                        let isolated = all[positions[i]].folder.map(isolate.contains) ?? false
                        let (row, decoder) = replay(position: positions[i], with: worker, progress: progress, stop: stop, isolated: isolated)
                        rows.set(i, row)
                        var notes = row.status == .ok ? reason.map { ["replayed again: \($0)"] } ?? [] : []
                        if isolated && decoder == .program {
                            notes.append("an earlier run ended during this input: decoded by the ffmpeg program, in its own process")
                        }
                        let note = notes.isEmpty ? nil : notes.joined(separator: "; ")
                        progress.finished(line: line(row, done: rows.filled, note: note), frames: row.counts?.frames, replayed: true)
                    }
                    group.leave()
                }
                thread.stackSize = 8 << 20
                thread.start()
            }
            group.wait()
            signals.cancel()
        }
        progress.end()
        let report = BatchReportFile(batch: BatchIdentity(of: all, shard: shard), settings: settings, rows: rows.all)
        if let out = command.out { try report.write(directory: out) }
        var summary = "batch: " + report.line + (shard.map { " (shard \($0.index)/\($0.count) of \(all.count) inputs)" } ?? "")
        if let out = command.out { summary += "; rows in \((out as NSString).appendingPathComponent("batch.csv")) and batch.json" }
        print(summary)
        if report.failed > 0 || stop.isStopped { throw ExitCode.failure }
    }

    /// A job's own classifier and finder, built from the model and cascade read once for the batch.
    private struct Worker {
        let classifier: EmotionClassifier
        let finder: FinderSpec
        /// Each job's share of the cores for decoding too: with a job per core, FFmpeg's own threads (about
        /// one per core each) only add hand-overs; a lone job keeps FFmpeg's choice.
        let decoderThreads: Int
    }

    private func makeWorkers(count: Int) throws -> [Worker] {
        let modelPath = command.modelOptions.model
        guard FileManager.default.fileExists(atPath: modelPath) else { throw RunError.modelNotFound(path: modelPath) }
        let model = try EmotionModel.read(path: modelPath)
        let precision = try model.precision(int8: command.modelOptions.arithmetic.int8)
        // The cores shared out: results do not depend on the detector's threads, only the speed.
        let threads = ReplayRun.detectThreads ?? max(1, Replay.availableCores / count)
        let loaded = try command.detector.finderSpec(threads: threads).load()
        return try (0..<count).map { _ in
            var finder = command.detector.finderSpec(threads: threads)
            finder.built = try finder.make(from: loaded)
            return Worker(classifier: EmotionClassifier(model: model, precision: precision), finder: finder,
                          decoderThreads: count > 1 ? max(1, Replay.availableCores / count) : 0)
        }
    }

    /// Replays the input at `position` of the whole batch into its temporary folder, then puts the folder
    /// in place with its record (or drops it, when the batch was stopped during the input).
    /// `isolated`: decode it with the ffmpeg program (an earlier run ended during it). Also returns the decoder
    /// FFmpeg's part of the run used (nil for a session or a plain .y4m, or when it did not open).
    private func replay(position k: Int, with worker: Worker, progress: BatchProgress, stop: BatchStop,
                        isolated: Bool) -> (row: BatchRow, decoder: VideoDecoder?) {
        let input = all[k]
        var row = BatchRow(index: k + 1, input: input.path, status: .skipped, error: "not started: the batch was stopped by a signal")
        guard !stop.isStopped else { return (row, nil) }
        let start = MonotonicClock.now()
        let stamp = BatchEntry.stamp(of: input.path)
        let folder = input.folder.flatMap { folders != nil ? $0 : nil }
        let partial = folder.flatMap { folders?.partial($0) }
        var run: ReplayRun?
        var decoder: VideoDecoder?
        do {
            var job = ReplayJob(batchInput: input.path, out: partial, progress: progress.sink())
            if isolated { job.videoDecoder = .program }
            job.decoderThreads = worker.decoderThreads
            run = try ReplayRun(command: command, job: job, model: .given(worker.classifier), finder: worker.finder)
            decoder = (run!.run.source as? FFmpegFileSource)?.decoder
            stop.add(run!.run)
            defer { stop.remove(run!.run) }
            try run!.execute()
            row = BatchRow(index: k + 1, input: input.path, status: .ok, counts: run!.counts, seconds: MonotonicClock.now() - start)
        } catch {
            row = BatchRow(index: k + 1, input: input.path, status: .failed, counts: run?.counts, seconds: MonotonicClock.now() - start,
                           error: CLIErrors.message(error))
        }
        guard let folders, let folder, let partial, OutputPlan.identity(partial) != nil else { return (row, decoder) }
        if run?.stopRequested == true {
            folders.discard(folder)
            (row.status, row.error) = (.failed, "stopped by a signal before its end; its folder was not kept")
            return (row, decoder)
        }
        row.output = folder
        do {
            try BatchEntry(input: input.path, canonicalInput: OutputPlan.canonical(input.path), stamp: stamp, settings: settings, row: row).write(folder: partial)
            try folders.commit(folder)
        } catch {
            folders.discard(folder)
            (row.output, row.status, row.error) = (nil, .failed, CLIErrors.message(error))
        }
        return (row, decoder)
    }

    /// The progress line of one finished input: inputs done / total, what became of it.
    private func line(_ row: BatchRow, done: Int, note: String?) -> String {
        var line = "emonet: [\(done)/\(positions.count)] \(row.status.rawValue) \(row.input)"
        if let counts = row.counts {
            line += String(format: " (%d frames, %d with faces, %d track%@, %.2f s)", counts.frames, counts.framesWithFaces, counts.tracks,
                           counts.tracks == 1 ? "" : "s", row.seconds)
        }
        if let error = row.error { line += ": " + error }
        if let note { line += " — " + note }
        return line
    }
}

extension ReplayBatch {
    /// `items` with the largest inputs first (a file's bytes, a session's frames), ties in their order: with
    /// several jobs, the batch then does not end waiting on a long input that started last. Rows keep the
    /// batch's order whatever the order of work.
    static func largestFirst(_ items: [Int], path: (Int) -> String) -> [Int] {
        let sizes = items.map { BatchInputs.bytes(at: path($0)) }
        return items.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }.map { items[$0] }
    }
}

/// The batch's rows as the jobs finish them, in the batch's order.
private final class RowSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [BatchRow?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ i: Int, _ row: BatchRow) {
        lock.lock()
        slots[i] = row
        lock.unlock()
    }

    var filled: Int {
        lock.lock()
        defer { lock.unlock() }
        return slots.filter { $0 != nil }.count
    }

    var all: [BatchRow] {
        lock.lock()
        defer { lock.unlock() }
        return slots.compactMap { $0 }
    }
}

/// The inputs still to replay, handed out in order to whichever job asks first.
private final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var items: ArraySlice<Int>
    init(_ items: [Int]) { self.items = items[...] }

    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        return items.popFirst()
    }
}

/// The runs in progress, so that one SIGINT/SIGTERM stops them all (and no further input starts).
private final class BatchStop: @unchecked Sendable {
    private let lock = NSLock()
    private var stopped = false
    private var runs: [ObjectIdentifier: PipelineRun] = [:]

    var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    func stopAll() {
        lock.lock()
        stopped = true
        let running = Array(runs.values)
        lock.unlock()
        for run in running { run.stop() }
    }

    /// A run that starts; stopped at once when the batch already is.
    func add(_ run: PipelineRun) {
        lock.lock()
        runs[ObjectIdentifier(run)] = run
        let stopNow = stopped
        lock.unlock()
        if stopNow { run.stop() }
    }

    func remove(_ run: PipelineRun) {
        lock.lock()
        runs[ObjectIdentifier(run)] = nil
        lock.unlock()
    }
}
