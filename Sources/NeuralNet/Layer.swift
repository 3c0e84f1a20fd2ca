// The layer contract, written once.
//
// Gradient convention: `backward` receives ∂L/∂y for the output `forward` last produced and
// returns ∂L/∂x (a buffer the layer owns, overwritten on each call). Parameter gradients are
// *accumulated* into `Parameter.grad`; zeroing them is explicit (`Sequential.zeroGradients`),
// and optimizers subtract. Every buffer is NCHW float32 (NC after Flatten/Dense).

/// A trainable tensor with a stable name (its key in model files) and its gradient.
public final class Parameter {
    public let name: String
    public let value: Tensor
    /// ∂L/∂value, accumulated over backward passes until zeroed.
    public let grad: Tensor
    /// Whether weight decay applies (weights yes; biases and batch-norm affine terms no).
    public let decays: Bool

    public init(name: String, shape: [Int], decays: Bool) {
        self.name = name
        self.value = Tensor(shape: shape)
        self.grad = Tensor(shape: shape)
        self.decays = decays
    }
}

/// How a pass runs: training or inference, and over how many workers the batch is split.
public struct PassOptions: Sendable {
    public var training: Bool
    public var workers: Int
    /// Whether `backward` must return ∂L/∂x. False for a model's first layer, whose input (the images) needs
    /// no gradient: a layer may then skip that product (Conv2D does) and return a buffer of the input's
    /// shape whose contents are unspecified. Parameter gradients are computed either way.
    public var inputGradient: Bool

    public init(training: Bool, workers: Int = 1, inputGradient: Bool = true) {
        self.training = training
        self.workers = max(1, workers)
        self.inputGradient = inputGradient
    }

    public static let inference = PassOptions(training: false)
}

/// One layer: parameters, forward and backward, with shapes given without the batch dimension.
public protocol Layer: AnyObject {
    /// Stable name, the prefix of its tensors' keys (`"conv1"` → `"conv1.weight"`).
    var name: String { get }
    /// Trainable parameters, in a fixed order.
    var parameters: [Parameter] { get }
    /// Saved, non-trainable state (batch-norm running statistics), keyed by full name.
    var buffers: [(name: String, tensor: Tensor)] { get }
    /// Output shape (C,H,W or features) for an input shape, or an error for an input it cannot take.
    func outputShape(for input: [Int]) throws -> [Int]
    /// Multiply-adds per item for an input shape (0 for layers that do no products).
    func multiplyAdds(for input: [Int]) -> Int
    func forward(_ input: Tensor, _ options: PassOptions) -> Tensor
    func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor
}

extension Layer {
    public var parameters: [Parameter] { [] }
    public var buffers: [(name: String, tensor: Tensor)] { [] }
    public func multiplyAdds(for input: [Int]) -> Int { 0 }
}
