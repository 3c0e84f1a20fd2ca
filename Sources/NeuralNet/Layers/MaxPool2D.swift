// Max pooling, kernel k, stride s, no padding, floor mode (PyTorch's MaxPool2d defaults).
// [N, C, H, W] → [N, C, (H-k)/s+1, (W-k)/s+1]. Caches the flat input index of each maximum
// (the first one in row-major order on ties, as PyTorch) to route gradients back.

import CBLAS

public final class MaxPool2D: Layer {
    public let name: String
    public let kernelSize: Int
    public let stride: Int
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    public init(name: String, kernelSize: Int, stride: Int? = nil) {
        precondition(kernelSize > 0)
        self.name = name
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
    }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3, input[1] >= kernelSize, input[2] >= kernelSize else {
            throw NeuralNetError.badArchitecture("\(name): needs [C, H, W] of at least \(kernelSize)x\(kernelSize), got \(input)")
        }
        return [input[0], (input[1] - kernelSize) / stride + 1, (input[2] - kernelSize) / stride + 1]
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let (n, c, h, w) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let ho = (h - kernelSize) / stride + 1, wo = (w - kernelSize) / stride + 1
        inputShape = input.shape
        output.reshape(n, c, ho, wo)
        if argmax.count < output.count { argmax = [Int32](repeating: 0, count: output.count) }
        let x = input.data, y = output.data, k = kernelSize, s = stride
        argmax.withUnsafeMutableBufferPointer { arg in
            let arg = arg.baseAddress!
            Parallel.chunks(n * c, workers: options.workers) { range, _ in
                if k == 2 && s == 2 {
                    // The common case as one vector pass (CBLAS's kernels), same maxima and indices.
                    emonet_maxpool2x2_argmax(x + range.lowerBound * h * w, Int32(range.count), Int32(h), Int32(w),
                                             y + range.lowerBound * ho * wo, arg + range.lowerBound * ho * wo)
                    return
                }
                for plane in range {
                    let xp = x + plane * h * w
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var best = -Float.infinity, bestIndex = (oy * s) * w + ox * s
                            for ky in 0..<k {
                                let rowStart = (oy * s + ky) * w + ox * s
                                for kx in 0..<k where xp[rowStart + kx] > best {
                                    best = xp[rowStart + kx]
                                    bestIndex = rowStart + kx
                                }
                            }
                            let o = (plane * ho + oy) * wo + ox
                            y[o] = best
                            arg[o] = Int32(bestIndex)
                        }
                    }
                }
            }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        gradInput.reshape(inputShape)
        gradInput.zero()
        let planeIn = inputShape[2] * inputShape[3], planeOut = gradOutput.shape[2] * gradOutput.shape[3]
        let dy = gradOutput.data, dx = gradInput.data
        argmax.withUnsafeBufferPointer { arg in
            Parallel.chunks(inputShape[0] * inputShape[1], workers: options.workers) { range, _ in
                for plane in range {
                    for j in 0..<planeOut {
                        let o = plane * planeOut + j
                        dx[plane * planeIn + Int(arg[o])] += dy[o]
                    }
                }
            }
        }
        return gradInput
    }
}
