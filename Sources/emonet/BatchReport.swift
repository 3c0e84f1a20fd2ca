// batch.csv and batch.json: one row per input, in the batch's (sorted) order. batch.json also says which
// batch it is (an id over the whole batch's sorted inputs and folder names, its size, and the shard when
// it is one), with which settings, so that a rerun knows its own report and `emonet merge` can check that
// its shards belong together and are all there. Both are written atomically (SafeOutput) at the end.
import ArgumentParser
import Foundation
import SafeOutput

/// One input's line in batch.csv / batch.json.
struct BatchRow: Codable, Equatable {
    enum Status: String, Codable { case ok, failed, skipped }
    /// 1-based position in the whole batch (the same in a shard and in an unsharded run).
    var index: Int
    var input: String
    /// The input's folder under --out (nil: a skipped input, one that never opened, or no --out).
    var output: String?
    var status: Status
    /// nil when the input never started (it could not be opened, or it was skipped).
    var counts: ReplayCounts?
    var seconds: Double
    var error: String?
    /// The row comes from the folder an earlier run of this batch completed (nothing was replayed).
    var resumed = false

    private enum Keys: String, CodingKey {
        case index, input, output, status, frames, framesWithFaces = "frames_with_faces", tracks, dominant, seconds, error, resumed
    }

    init(index: Int, input: String, output: String? = nil, status: Status, counts: ReplayCounts? = nil, seconds: Double = 0,
         error: String? = nil) {
        (self.index, self.input, self.output, self.status, self.counts, self.seconds, self.error) =
            (index, input, output, status, counts, seconds, error)
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        index = try c.decode(Int.self, forKey: .index)
        input = try c.decode(String.self, forKey: .input)
        output = try c.decodeIfPresent(String.self, forKey: .output)
        status = try c.decode(Status.self, forKey: .status)
        if let frames = try c.decodeIfPresent(Int.self, forKey: .frames) {
            counts = ReplayCounts(frames: frames, framesWithFaces: try c.decode(Int.self, forKey: .framesWithFaces),
                                  tracks: try c.decode(Int.self, forKey: .tracks), dominant: try c.decodeIfPresent(String.self, forKey: .dominant))
        }
        seconds = try c.decode(Double.self, forKey: .seconds)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        resumed = try c.decodeIfPresent(Bool.self, forKey: .resumed) ?? false
    }

    /// Every key, absent values as null (scripts read the same keys on every row).
    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(index, forKey: .index)
        try c.encode(input, forKey: .input)
        try c.encode(output, forKey: .output)
        try c.encode(status, forKey: .status)
        try c.encode(counts?.frames, forKey: .frames)
        try c.encode(counts?.framesWithFaces, forKey: .framesWithFaces)
        try c.encode(counts?.tracks, forKey: .tracks)
        try c.encode(counts?.dominant, forKey: .dominant)
        try c.encode((seconds * 1000).rounded() / 1000, forKey: .seconds)
        try c.encode(error, forKey: .error)
        try c.encode(resumed, forKey: .resumed)
    }
}

/// Which batch a report belongs to.
struct BatchIdentity: Codable, Equatable {
    /// FNV-1a (64 bits, hex) over the whole batch's sorted inputs and their folders.
    var id: String
    /// Inputs in the whole batch (all shards).
    var inputs: Int
    /// "I/N" for a shard; absent for a whole batch.
    var shard: String?

    init(of all: [BatchInput], shard: Shard?) {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for input in all {
            for byte in Array((input.path + "\u{0}" + (input.folder ?? "") + "\u{0}").utf8) {
                hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            }
        }
        id = String(hash, radix: 16)
        inputs = all.count
        self.shard = shard.map { "\($0.index)/\($0.count)" }
    }
}

/// batch.json.
struct BatchReportFile: Codable {
    static let format = "emonet-batch"
    var format = BatchReportFile.format
    var version = 2
    var batch: BatchIdentity
    /// What the results depend on (model and cascade digests, detector and tracking settings).
    var settings: [String: String]
    var inputs: Int
    var ok: Int
    var failed: Int
    var skipped: Int
    var resumed: Int
    var rows: [BatchRow]

