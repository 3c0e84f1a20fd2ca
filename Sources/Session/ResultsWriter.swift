// Writes results as they are produced: JSON Lines (the exact lines `emonet live` prints) and a CSV with
// one row per face (frame, time, track, box, the seven probabilities, label, confidence). A frame with
// no face has a JSON line but no CSV row. Invariants: rows are in frame order; files are created at
// start (an unwritable path fails before the run); a write error is kept and reported at the end.
import Foundation
import Frames

public final class ResultsWriter: FrameSink, @unchecked Sendable {
    public static let csvHeader = (["frame", "time", "track", "x", "y", "width", "height"] + EmotionLabel.names
        + ["label", "confidence"]).joined(separator: ",")

    private var jsonl: BufferedFile?
    private var csv: BufferedFile?
    private let lock = NSLock()
    private var firstError: Error?

    /// Creates (truncates) the files that are given.
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
                          String(face.box.x), String(face.box.y), String(face.box.width), String(face.box.height)]
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

    /// Flushes and closes both files; throws the first write error of the run.
    public func close() throws {
        do {
            try jsonl?.close()
            try csv?.close()
        } catch { record(error) }
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
        jsonl = nil
        csv = nil
    }
}

/// A file written through a 64 KiB buffer; errors name the file.
final class BufferedFile {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SessionError.unwritable(path, reason: systemMessage(errno)) }
        buffer.reserveCapacity(1 << 16)
    }

    deinit { if fd >= 0 { _ = Foundation.close(fd) } }

    func write(_ text: String) throws {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { try flush() }
    }

    func flush() throws {
        var done = 0
        try buffer.withUnsafeBytes { raw in
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { throw SessionError.unwritable(path, reason: systemMessage(n < 0 ? errno : ENOSPC)) }
                done += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws {
        try flush()
    }
}
