// `emonet replay` with many inputs (BatchInputs says which): the model and cascade are loaded once, then
// each input is replayed in turn through the run service with them (RunModel.given, FinderSpec.built), into
// its own folder under --out. Every output of the batch is checked before the first input starts (OutputPlan:
// nothing over an input, nothing existing without --force). An input that fails (missing, not a video,
// damaged) is a `failed` row and the batch goes on; a repeat of an input is `skipped`, and so is every input
// after a SIGINT/SIGTERM stopped the batch. One progress line per input on stderr (inputs done / total);
// DIR/batch.csv and DIR/batch.json (one row per input) are written atomically at the end. Exit status 1
// when any input failed.
import ArgumentParser
import Emotion
import FaceDetection
import Frames
import Foundation
import RunService
import SafeOutput

/// One input's line in batch.csv / batch.json.
struct BatchRow {
    enum Status: String { case ok, failed, skipped }
    var input: String
    /// The input's folder under --out (nil: a skipped input, or no --out).
    var output: String?
    var status: Status
    /// nil when the input never started (it could not be opened, or it was skipped).
    var counts: ReplayCounts?
    var seconds: Double
    var error: String?
}

final class ReplayBatch {
    let command: Replay
    let inputs: [BatchInput]

    init(command: Replay) throws {
        self.command = command
        inputs = try BatchInputs.collect(arguments: command.inputs, manifest: command.manifest, excluding: command.out)
        guard !inputs.isEmpty else {
            throw CLIMessage("no inputs: \((command.inputs + [command.manifest].compactMap { $0 }).joined(separator: ", ")) "
                             + "holds no session directories or videos (\(BatchInputs.videoExtensions.joined(separator: " ")))")
        }
    }

    private func folderPath(_ input: BatchInput) -> String? {
        guard let out = command.out, let folder = input.folder else { return nil }
        return (out as NSString).appendingPathComponent(folder)
    }

    private var reportPaths: [String] {
        guard let out = command.out else { return [] }
        return BatchInputs.reportNames.map { (out as NSString).appendingPathComponent($0) }
    }

    /// Every output of the batch, checked before any work (the --force rule of a lone replay).
    private func checkOutputs() throws {
        let outputs = reportPaths + inputs.flatMap { input -> [String] in
            guard input.repeatOf == nil, let folder = folderPath(input) else { return [] }
            return ReplayJob(batchInput: input.path, out: folder).outputs
        }
        let read = ReplayRun.readFiles(command: command, inputs: inputs.map(\.path))
        try OutputPlan(inputs: read, force: command.output.force).check(outputs)
    }

    func execute() throws {
        try checkOutputs()
        if let out = command.out { try OutputPlan.makeDirectory(out) }
        // Loaded once for every input: the classifier and the finder keep no state between runs.
        let modelPath = command.modelOptions.model
        guard FileManager.default.fileExists(atPath: modelPath) else { throw RunError.modelNotFound(path: modelPath) }
        let classifier = try EmotionClassifier(path: modelPath)
        let finder = try command.detector.finderSpec(threads: ReplayRun.detectThreads).building()

        var rows: [BatchRow] = []
        var stopped = false
        for (index, input) in inputs.enumerated() {
            let row: BatchRow
            if let earlier = input.repeatOf {
                row = BatchRow(input: input.path, status: .skipped, seconds: 0, error: "the same file as \(earlier), replayed once")
            } else if stopped {
                row = BatchRow(input: input.path, status: .skipped, seconds: 0, error: "not started: the batch was stopped by a signal")
            } else {
                let start = MonotonicClock.now()
                let job = ReplayJob(batchInput: input.path, out: folderPath(input))
                var run: ReplayRun?
                do {
                    run = try ReplayRun(command: command, job: job, model: .given(classifier), finder: finder)
                    try run!.execute()
                    let signalled = run!.stoppedBySignal
                    row = BatchRow(input: input.path, output: input.folder, status: signalled ? .failed : .ok, counts: run!.counts,
                                   seconds: MonotonicClock.now() - start, error: signalled ? "stopped by a signal" : nil)
                    stopped = signalled
                } catch {
                    // The folder is named only when the input got as far as making it.
                    let made = job.out.map { FileManager.default.fileExists(atPath: $0) } ?? false
                    row = BatchRow(input: input.path, output: made ? input.folder : nil, status: .failed, counts: run?.counts,
                                   seconds: MonotonicClock.now() - start, error: CLIErrors.message(error))
                }
            }
            rows.append(row)
            report(row, done: index + 1)
        }
        try write(rows)
        let failed = rows.filter { $0.status == .failed }.count, skipped = rows.filter { $0.status == .skipped }.count
        var line = "batch: \(rows.count) inputs, \(rows.count - failed - skipped) ok, \(failed) failed, \(skipped) skipped"
        if let out = command.out { line += "; rows in \((out as NSString).appendingPathComponent("batch.csv")) and batch.json" }
        print(line)
        if failed > 0 || stopped { throw ExitCode.failure }
    }

    /// The progress line of one finished input: inputs done / total, what became of it.
    private func report(_ row: BatchRow, done: Int) {
        var line = "emonet: [\(done)/\(inputs.count)] \(row.status.rawValue) \(row.input)"
        if let counts = row.counts {
            line += String(format: " (%d frames, %d with faces, %d track%@, %.2f s)", counts.frames, counts.framesWithFaces, counts.tracks,
                           counts.tracks == 1 ? "" : "s", row.seconds)
        }
        if let error = row.error { line += ": " + error }
        note(line)
    }

    private func write(_ rows: [BatchRow]) throws {
        guard let out = command.out else { return }
        try AtomicFile.write(Data(BatchReport.csv(rows).utf8), to: (out as NSString).appendingPathComponent("batch.csv"))
        let data = try JSONSerialization.data(withJSONObject: BatchReport.json(rows), options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try AtomicFile.write(data + Data("\n".utf8), to: (out as NSString).appendingPathComponent("batch.json"))
    }
}

/// batch.csv and batch.json: one row per input, in the batch's (sorted) order.
enum BatchReport {
    static let csvHeader = "input,output,status,frames,frames_with_faces,tracks,dominant,seconds,error"

    static func csv(_ rows: [BatchRow]) -> String {
        var text = csvHeader + "\n"
        for row in rows {
            let c = row.counts
            let fields = [row.input, row.output ?? "", row.status.rawValue, c.map { "\($0.frames)" } ?? "",
                          c.map { "\($0.framesWithFaces)" } ?? "", c.map { "\($0.tracks)" } ?? "", c?.dominant ?? "",
                          String(format: "%.3f", row.seconds), row.error ?? ""]
            text += fields.map(quoted).joined(separator: ",") + "\n"
        }
        return text
    }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func json(_ rows: [BatchRow]) -> [String: Any] {
        func count(_ status: BatchRow.Status) -> Int { rows.filter { $0.status == status }.count }
        return [
            "version": 1,
            "inputs": rows.count,
            "ok": count(.ok), "failed": count(.failed), "skipped": count(.skipped),
            "rows": rows.map { row -> [String: Any] in
                [
                    "input": row.input,
                    "output": row.output ?? NSNull(),
                    "status": row.status.rawValue,
                    "frames": row.counts?.frames ?? NSNull(),
                    "frames_with_faces": row.counts?.framesWithFaces ?? NSNull(),
                    "tracks": row.counts?.tracks ?? NSNull(),
                    "dominant": row.counts?.dominant ?? NSNull(),
                    "seconds": (row.seconds * 1000).rounded() / 1000,
                    "error": row.error ?? NSNull(),
                ]
            },
        ]
    }
}
