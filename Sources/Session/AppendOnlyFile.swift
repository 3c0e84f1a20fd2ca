// A file that only grows, one whole record at a time: a record either lands completely or the file is
// cut back to where it was, so a failed write (disk full, size limit) never leaves half a record that
// a later record would follow. Writes are plain write(2) calls, so a process killed with SIGKILL loses
// nothing already written (the kernel has it); `sync()` (fsync) is what survives a power cut, and the
// recorder calls it on a timer, not per frame.
import Foundation

final class AppendOnlyFile {
    let path: String
    private var fd: Int32
    /// Bytes in the file after the last complete record.
    private(set) var size: UInt64 = 0

    /// Creates `path`; it must not exist (a session never overwrites a recording).
    init(creating path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw SessionError.unwritable(path, reason: code == EEXIST ? "it already exists (choose a new directory)" : systemMessage(code))
        }
    }

    deinit { close() }

    /// Appends `bytes` whole, or restores the previous size and throws with the system's reason.
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let n = write(fd, bytes.baseAddress! + written, bytes.count - written)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                let code = n < 0 ? errno : ENOSPC
                _ = ftruncate(fd, off_t(size))  // best effort: drop the partial record
                throw AppendError(code: code)
            }
            written += n
        }
        size += UInt64(bytes.count)
    }

    func append(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0) } }

    /// Cuts the file back to `size` bytes (used to undo a record whose companion write failed).
    func truncate(to newSize: UInt64) {
        if ftruncate(fd, off_t(newSize)) == 0 { size = newSize }
    }

    /// fsync: what is written survives a power cut.
    func sync() throws {
        guard fd >= 0 else { return }
        if fsync(fd) != 0 { throw AppendError(code: errno) }
    }

    func close() {
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
    }

    struct AppendError: Error {
        let code: Int32
        var message: String {
            switch code {
            case ENOSPC: return "no space left on the device"
            case EFBIG: return "file size limit reached"
            case EDQUOT: return "disk quota exceeded"
            default: return systemMessage(code)
            }
        }
    }
}
