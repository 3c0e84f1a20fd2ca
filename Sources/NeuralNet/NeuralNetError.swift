// Errors of the engine: each says what failed, where, and what was expected.
import Foundation

public enum NeuralNetError: Error, LocalizedError, Equatable {
    case blasUnavailable(String)
    /// A model or checkpoint file that cannot be read; `file` names it, `reason` says why.
    case badFile(file: String, reason: String)
    /// An architecture description that does not make sense.
    case badArchitecture(String)
    /// A tensor that is missing, unexpected, mis-shaped or non-finite.
    case tensorMismatch(file: String, tensor: String, reason: String)

    public var errorDescription: String? {
        switch self {
        case .blasUnavailable(let why): return why
        case .badFile(let file, let reason): return "\(file): \(reason)"
        case .badArchitecture(let why): return "bad architecture: \(why)"
        case .tensorMismatch(let file, let tensor, let reason): return "\(file): tensor '\(tensor)' \(reason)"
        }
    }
}
