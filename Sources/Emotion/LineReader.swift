// Streams the lines of a text file, plain or gzip (zlib's gzread reads both transparently),
// without holding the whole file in memory. Lines are handed out as byte slices without "\n"/"\r".
// Untrusted input: a line longer than `maximumLineLength` is an error (a file with no line ends would
// otherwise grow memory without bound), and a gzip stream must end with its trailer (CRC-32 and
// length): a .gz cut short, even at a line boundary, is an error, never a shorter dataset.
import CZlib
import Foundation

/// Reads a file line by line; `lineNumber` is 1-based for the line last returned.
public final class LineReader {
    /// The longest line accepted by default: a FER-2013 row is about 9 KB.
    public static let defaultMaximumLineLength = 1 << 20

    public let path: String
    public let maximumLineLength: Int
    public private(set) var lineNumber = 0
    private let file: gzFile
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var finished = false
    private var pending: [UInt8] = []

    public init(path: String, maximumLineLength: Int = LineReader.defaultMaximumLineLength) throws {
        self.path = path
        self.maximumLineLength = maximumLineLength
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DatasetError.unreadable(file: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw DatasetError.unreadable(file: path, reason: "is a directory, expected a CSV file") }
        guard let f = gzopen(path, "rb") else {
            throw DatasetError.unreadable(file: path, reason: "cannot be opened (\(String(cString: strerror(errno))))")
        }
        file = f
    }

    deinit { gzclose(file) }

    /// The next line, or nil at the end of the file. Throws on a read or decompression error.
    public func next() throws -> ArraySlice<UInt8>? {
        while true {
            if let newline = buffer[start..<end].firstIndex(of: 0x0A) {
                var line: ArraySlice<UInt8>
                if pending.isEmpty {
                    line = buffer[start..<newline]
                } else {
                    pending.append(contentsOf: buffer[start..<newline])
                    line = pending[...]
                    pending = []
                }
                start = newline + 1
                if line.last == 0x0D { line = line.dropLast() }
                try checkLength(line.count)
                lineNumber += 1
                return line
            }
            pending.append(contentsOf: buffer[start..<end])
            start = 0
            end = 0
            try checkLength(pending.count)
            if finished {
                guard !pending.isEmpty else { return nil }
                var line = pending[...]
                pending = []
                if line.last == 0x0D { line = line.dropLast() }
                lineNumber += 1
                return line
            }
            let n = buffer.withUnsafeMutableBytes { gzread(file, $0.baseAddress, UInt32($0.count)) }
            if n < 0 {
                let message = zlibMessage() ?? "read error"
                throw DatasetError.unreadable(file: path, reason: "after line \(lineNumber): \(message) (truncated or corrupt gzip?)")
            }
            if n == 0 {
                // gzread reports a stream cut short (no trailer) as a soft error and then just ends.
                if let message = zlibMessage() {
                    throw DatasetError.unreadable(file: path, reason: "after line \(lineNumber): the gzip stream ends early (\(message)); the file is truncated")
                }
                finished = true
            }
            end = Int(n)
        }
    }

    /// zlib's message for the last error, without the path it prefixes; nil when there was none.
    private func zlibMessage() -> String? {
        var code: Int32 = 0
        let text = gzerror(file, &code).map { String(cString: $0) } ?? ""
        guard code != Z_OK else { return nil }
        let message = text.hasPrefix(path + ": ") ? String(text.dropFirst(path.count + 2)) : text
        return message.isEmpty ? "zlib error \(code)" : message
    }

    /// A line (or the part read so far) over the limit is an error naming the line.
    private func checkLength(_ count: Int) throws {
        guard count > maximumLineLength else { return }
        throw DatasetError.malformedRow(file: path, line: lineNumber + 1,
                                        reason: "line is longer than \(maximumLineLength) bytes (not a text data file, or no line ends?)")
    }
}

extension LineReader {
    /// A reader at the first row of the CSV at `path`, whose first line must be `header` (letter case and
    /// surrounding spaces aside, and with `ignoringQuotes` its double quotes): a file without it is refused
    /// before any row is read.
    static func csv(path: String, header: String, ignoringQuotes: Bool = false) throws -> LineReader {
        let reader = try LineReader(path: path)
        guard let first = try reader.next() else {
            throw DatasetError.empty(file: path, reason: "the file is empty, expected a header '\(header)' and rows")
        }
        var found = String(decoding: first, as: UTF8.self)
        if ignoringQuotes { found = found.replacingOccurrences(of: "\"", with: "") }
        found = found.trimmingCharacters(in: .whitespaces)
        guard found.lowercased() == header.lowercased() else {
            throw DatasetError.badHeader(file: path, found: found, expected: header)
        }
        return reader
    }
}
