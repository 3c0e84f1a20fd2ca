// Errors reading training data: each names the file, the line and what was expected.
import Foundation

public enum DatasetError: Error, LocalizedError, Equatable {
    case unreadable(file: String, reason: String)
    case badHeader(file: String, found: String, expected: String)
    case malformedRow(file: String, line: Int, reason: String)
    case empty(file: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .unreadable(let file, let reason): return "\(file): \(reason)"
        case .badHeader(let file, let found, let expected):
            return "\(file): line 1: header is '\(found.prefix(80))', expected '\(expected)'"
        case .malformedRow(let file, let line, let reason): return "\(file): line \(line): \(reason)"
        case .empty(let file, let reason): return "\(file): \(reason)"
        }
    }
}

extension DatasetError {
    /// A file whose header is followed by no rows of `splits` (nil: by no rows at all).
    static func noRows(file: String, splits wanted: Set<FERSplit>?) -> DatasetError {
        .empty(file: file, reason: wanted.map { "has no rows of split \($0.map(\.rawValue).sorted().joined(separator: "/"))" }
            ?? "has a header but no rows")
    }
}
