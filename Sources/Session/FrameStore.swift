// The frames of a session: JPEG images appended to frames.mjpeg, located by fixed-size records in
// frames.index. Layout of frames.index (little-endian):
//   header, 16 bytes: "EMONETFI" | version UInt32 (1) | record size UInt32 (40)
//   record, 40 bytes: frame index Int64 | time Float64 (s) | offset UInt64 | length UInt32 | CRC-32 UInt32
//                     | width UInt32 | height UInt32
// Invariants: a frame's JPEG bytes are written before its record, records are in file order with no
// gaps (offset of record k+1 = offset + length of record k), so after a crash every complete record
// points at complete, checksummed bytes and an incomplete tail is simply not indexed.
import Foundation
import ImageIO
import Imaging

/// One stored frame as the index describes it.
public struct FrameRecord: Equatable, Sendable {
    public var frameIndex: Int
    public var time: Double
    public var offset: UInt64
    public var length: UInt32
    public var crc: UInt32
    public var width: Int
    public var height: Int

    static let size = 40
    /// Above any count of frames a recording can reach (35 years at 1000 fps).
    static let maximumFrameIndex = 1 << 40
    static let magic = Array("EMONETFI".utf8)
    static let version: UInt32 = 1

    static var header: [UInt8] {
        var bytes = magic
        bytes.appendLittleEndian(version)
        bytes.appendLittleEndian(UInt32(size))
        return bytes
    }

    var bytes: [UInt8] {
        var b: [UInt8] = []
        b.reserveCapacity(Self.size)
        b.appendLittleEndian(UInt64(bitPattern: Int64(frameIndex)))
        b.appendLittleEndian(time.bitPattern)
        b.appendLittleEndian(offset)
        b.appendLittleEndian(length)
        b.appendLittleEndian(crc)
        b.appendLittleEndian(UInt32(width))
        b.appendLittleEndian(UInt32(height))
        return b
    }

    init(frameIndex: Int, time: Double, offset: UInt64, length: UInt32, crc: UInt32, width: Int, height: Int) {
        self.frameIndex = frameIndex
        self.time = time
        self.offset = offset
        self.length = length
        self.crc = crc
        self.width = width
        self.height = height
    }

    init(bytes b: ArraySlice<UInt8>) {
        frameIndex = Int(Int64(bitPattern: b.littleEndian(UInt64.self, at: 0)))
        time = Double(bitPattern: b.littleEndian(UInt64.self, at: 8))
        offset = b.littleEndian(UInt64.self, at: 16)
        length = b.littleEndian(UInt32.self, at: 24)
        crc = b.littleEndian(UInt32.self, at: 28)
        width = Int(b.littleEndian(UInt32.self, at: 32))
        height = Int(b.littleEndian(UInt32.self, at: 36))
    }
}

/// Appends frames to a new session directory.
final class FrameStoreWriter {
    private let data: AppendOnlyFile
    private let index: AppendOnlyFile
    private(set) var count = 0

    init(directory: String) throws {
        data = try AppendOnlyFile(creating: (directory as NSString).appendingPathComponent(SessionFiles.frames))
        index = try AppendOnlyFile(creating: (directory as NSString).appendingPathComponent(SessionFiles.index))
        do { try index.append(FrameRecord.header) } catch let error as AppendOnlyFile.AppendError {
            throw SessionError.unwritable(index.path, reason: error.message)
        }
    }

    /// Appends one JPEG frame and its record; on failure neither is kept and the error says why.
    func append(jpeg: [UInt8], frameIndex: Int, time: Double, width: Int, height: Int) throws {
        let offset = data.size
        try data.append(jpeg)
        let record = FrameRecord(frameIndex: frameIndex, time: time, offset: offset, length: UInt32(jpeg.count),
                                 crc: CRC32.checksum(jpeg), width: width, height: height)
        do {
            try index.append(record.bytes)
        } catch {
            data.truncate(to: offset)
            throw error
        }
        count += 1
    }

    func sync() throws {
        try data.sync()
        try index.sync()
    }

    func close() {
        data.close()
        index.close()
    }
}

/// Reads the frames of a session in order; also works while the session is still being written.
final class FrameStoreReader {
    let directory: String
    private let indexHandle: FileHandle
    private var dataFD: Int32  // -1 once closed: deinit after close() must not close a number the process reused
    private var nextOffset: UInt64 = 0
    private var lastFrameIndex = -1
    private(set) var recordsRead = 0