    init(batch: BatchIdentity, settings: [String: String], rows: [BatchRow]) {
        self.batch = batch
        self.settings = settings
        self.rows = rows
        inputs = rows.count
        ok = rows.filter { $0.status == .ok }.count
        failed = rows.filter { $0.status == .failed }.count
        skipped = rows.filter { $0.status == .skipped }.count
        resumed = rows.filter(\.resumed).count
    }

    /// The report in `directory`, or why it is not one (missing, unreadable, another format).
    static func read(directory: String) -> Result<BatchReportFile, CLIMessage> {
        let path = (directory as NSString).appendingPathComponent("batch.json")
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(CLIMessage("\(path): no such file (expected the batch.json of an emonet replay --out DIR)"))
        }
        guard data.count < 256 << 20 else { return .failure(CLIMessage("\(path) is larger than 256 MiB (expected a batch report)")) }
        do {
            let report = try JSONDecoder().decode(BatchReportFile.self, from: data)
            guard report.format == format else { throw CLIMessage("format is \(report.format)") }
            return .success(report)
        } catch {
            return .failure(CLIMessage("\(path) is not an emonet batch report (\(CLIErrors.message(error)))"))
        }
    }

    /// batch.csv and batch.json in `directory`, atomically.
    func write(directory: String) throws {
        try AtomicFile.write(Data(BatchReport.csv(rows).utf8), to: (directory as NSString).appendingPathComponent("batch.csv"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(self) + Data("\n".utf8), to: (directory as NSString).appendingPathComponent("batch.json"))
    }

    /// "N inputs, N ok (N done earlier), N failed, N skipped".
    var line: String {
        "\(inputs) inputs, \(ok) ok" + (resumed > 0 ? " (\(resumed) done earlier)" : "") + ", \(failed) failed, \(skipped) skipped"
    }
}

/// batch.csv.
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
}

/// `--shard I/N`: the inputs at sorted positions I, I+N, I+2N … (0-based) of the whole batch.
struct Shard: Equatable {
    var index: Int
    var count: Int

    func contains(position: Int) -> Bool { position % count == index }

    /// "I/N" or "auto/N" (I from $JOB_COMPLETION_INDEX, Kubernetes; $SLURM_ARRAY_TASK_ID minus
    /// $SLURM_ARRAY_TASK_MIN, Slurm; $AWS_BATCH_JOB_ARRAY_INDEX, AWS Batch).
    static func parse(_ text: String, environment: [String: String]) throws -> Shard {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let count = Int(parts[1]), count >= 1, count <= 1_000_000 else {
            throw ValidationError("--shard must be I/N with N in 1...1000000 and I in 0..<N, or auto/N (found '\(text)')")
        }
        let index: Int
        if parts[0] == "auto" {
            if let value = environment["JOB_COMPLETION_INDEX"] {
                guard let i = Int(value) else { throw ValidationError("--shard auto: $JOB_COMPLETION_INDEX is '\(value)', expected a number") }
                index = i
            } else if let value = environment["SLURM_ARRAY_TASK_ID"] {
                let minimum = environment["SLURM_ARRAY_TASK_MIN"] ?? "0"
                guard let i = Int(value), let m = Int(minimum) else {
                    throw ValidationError("--shard auto: $SLURM_ARRAY_TASK_ID is '\(value)' and $SLURM_ARRAY_TASK_MIN '\(minimum)', expected numbers")
                }
                index = i - m
            } else if let value = environment["AWS_BATCH_JOB_ARRAY_INDEX"] {
                guard let i = Int(value) else { throw ValidationError("--shard auto: $AWS_BATCH_JOB_ARRAY_INDEX is '\(value)', expected a number") }
                index = i
            } else {
                throw ValidationError("--shard auto/\(count): none of $JOB_COMPLETION_INDEX, $SLURM_ARRAY_TASK_ID or "
                                      + "$AWS_BATCH_JOB_ARRAY_INDEX is set; give the shard as I/\(count)")
            }
        } else {
            guard let i = Int(parts[0]) else {
                throw ValidationError("--shard must be I/N with N in 1...1000000 and I in 0..<N, or auto/N (found '\(text)')")
            }
            index = i
        }
        guard (0..<count).contains(index) else {
            throw ValidationError("--shard \(text): the shard index \(index) is not in 0..<\(count)"
                                  + (parts[0] == "auto" ? " (Slurm: --array=0-\(count - 1), or any range of \(count) tasks)" : ""))
        }
        return Shard(index: index, count: count)
    }
}
