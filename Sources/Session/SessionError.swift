// Every way reading or writing a session can fail, as one line that names the file or directory,
// what was wrong and, for damaged recordings, where reading stopped.
import Foundation

public enum SessionError: Error, LocalizedError, Equatable {
    /// The directory cannot be created or written (permissions, read-only file system, a file in the way).
    case unwritable(String, reason: String)
    /// A write failed mid-recording (disk full, file size limit, I/O error); frames before it are kept.
    case writeFailed(String, frames: Int, reason: String)
    /// The recorder cannot keep up with the pipeline (disk too slow); frames before it are kept.
    case fellBehind(String, frames: Int)
    /// Not a session directory, or a file in it is missing or unreadable.
    case unreadable(String, reason: String)
    /// A field of session.json or of the frame index does not fit the format.
    case invalid(String, field: String, expected: String)
    /// A recording that is damaged from some frame on; the frames before it were read.
    case damaged(String, frame: Int, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unwritable(path, reason):
            return "cannot record to \(path): \(reason)"
        case let .writeFailed(path, frames, reason):
            return "recording to \(path) stopped after \(frames) frames: \(reason); the frames written so far are kept"
        case let .fellBehind(path, frames):
            return "recording to \(path) stopped after \(frames) frames: the disk cannot keep up; the frames written so far are kept"
        case let .unreadable(path, reason):
            return "cannot read session \(path): \(reason)"
        case let .invalid(path, field, expected):
            return "\(path): field \(field): expected \(expected)"
        case let .damaged(path, frame, reason):
            return "\(path) is damaged at frame record \(frame) (\(reason)); stopped there, the frames before it were used"
        }
    }
}

/// strerror(errno) as a Swift string.
func systemMessage(_ code: Int32) -> String { String(cString: strerror(code)) }
