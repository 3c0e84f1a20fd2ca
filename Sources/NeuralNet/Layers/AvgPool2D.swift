// Average pooling, kernel k, stride s, no padding, floor mode.
// [N, C, H, W] → [N, C, (H-k)/s+1, (W-k)/s+1]. Stateless: backward spreads dy/k² over each window.

public final class AvgPool2D: Layer {
    public let name: String
    public let kernelSize: Int
    public let stride: Int
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
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
        let x = input.data, y = output.data, k = kernelSize, s = stride, scale = 1 / Float(k * k)
        Parallel.chunks(n * c, workers: options.workers) { range, _ in
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
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (ho, wo) = (gradOutput.shape[2], gradOutput.shape[3])
        gradInput.reshape(inputShape)
        gradInput.zero()
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
