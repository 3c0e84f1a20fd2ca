// The one error type of ImageIO: each case says which file (or "<memory>") and what was wrong,
// in a single line a user can act on.
import Foundation

/// Why an image could not be read, decoded or written.
public enum ImageIOError: Error, LocalizedError, Equatable {
    /// The file could not be opened or read.
    case unreadable(path: String, reason: String)
    /// The bytes are not a supported format (neither JPEG nor PNG by signature).
    case unsupportedFormat(path: String)
    /// The codec rejected the data (corrupt or truncated file).
    case corrupt(path: String, format: String, reason: String)
    /// Encoding failed (empty image, out of memory).
    case encodingFailed(format: String, reason: String)
    /// The file could not be written.
    case unwritable(path: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(path, reason): return "cannot read \(path): \(reason)"
        case let .unsupportedFormat(path):
            return "\(path): not a JPEG or PNG file (unrecognised signature)"
        case let .corrupt(path, format, reason): return "\(path): corrupt \(format) data: \(reason)"
        case let .encodingFailed(format, reason): return "cannot encode \(format): \(reason)"
        case let .unwritable(path, reason): return "cannot write \(path): \(reason)"
        }
    }

    /// The same error attributed to a file path instead of "<memory>".
    func attributed(to path: String) -> ImageIOError {
        switch self {
        case let .corrupt(_, format, reason): return .corrupt(path: path, format: format, reason: reason)
        case .unsupportedFormat: return .unsupportedFormat(path: path)
        default: return self
        }
    }
}

/// The label used for in-memory data in error messages.
let memoryLabel = "<memory>"
