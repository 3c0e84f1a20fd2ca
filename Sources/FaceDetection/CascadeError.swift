// Errors from loading a cascade: each names the element (and line) that was wrong and what was
// expected there, so a user can fix or replace the file.
import Foundation

/// Why a cascade file could not be loaded.
public enum CascadeError: Error, LocalizedError, Equatable {
    /// The file could not be read.
    case unreadableFile(path: String, reason: String)
    /// The text is not well-formed XML.
    case malformedXML(line: Int, element: String?, message: String)
    /// An element is missing or holds something other than what OpenCV's format requires.
    case invalidElement(element: String, line: Int, expected: String)
    /// The file is a cascade this loader does not evaluate (old format, HOG features).
    case unsupported(element: String, line: Int, what: String)
    /// An error inside a named file.
    indirect case inFile(path: String, CascadeError)

    public var errorDescription: String? {
        switch self {
        case let .unreadableFile(path, reason): return "cannot read cascade \(path): \(reason)"
        case let .malformedXML(line, element, message):
            return "malformed XML at line \(line)\(element.map { " in <\($0)>" } ?? ""): \(message)"
        case let .invalidElement(element, line, expected):
            return "invalid cascade: <\(element)> (line \(line)): expected \(expected)"
        case let .unsupported(element, line, what):
            return "unsupported cascade: <\(element)> (line \(line)): \(what)"
        case let .inFile(path, inner): return "\(path): \(inner.errorDescription ?? "\(inner)")"
        }
    }
}
