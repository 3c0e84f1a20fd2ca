// [N, C, H, W] → [N, C·H·W], keeping row-major order (as torch.flatten(x, 1)).

public final class Flatten: Layer {
    public let name: String
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var inputShape: [Int] = []

    public init(name: String) { self.name = name }

    public func outputShape(for input: [Int]) throws -> [Int] { [input.reduce(1, *)] }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        inputShape = input.shape
        output.reshape(input.shape[0], input.itemCount)
        output.data.update(from: input.data, count: input.count)
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        gradInput.reshape(inputShape)
        gradInput.data.update(from: gradOutput.data, count: gradOutput.count)
        return gradInput
    }
}
