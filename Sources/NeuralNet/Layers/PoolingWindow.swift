// The window both pooling layers slide over each [H, W] plane: kernel k, stride s, no padding,
// floor mode (PyTorch's defaults). One place for the output size and the shape check, so that
// AvgPool2D and MaxPool2D cannot disagree on either.

public struct PoolingWindow: Sendable, Equatable {
    public let kernelSize: Int
    public let stride: Int

    /// A k×k window moved `stride` pixels at a time (k when nil, as PyTorch).
    public init(kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0)
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    /// (L-k)/s+1: how many whole windows fit along a side of `length`.
    @inline(__always) func outputLength(_ length: Int) -> Int { (length - kernelSize) / stride + 1 }

    /// [C, H, W] → [C, Ho, Wo] for the layer `name`; throws for a plane smaller than one window.
    func outputShape(for input: [Int], layer name: String) throws -> [Int] {
        guard input.count == 3, input[1] >= kernelSize, input[2] >= kernelSize else {
            throw NeuralNetError.badArchitecture("\(name): needs [C, H, W] of at least \(kernelSize)x\(kernelSize), got \(input)")
        }
        return [input[0], outputLength(input[1]), outputLength(input[2])]
    }
}

/// What a pooling layer keeps between passes: its output, its input gradient and the input's shape.
final class PoolingBuffers {
    let output = Tensor(shape: [0])
    let gradInput = Tensor(shape: [0])
    private(set) var inputShape: [Int] = []

    /// Records `input`'s shape [N, C, H, W], reshapes `output` to [N, C, Ho, Wo] and returns the sizes.
    func beginForward(_ input: Tensor, _ window: PoolingWindow) -> (planes: Int, h: Int, w: Int, ho: Int, wo: Int) {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let ho = window.outputLength(h), wo = window.outputLength(w)
        inputShape = input.shape
        output.reshape(n, c, ho, wo)
        return (n * c, h, w, ho, wo)
    }

    /// The input gradient, shaped as the last forward's input and zeroed, ready to accumulate into.
    func beginBackward() -> Tensor {
        gradInput.reshape(inputShape)
        gradInput.zero()
        return gradInput
    }
}

/// A layer that slides one `PoolingWindow`: its geometry and shape check come from the window.
public protocol PoolingLayer: Layer {
    var window: PoolingWindow { get }
}

extension PoolingLayer {
    public var kernelSize: Int { window.kernelSize }
    public var stride: Int { window.stride }

    public func outputShape(for input: [Int]) throws -> [Int] {
        try window.outputShape(for: input, layer: name)
    }
}
