// Streams the lines of a text file, plain or gzip (zlib's gzread reads both transparently),
// without holding the whole file in memory. Lines are handed out as byte slices without "\n"/"\r".
import CZlib
import Foundation

/// Reads a file line by line; `lineNumber` is 1-based for the line last returned.
public final class LineReader {
    public let path: String
    public private(set) var lineNumber = 0
    private let file: gzFile
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var start = 0
    private var end = 0
    private var finished = false
    private var pending: [UInt8] = []

    public init(path: String) throws {
        self.path = path
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
                lineNumber += 1
                return line
            }
            pending.append(contentsOf: buffer[start..<end])
            start = 0
            end = 0
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
                var code: Int32 = 0
                let message = gzerror(file, &code).map { String(cString: $0) } ?? "read error"
                throw DatasetError.unreadable(file: path, reason: "after line \(lineNumber): \(message) (truncated or corrupt gzip?)")
            }
            if n == 0 { finished = true }
            end = Int(n)
        }
    }
}
