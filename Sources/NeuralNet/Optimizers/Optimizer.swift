// Optimizers update parameters from their accumulated gradients (and subtract: θ ← θ − lr·update).
// Their state (momentum, Adam moments, step count) is exposed as named tensors and a step count,
// so checkpoints can save it and a resumed run continues exactly.

public protocol Optimizer: AnyObject {
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its gradient.
    func step(_ parameters: [Parameter])
    /// State tensors by key (e.g. "momentum.conv1.weight") and the number of steps taken.
    var state: [(name: String, tensor: Tensor)] { get }
    var steps: Int { get set }
    /// Restores state saved by `state`; throws naming the first missing or mis-shaped key.
    func restore(_ tensors: [String: Tensor], parameters: [Parameter]) throws
}

extension Optimizer {
    /// Looks up one saved state tensor and checks its shape.
    func savedTensor(_ key: String, like parameter: Parameter, in tensors: [String: Tensor]) throws -> Tensor {
        guard let t = tensors[key] else {
            throw NeuralNetError.tensorMismatch(file: "checkpoint", tensor: key, reason: "is missing from the optimizer state")
        }
        guard t.shape == parameter.value.shape else {
            throw NeuralNetError.tensorMismatch(file: "checkpoint", tensor: key,
                                                reason: "has shape \(t.shape), expected \(parameter.value.shape)")
        }
        return t
    }
}
