// Inverted dropout: in training each element is zeroed with probability p and the survivors are
// scaled by 1/(1-p); at inference it is the identity. Any shape. Caches the mask (0 or 1/(1-p)).
// Its generator state is part of a checkpoint so a resumed run draws the same masks.

public final class Dropout: Layer {
    public let name: String
    public let probability: Float
    public var random: SeededRandom
    private let output = Tensor(shape: [0])
    private let mask = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var trainedLast = false

    public init(name: String, probability: Float, seed: UInt64 = 0) {
        precondition(probability >= 0 && probability < 1, "dropout probability must be in [0, 1)")
        self.name = name
        self.probability = probability
        self.random = SeededRandom(seed: seed ^ 0xD50F)
    }

    public func outputShape(for input: [Int]) throws -> [Int] { input }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        output.reshape(input.shape)
        trainedLast = options.training && probability > 0
        guard trainedLast else {
            output.data.update(from: input.data, count: input.count)
            return output
        }
        mask.reshape(input.shape)
        let keep = 1 / (1 - probability)
        let x = input.data, y = output.data, m = mask.data
        for i in 0..<input.count {
            m[i] = random.uniform() < probability ? 0 : keep
            y[i] = x[i] * m[i]
        }
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        gradInput.reshape(gradOutput.shape)
        if trainedLast {
            let dy = gradOutput.data, dx = gradInput.data, m = mask.data
            for i in 0..<gradOutput.count { dx[i] = dy[i] * m[i] }
        } else {
            gradInput.data.update(from: gradOutput.data, count: gradOutput.count)
        }
        return gradInput
    }
}
