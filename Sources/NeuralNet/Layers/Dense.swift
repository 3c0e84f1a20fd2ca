// Fully connected: y[N, out] = x[N, in] · Wᵀ + b, with W [out, in] (PyTorch's Linear layout), b [out].
// Caches the input for the weight gradient. One GEMM for the whole batch.

public final class Dense: Layer {
    public let name: String
    public let inputFeatures: Int
    public let outputFeatures: Int
    public let weight: Parameter
    public let bias: Parameter?
    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])

    public init(name: String, inputFeatures: Int, outputFeatures: Int, bias: Bool = true) {
        precondition(inputFeatures > 0 && outputFeatures > 0)
        self.name = name
        self.inputFeatures = inputFeatures
        self.outputFeatures = outputFeatures
        weight = Parameter(name: "\(name).weight", shape: [outputFeatures, inputFeatures], decays: true)
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [outputFeatures], decays: false) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.reduce(1, *) == inputFeatures, input.count == 1 else {
            throw NeuralNetError.badArchitecture("\(name): expects [\(inputFeatures)] features, got \(input) (add a flatten layer?)")
        }
        return [outputFeatures]
    }

    public func multiplyAdds(for input: [Int]) -> Int { inputFeatures * outputFeatures }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let n = input.shape[0]
        precondition(input.itemCount == inputFeatures, "\(name): \(input.itemCount) features, expected \(inputFeatures)")
        self.input = input
        output.reshape(n, outputFeatures)
        let y = output.data
        if let b = bias?.value.data {
            for i in 0..<n { (y + i * outputFeatures).update(from: b, count: outputFeatures) }
        }
        Gemm.multiply(transposeB: true, m: n, n: outputFeatures, k: inputFeatures, a: input.data, lda: inputFeatures,
                      b: weight.value.data, ldb: inputFeatures, beta: bias == nil ? 0 : 1, c: y, ldc: outputFeatures)
        return output
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let n = input.shape[0], dy = gradOutput.data
        // dW[out, in] += dYᵀ[out, N] · X[N, in]
        Gemm.multiply(transposeA: true, m: outputFeatures, n: inputFeatures, k: n, a: dy, lda: outputFeatures,
                      b: input.data, ldb: inputFeatures, beta: 1, c: weight.grad.data, ldc: inputFeatures)
        if let bias {
            for i in 0..<n {
                for o in 0..<outputFeatures { bias.grad.data[o] += dy[i * outputFeatures + o] }
            }
        }
        // dX[N, in] = dY[N, out] · W[out, in]
        gradInput.reshape(input.shape)
        Gemm.multiply(m: n, n: inputFeatures, k: outputFeatures, a: dy, lda: outputFeatures,
                      b: weight.value.data, ldb: inputFeatures, c: gradInput.data, ldc: inputFeatures)
        return gradInput
    }
}
