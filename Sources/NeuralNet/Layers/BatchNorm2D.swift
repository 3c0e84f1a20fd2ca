// Batch normalisation over (N, H, W) per channel, as PyTorch's BatchNorm2d: biased variance to
// normalise, unbiased variance for the running estimate, momentum 0.1, eps 1e-5.
// Input/output [N, C, H, W] (or [N, C] for features). Parameters: "weight" (γ) and "bias" (β) [C];
// buffers "running_mean", "running_var" [C]. Caches x̂ and 1/σ per channel for backward.
// Channels are split over workers; each channel's sums run in a fixed order (Double accumulators).
// With `appliesReLU` (set by Sequential where a ReLU follows, which it then skips) the layer is batch
// norm + ReLU in one pass each way: the output is max(0, γ·x̂ + β), and backward recomputes the ReLU's
// mask from x̂, so neither the ReLU's output nor its gradient makes a trip through memory. Bit for bit
// the same as the two layers in turn.
import CBLAS
import Foundation

public final class BatchNorm2D: Layer {
    public let name: String
    public let channels: Int
    public let momentum: Float
    public let epsilon: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Tensor
    public let runningVar: Tensor
    /// Whether the output goes through max(0, ·) here, in place of a ReLU layer after this one.
    public var appliesReLU = false

    private let output = Tensor(shape: [0])
    private let normalized = Tensor(shape: [0])   // x̂, same shape as the input
    private let inverseStd = Tensor(shape: [0])   // [C]
    private let gradInput = Tensor(shape: [0])
    private var trainedLast = false
    /// Batches seen since `startRecount()`; nil when the running statistics follow `momentum`.
    private var recounted: Int?

    public init(name: String, channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        self.name = name
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(name: "\(name).weight", shape: [channels], decays: false)
        bias = Parameter(name: "\(name).bias", shape: [channels], decays: false)
        runningMean = Tensor(shape: [channels])
        runningVar = Tensor(shape: [channels])
        for c in 0..<channels {
            weight.value[c] = 1
            runningVar[c] = 1
        }
    }

    /// Recount mode: the running statistics restart from zero and become the plain average of the
    /// training-mode batches that follow (PyTorch's momentum=None), until `stopRecount()`.
    /// Used after averaging weights, whose statistics no single model's running estimate describes.
    public func startRecount() {
        for c in 0..<channels {
            runningMean[c] = 0
            runningVar[c] = 0
        }
        recounted = 0
    }

    public func stopRecount() { recounted = nil }

    public var parameters: [Parameter] { [weight, bias] }
    public var buffers: [(name: String, tensor: Tensor)] {
        [("\(name).running_mean", runningMean), ("\(name).running_var", runningVar)]
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard !input.isEmpty, input[0] == channels else {
            throw NeuralNetError.badArchitecture("\(name): expects \(channels) channels, got input \(input)")
        }
        return input
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let n = input.shape[0], c = input.shape[1], hw = input.count / max(n * c, 1)
        precondition(c == channels, "\(name): \(c) channels, expected \(channels)")
        output.reshape(input.shape)
        normalized.reshape(input.shape)
        inverseStd.reshape(c)
        trainedLast = options.training
        let x = input.data, y = output.data, xh = normalized.data, inv = inverseStd.data
        let g = weight.value.data, b = bias.value.data, rm = runningMean.data, rv = runningVar.data
        let m = n * hw
        let relu = appliesReLU
        let momentum = recounted.map { 1 / Float($0 + 1) } ?? self.momentum
        if options.training, let seen = recounted { recounted = seen + 1 }
        Parallel.chunks(c, workers: options.workers) { range, _ in
            for ch in range {
                var mean: Float, invStd: Float
                if options.training {
                    // One pass: Σx and Σx² per plane in vector partial sums, combined in Double.
                    var sum = 0.0, squares = 0.0
                    for i in 0..<n {
                        var s = 0.0, q = 0.0
                        emonet_sum_squares(x + (i * c + ch) * hw, Int32(hw), &s, &q)
                        sum += s
                        squares += q
                    }
                    let mu = sum / Double(m)
                    let sumSq = max(0, squares - sum * mu)
                    let variance = sumSq / Double(m)
                    mean = Float(mu)
                    invStd = Float(1 / (variance + Double(epsilon)).squareRoot())
                    let unbiased = m > 1 ? sumSq / Double(m - 1) : variance
                    rm[ch] = (1 - momentum) * rm[ch] + momentum * mean
                    rv[ch] = (1 - momentum) * rv[ch] + momentum * Float(unbiased)
                } else {
                    mean = rm[ch]
                    invStd = 1 / (rv[ch] + epsilon).squareRoot()
                }
                inv[ch] = invStd
                let gc = g[ch], bc = b[ch]
                for i in 0..<n {
                    let off = (i * c + ch) * hw
                    if relu {
                        emonet_bn_normalize_relu(x + off, Int32(hw), mean, invStd, gc, bc, xh + off, y + off)
                    } else {
                        emonet_bn_normalize(x + off, Int32(hw), mean, invStd, gc, bc, xh + off, y + off)
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        let n = gradOutput.shape[0], c = channels, hw = gradOutput.count / max(n * c, 1)
        gradInput.reshape(gradOutput.shape)
        let dy = gradOutput.data, dx = gradInput.data, xh = normalized.data, inv = inverseStd.data
        let g = weight.value.data, b = bias.value.data, dg = weight.grad.data, db = bias.grad.data
        let m = Float(n * hw)
        let training = trainedLast, relu = appliesReLU
        Parallel.chunks(c, workers: options.workers) { range, _ in
            for ch in range {
                var sumDy = 0.0, sumDyXh = 0.0
                for i in 0..<n {
                    let off = (i * c + ch) * hw
                    var s = 0.0, d = 0.0
                    if relu {
                        emonet_sum_dot_relu(dy + off, xh + off, Int32(hw), g[ch], b[ch], &s, &d)
                    } else {
                        emonet_sum_dot(dy + off, xh + off, Int32(hw), &s, &d)
                    }
                    sumDy += s
                    sumDyXh += d
                }
                dg[ch] += Float(sumDyXh)
                db[ch] += Float(sumDy)
                let scale = g[ch] * inv[ch]
                // Training: dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)). Inference statistics are constants,
                // the layer an affine map: dx = γ/σ · dy.
                let meanDy = training ? Float(sumDy) / m : 0, meanDyXh = training ? Float(sumDyXh) / m : 0
                for i in 0..<n {
                    let off = (i * c + ch) * hw
                    if relu {
                        emonet_bn_relu_backward(dy + off, xh + off, Int32(hw), g[ch], b[ch], scale, meanDy, meanDyXh, dx + off)
                    } else {
                        emonet_bn_backward(dy + off, xh + off, Int32(hw), scale, meanDy, meanDyXh, dx + off)
                    }
                }
            }
        }
        return gradInput
    }
}