    init(directory: String) throws {
        self.directory = directory
        let indexPath = (directory as NSString).appendingPathComponent(SessionFiles.index)
        let dataPath = (directory as NSString).appendingPathComponent(SessionFiles.frames)
        guard let handle = FileHandle(forReadingAtPath: indexPath) else {
            throw SessionError.unreadable(directory, reason: "no readable \(SessionFiles.index)")
        }
        let fd = open(dataPath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            try? handle.close()
            throw SessionError.unreadable(directory, reason: "no readable \(SessionFiles.frames)")
        }
        indexHandle = handle
        dataFD = fd
        let header = [UInt8]((try? handle.read(upToCount: 16)) ?? Data())
        guard header.count == 16, Array(header[0..<8]) == FrameRecord.magic else {
            close()
            throw SessionError.invalid(indexPath, field: "header", expected: "\"EMONETFI\" and a version (\(header.count) bytes found)")
        }
        let version = header[...].littleEndian(UInt32.self, at: 8), size = header[...].littleEndian(UInt32.self, at: 12)
        guard version == FrameRecord.version, size == UInt32(FrameRecord.size) else {
            close()
            throw SessionError.invalid(indexPath, field: "version", expected: "1 with 40-byte records, found \(version) with \(size)")
        }
    }

    deinit { close() }

    func close() {
        try? indexHandle.close()
        if dataFD >= 0 { _ = Foundation.close(dataFD) }
        dataFD = -1
    }

    /// The next record and its JPEG bytes; nil at the end (an incomplete trailing record is the end of
    /// an interrupted recording, not damage). Throws `SessionError.damaged` when a record or its bytes are bad.
    func next() throws -> (record: FrameRecord, jpeg: [UInt8])? {
        let raw = [UInt8]((try? indexHandle.read(upToCount: FrameRecord.size)) ?? Data())
        guard raw.count == FrameRecord.size else { return nil }
        let record = FrameRecord(bytes: raw[...])
        let k = recordsRead
        func damaged(_ reason: String) -> SessionError { .damaged(directory, frame: k, reason: reason) }
        guard record.offset == nextOffset else {
            throw damaged("index says offset \(record.offset), expected \(nextOffset)")
        }
        // Frame indices count up from the camera's first frame (skipping dropped ones); the pipeline's
        // statistics subtract and add them, so an index near Int.max from a damaged file once trapped there.
        guard record.frameIndex >= 0, record.frameIndex < FrameRecord.maximumFrameIndex, record.frameIndex > lastFrameIndex else {
            throw damaged("frame index \(record.frameIndex), expected one after \(lastFrameIndex) and below \(FrameRecord.maximumFrameIndex)")
        }
        guard record.length > 0, record.length < 64 << 20, record.width > 0, record.height > 0,
              record.width <= 16384, record.height <= 16384, record.time.isFinite else {
            throw damaged("implausible index record (length \(record.length), \(record.width)x\(record.height))")
        }
        // The bytes must be in frames.mjpeg before a buffer of the length the index declares is allocated
        // (data is written before its record, so a recording in progress already holds them).
        var info = stat()
        if fstat(dataFD, &info) == 0 {
            let size = UInt64(max(0, info.st_size))
            let (end, overflow) = record.offset.addingReportingOverflow(UInt64(record.length))
            guard !overflow, end <= size else {
                throw damaged("\(SessionFiles.frames) is truncated: the index says \(record.length) bytes at offset \(record.offset), the file holds \(size)")
            }
        }
        var jpeg = [UInt8](repeating: 0, count: Int(record.length))
        var got = 0
        jpeg.withUnsafeMutableBytes { buffer in
            while got < buffer.count {
                let n = pread(dataFD, buffer.baseAddress! + got, buffer.count - got, off_t(record.offset) + off_t(got))
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                got += n
            }
        }
        guard got == jpeg.count else {
            throw damaged("\(SessionFiles.frames) is truncated (\(got) of \(record.length) bytes)")
        }
        guard CRC32.checksum(jpeg) == record.crc else { throw damaged("checksum mismatch in \(SessionFiles.frames)") }
        nextOffset = record.offset + UInt64(record.length)
        lastFrameIndex = record.frameIndex
        recordsRead += 1
        return (record, jpeg)
    }
}

extension Array where Element == UInt8 {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension ArraySlice where Element == UInt8 {
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int) -> T {
        var value: T = 0
        for k in 0..<MemoryLayout<T>.size { value |= T(self[startIndex + offset + k]) << (8 * k) }
        return value
    }
}
