// The digests in session files: SHA-256 (swift-crypto) of the model and cascade, whose hex strings
// session.json records and replay compares, and CRC-32 (zlib's) of each stored frame, so a torn or
// corrupted record is caught. Files are hashed in 1 MiB chunks.
import CZlib
import Crypto
import Foundation

extension SHA256 {
    /// The lower-case hex digest of `bytes`.
    public static func hex<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var hash = SHA256()
        hash.update(data: Array(bytes))
        return hex(hash.finalize())
    }

    /// The lower-case hex digest of the file at `path`, or nil when it cannot be read.
    public static func hex(fileAt path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hash = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hash.update(data: chunk) }
        return hex(hash.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}

/// CRC-32 (IEEE, as zlib and PNG use it) of each stored frame.
enum CRC32 {
    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        // zlib takes a 32-bit length: larger input is folded in chunks.
        var c: uLong = 0
        var offset = 0
        repeat {
            let count = min(bytes.count - offset, Int(UInt32.max))
            c = crc32(c, bytes.baseAddress.map { ($0 + offset).assumingMemoryBound(to: Bytef.self) }, uInt(count))
            offset += count
        } while offset < bytes.count
        return UInt32(truncatingIfNeeded: c)
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 { bytes.withUnsafeBytes { checksum($0) } }
}
