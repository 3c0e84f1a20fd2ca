// Mean over each channel's plane: [N, C, H, W] → [N, C]. Backward spreads dy/(H·W) evenly.

public final class GlobalAvgPool: Layer {
    public let name: String
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init(name: String) { self.name = name }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3 else {
            throw NeuralNetError.badArchitecture("\(name): needs [C, H, W], got \(input)")
        }
        return [input[0]]
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let planes = input.shape[0] * input.shape[1], hw = input.shape[2] * input.shape[3]
        inputShape = input.shape
        output.reshape(input.shape[0], input.shape[1])
        let x = input.data, y = output.data, scale = 1 / Float(hw)
        for p in 0..<planes {
            var sum: Float = 0
            for j in 0..<hw { sum += x[p * hw + j] }
            y[p] = sum * scale
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        let planes = inputShape[0] * inputShape[1], hw = inputShape[2] * inputShape[3]
        gradInput.reshape(inputShape)
        let dy = gradOutput.data, dx = gradInput.data, scale = 1 / Float(hw)
        for p in 0..<planes {
            let g = dy[p] * scale
            for j in 0..<hw { dx[p * hw + j] = g }
        }
        return gradInput
    }
}
