// Outputs written the way git and SQLite write them: into a temporary file beside the target, flushed
// (fsync), then renamed over the target, and the directory flushed. A failure at any point (disk full,
// size limit, a killed process) leaves the previous file whole; the temporary file is removed.
// Invariants: the temporary file is in the target's directory (rename is atomic only within one file
// system), is hidden (a leading dot), keeps the target's extension (so tools that choose a format by
// extension, such as ffmpeg, can write it), and is created with O_EXCL (never someone else's file).
import Foundation

/// Why an output could not be written.
public enum OutputError: Error, LocalizedError, Equatable {
    /// The file could not be created, written, flushed or renamed into place.
    case unwritable(path: String, reason: String)
    /// The target appeared while it was written and the caller asked not to replace it.
    case exists(path: String)

    public var errorDescription: String? {
        switch self {
        case let .unwritable(path, reason): return "cannot write \(path): \(reason)"
        case let .exists(path): return "\(path) already exists; it was not replaced"
        }
    }
}

/// An output file being written under a temporary name; `commit()` puts it in place, `discard()` (or
/// deinit without a commit) removes it. Not thread-safe: one writer at a time.
public final class StagedFile {
    /// Where the file goes on `commit()`.
    public let path: String
    /// Where it is written until then (in the same directory).
    public let temporaryPath: String
    private var fd: Int32
    private var done = false

    /// Creates the temporary file for `path`. Throws `OutputError.unwritable` naming `path`.
    public init(path: String) throws {
        self.path = path
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let name = url.lastPathComponent
        let ext = url.pathExtension
        let stem = ext.isEmpty ? name : String(name.dropLast(ext.count + 1))
        var attempt = 0
        while true {
            let random = String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let candidate = (directory as NSString).appendingPathComponent(".\(stem).tmp-\(getpid())-\(random)" + (ext.isEmpty ? "" : ".\(ext)"))
            let opened = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if opened >= 0 {
                fd = opened
                temporaryPath = candidate
                return
            }
            let code = errno
            attempt += 1
            if code != EEXIST || attempt > 16 {
                throw OutputError.unwritable(path: path, reason: Self.message(code))
            }
        }
    }

    deinit { if !done { discard() } }

    /// Appends `bytes` (all of them, or throws naming the target).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw OutputError.unwritable(path: path, reason: "already closed") }
        var offset = 0
        while offset < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { throw OutputError.unwritable(path: path, reason: Self.message(n < 0 ? errno : ENOSPC)) }
            offset += n
        }
    }

    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }
    public func write(_ data: Data) throws { try data.withUnsafeBytes { try write($0) } }
    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Flushes the file and renames it over `path` (or, with `replacing` false, puts it there only if
    /// nothing is there yet: `OutputError.exists` otherwise). On failure the temporary file is removed
    /// and whatever was at `path` is untouched.
    public func commit(replacing: Bool = true) throws {
        guard !done else { return }
        done = true
        // The descriptor may have been given up for a process that wrote the file by name (ffmpeg).
        let syncFD = fd >= 0 ? fd : open(temporaryPath, O_RDONLY | O_CLOEXEC)
        var failure: Int32 = syncFD < 0 ? errno : 0
        if failure == 0 && fsync(syncFD) != 0 { failure = errno }
        if syncFD >= 0 { _ = Foundation.close(syncFD) }
        fd = -1
        if failure == 0 {
            if replacing {
                if rename(temporaryPath, path) != 0 { failure = errno }
            } else if link(temporaryPath, path) == 0 {
                unlink(temporaryPath)
            } else if errno == EEXIST {
                unlink(temporaryPath)
                throw OutputError.exists(path: path)
            } else {
                // File systems without hard links: check, then rename (a small window, as `mv -n`).
                if access(path, F_OK) == 0 {
                    unlink(temporaryPath)
                    throw OutputError.exists(path: path)
                }
                if rename(temporaryPath, path) != 0 { failure = errno }
            }
        }
        if failure != 0 {
            unlink(temporaryPath)
            throw OutputError.unwritable(path: path, reason: Self.message(failure))
        }
        Self.syncDirectory(of: path)
    }

    /// Gives up: the temporary file is removed, the target untouched.
    public func discard() {
        done = true
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
        unlink(temporaryPath)
    }

    /// Closes this process's descriptor, for a file another process writes by `temporaryPath`.
    public func closeDescriptor() {
        if fd >= 0 { _ = Foundation.close(fd) }
        fd = -1
    }

    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let dir = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dir >= 0 {
            fsync(dir)
            _ = Foundation.close(dir)
        }
    }

    /// The system's reason, in the words a user knows for the common cases.
    public static func message(_ code: Int32) -> String {
        switch code {
        case ENOSPC: return "no space left on the device"
        case EFBIG: return "file size limit reached"
        case EDQUOT: return "disk quota exceeded"
        case EACCES, EPERM: return "permission denied"
        case ENOENT: return "its folder does not exist"
        case EROFS: return "read-only file system"
        default: return String(cString: strerror(code))
        }
    }
}

/// Whole-file outputs: staged, flushed and renamed into place in one call.
public enum AtomicFile {
    /// Writes `data` to `path` atomically; `replacing` false refuses (OutputError.exists) when `path` exists.
    public static func write(_ data: Data, to path: String, replacing: Bool = true) throws {
        try write(to: path, replacing: replacing) { try $0.write(data) }
    }

    public static func write(_ bytes: [UInt8], to path: String, replacing: Bool = true) throws {
        try write(to: path, replacing: replacing) { try $0.write(bytes) }
    }

    /// Stages `path`, lets `body` fill it, and commits it; any error discards it.
    public static func write(to path: String, replacing: Bool = true, _ body: (StagedFile) throws -> Void) throws {
        let file = try StagedFile(path: path)
        do {
            try body(file)
            try file.commit(replacing: replacing)
        } catch {
            file.discard()
            throw error
        }
    }
}
