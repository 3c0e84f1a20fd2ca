// Writes results as they are produced: JSON Lines (the exact lines `emonet live` prints) and a CSV with
// one row per face (frame, time, track, box, the seven probabilities, label, confidence). A frame with
// no face has a JSON line but no CSV row. Invariants: rows are in frame order; each file is written under
// a temporary name beside its target, created at start (an unwritable path fails before the run), and
// renamed into place when the run ends (`close()`); a write error is kept and reported at the end, and
// then neither file is put in place: whatever was at the targets before stays whole.
import Foundation
import Frames
import SafeOutput

public final class ResultsWriter: FrameSink, @unchecked Sendable {
    public static let csvHeader = (["frame", "time", "track", "x", "y", "width", "height", "angle", "pose"] + EmotionLabel.names
        + ["label", "confidence"]).joined(separator: ",")

    private var jsonl: BufferedFile?
    private var csv: BufferedFile?
    private let lock = NSLock()
    private var firstError: Error?

    /// Starts the files that are given (under temporary names until `close()`).
    public init(jsonlPath: String?, csvPath: String?) throws {
        if let jsonlPath { jsonl = try BufferedFile(path: jsonlPath) }
        if let csvPath {
            csv = try BufferedFile(path: csvPath)
            try csv?.write(Self.csvHeader + "\n")
        }
    }

    /// The CSV rows of one result (none when it has no faces).
    public static func csvRows(_ result: FrameResult) -> [String] {
        result.faces.map { face in
            var fields = [String(result.frameIndex), Self.number(result.time), String(face.track),
                          String(face.box.x), String(face.box.y), String(face.box.width), String(face.box.height),
                          Self.number(face.angle), face.pose.rawValue]
            fields += face.probabilities.map { Self.number(Double($0)) }
            fields += [face.label.description, Self.number(Double(face.confidence))]
            return fields.joined(separator: ",")
        }
    }

    /// A number as the JSON lines write it: at most 4 decimals, no trailing zeros.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        var text = String(format: "%.4f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        do {
            try jsonl?.write(result.jsonLine + "\n")
            for row in Self.csvRows(result) { try csv?.write(row + "\n") }
        } catch {
            record(error)
        }
    }

    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {
        do { try close() } catch { record(error) }
    }

    /// Flushes both files and puts them in place; throws the first write error of the run (and then
    /// puts neither in place). Later calls only throw that error again.
    public func close() throws {
        lock.lock()
        let failed = firstError != nil
        lock.unlock()
        if failed {
            jsonl?.discard()
            csv?.discard()
        } else {
            do {
                try jsonl?.flush()
                try csv?.flush()
                try jsonl?.commit()
                try csv?.commit()
            } catch {
                record(error)
                jsonl?.discard()
                csv?.discard()
            }
        }
        jsonl = nil
        csv = nil
        lock.lock()
        defer { lock.unlock() }
        if let firstError { throw firstError }
    }

    private func record(_ error: Error) {
        lock.lock()
        if firstError == nil { firstError = error }
        lock.unlock()
        jsonl?.discard()
        csv?.discard()
        jsonl = nil
        csv = nil
    }
}

/// A file written through a 64 KiB buffer into a StagedFile; errors (OutputError) name the target file.
final class BufferedFile {
    let path: String
    private let file: StagedFile
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.path = path
        file = try StagedFile(path: path)
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        try file.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and renames the file into place.
    func commit() throws {
        try flush()
        try file.commit()
    }

    /// Removes the temporary file; the target is untouched.
    func discard() { file.discard() }
}
