// Average pooling, kernel k, stride s, no padding, floor mode.
// [N, C, H, W] → [N, C, (H-k)/s+1, (W-k)/s+1]. Stateless: backward spreads dy/k² over each window.

public final class AvgPool2D: PoolingLayer {
    public let name: String
    public let window: PoolingWindow
    private let buffers = PoolingBuffers()

    public init(name: String, kernelSize: Int, stride: Int? = nil) {
        self.name = name
        self.window = PoolingWindow(kernelSize: kernelSize, stride: stride)
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let (planes, h, w, ho, wo) = buffers.beginForward(input, window)
        let x = input.data, y = buffers.output.data, k = kernelSize, s = stride, scale = 1 / Float(k * k)
        Parallel.chunks(planes, workers: options.workers) { range, _ in
            for plane in range {
                let xp = x + plane * h * w
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        var sum: Float = 0
                        for ky in 0..<k {
                            let row = xp + (oy * s + ky) * w + ox * s
                            for kx in 0..<k { sum += row[kx] }
                        }
                        y[(plane * ho + oy) * wo + ox] = sum * scale
                    }
                }
            }
        }
        return buffers.output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        let gradInput = buffers.beginBackward(), inputShape = buffers.inputShape
        let (h, w) = (inputShape[2], inputShape[3])
        let (ho, wo) = (gradOutput.shape[2], gradOutput.shape[3])
        let dy = gradOutput.data, dx = gradInput.data, k = kernelSize, s = stride, scale = 1 / Float(k * k)
        Parallel.chunks(inputShape[0] * inputShape[1], workers: options.workers) { range, _ in
            for plane in range {
                let dxp = dx + plane * h * w
                for oy in 0..<ho {
                    for ox in 0..<wo {
                        let g = dy[(plane * ho + oy) * wo + ox] * scale
                        for ky in 0..<k {
                            let row = dxp + (oy * s + ky) * w + ox * s
                            for kx in 0..<k { row[kx] += g }
                        }
                    }
                }
            }
        }
        return gradInput
    }
}
