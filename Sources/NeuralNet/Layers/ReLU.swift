// max(0, x), elementwise, any shape. Caches its output: ∂y/∂x is 1 where the output is positive.

public final class ReLU: Layer {
    public let name: String
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(name: String) { self.name = name }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        output.reshape(input.shape)
        let x = input.data, y = output.data
        Parallel.chunks(input.count, workers: input.count >= 65536 ? options.workers : 1) { range, _ in
            for i in range { y[i] = max(0, x[i]) }
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        gradInput.reshape(gradOutput.shape)
        let y = output.data, dy = gradOutput.data, dx = gradInput.data
        Parallel.chunks(gradOutput.count, workers: gradOutput.count >= 65536 ? options.workers : 1) { range, _ in
            for i in range { dx[i] = y[i] > 0 ? dy[i] : 0 }
        }
        return gradInput
    }
}
