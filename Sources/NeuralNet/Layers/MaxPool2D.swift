// Max pooling, kernel k, stride s, no padding, floor mode (PyTorch's MaxPool2d defaults).
// [N, C, H, W] → [N, C, (H-k)/s+1, (W-k)/s+1]. Caches the flat input index of each maximum
// (the first one in row-major order on ties, as PyTorch) to route gradients back.

import CBLAS

public final class MaxPool2D: PoolingLayer {
    public let name: String
    public let window: PoolingWindow
    private let buffers = PoolingBuffers()
    private var argmax: [Int32] = []

    public init(name: String, kernelSize: Int, stride: Int? = nil) {
        self.name = name
        self.window = PoolingWindow(kernelSize: kernelSize, stride: stride)
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let (planes, h, w, ho, wo) = buffers.beginForward(input, window)
        if argmax.count < buffers.output.count { argmax = [Int32](repeating: 0, count: buffers.output.count) }
        let x = input.data, y = buffers.output.data, k = kernelSize, s = stride
        argmax.withUnsafeMutableBufferPointer { arg in
            let arg = arg.baseAddress!
            Parallel.chunks(planes, workers: options.workers) { range, _ in
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
        return buffers.output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        let gradInput = buffers.beginBackward(), inputShape = buffers.inputShape
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
