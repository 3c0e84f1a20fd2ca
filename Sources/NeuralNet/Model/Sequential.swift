// A model: layers applied in order, built from a `ModelSpec`. Owns the pass options (workers)
// and the list of named tensors (parameters, then buffers) that make up its file.

public final class Sequential {
    public let spec: ModelSpec
    public let layers: [Layer]
    /// Threads the batch is split over, in forward and backward.
    public var workers: Int = 1

    /// Builds the layers and initialises weights from `seed`: He-normal for conv/dense weights, zero
    /// biases, γ=1 β=0 for batch norm, except the final dense layer, whose weights start at std 0.01
    /// so the first predictions are near uniform (loss ≈ log K) and the first gradients are mild.
    public init(spec: ModelSpec, seed: UInt64 = 1) throws {
        try spec.validate()
        self.spec = spec
        self.layers = try Self.makeLayers(spec, seed: seed, initialize: true)
        self.runs = Self.fuseBatchNormReLU(layers)
    }

    /// Layers with zero weights, for a model whose tensors are about to be loaded (skips the random
    /// initialisation, a tenth of a second of start-up for the shipped model).
    /// Dropout generators are seeded as `init(spec:)` seeds them.
    init(uninitialized spec: ModelSpec) throws {
        try spec.validate()
        self.spec = spec
        self.layers = try Self.makeLayers(spec, seed: 1, initialize: false)
        self.runs = Self.fuseBatchNormReLU(layers)
    }

    /// Whether forward and backward run each layer: false for a ReLU that directly follows a batch norm,
    /// which then applies the ReLU itself (`BatchNorm2D.appliesReLU`, the same results in one pass).
    public let runs: [Bool]

    private static func fuseBatchNormReLU(_ layers: [Layer]) -> [Bool] {
        var runs = [Bool](repeating: true, count: layers.count)
        for i in layers.indices.dropFirst() {
            if layers[i] is ReLU, let bn = layers[i - 1] as? BatchNorm2D {
                bn.appliesReLU = true
                runs[i] = false
            }
        }
        return runs
    }

    static func makeLayers(_ spec: ModelSpec, seed: UInt64, initialize: Bool) throws -> [Layer] {
        var random = SeededRandom(seed: seed)
        var shape = spec.inputShape
        var layers: [Layer] = []
        for (index, s) in spec.layers.enumerated() {
            let layer: Layer
            switch s.type {
            case "conv2d":
                let conv = Conv2D(name: s.name, inputChannels: s.inputChannels!, outputChannels: s.outputChannels!,
                                  kernelSize: s.kernelSize!, stride: s.stride ?? 1, padding: s.padding ?? 0,
                                  bias: s.bias ?? true)
                if initialize { heNormal(conv.weight, fanIn: conv.inputChannels * conv.kernelSize * conv.kernelSize, &random) }
                layer = conv
            case "batchnorm2d": layer = BatchNorm2D(name: s.name, channels: s.outputChannels!)
            case "relu": layer = ReLU(name: s.name)
            case "maxpool2d": layer = MaxPool2D(name: s.name, kernelSize: s.kernelSize!, stride: s.stride)
            case "avgpool2d": layer = AvgPool2D(name: s.name, kernelSize: s.kernelSize!, stride: s.stride)
            case "globalavgpool": layer = GlobalAvgPool(name: s.name)
            case "flatten": layer = Flatten(name: s.name)
            case "dropout":
                guard let p = s.probability, p >= 0, p < 1 else {
                    throw NeuralNetError.badArchitecture("layer '\(s.name)': dropout probability must be in [0, 1)")
                }
                layer = Dropout(name: s.name, probability: p, seed: seed &+ UInt64(index))
            case "dense":
                let inputs = shape.reduce(1, *)
                let dense = Dense(name: s.name, inputFeatures: inputs, outputFeatures: s.outputFeatures!, bias: s.bias ?? true)
                if initialize {
                    if index == spec.layers.count - 1 {
                        for i in 0..<dense.weight.value.count { dense.weight.value[i] = random.normal() * 0.01 }
                    } else {
                        heNormal(dense.weight, fanIn: inputs, &random)
                    }
                }
                layer = dense
            default:
                throw NeuralNetError.badArchitecture("layer '\(s.name)': unknown type '\(s.type)'")
            }
            shape = try layer.outputShape(for: shape)
            layers.append(layer)
        }
        return layers
    }

    private static func heNormal(_ p: Parameter, fanIn: Int, _ random: inout SeededRandom) {
        let std = (2 / Float(fanIn)).squareRoot()
        for i in 0..<p.value.count { p.value[i] = random.normal() * std }
    }

    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Every tensor saved in a model file, by its stable key: parameters, then buffers.
    public var namedTensors: [(name: String, tensor: Tensor)] {
        layers.flatMap { layer in layer.parameters.map { ($0.name, $0.value) } + layer.buffers }
    }

    /// Runs every layer; the returned tensor belongs to the last layer (valid until the next forward).
    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let options = PassOptions(training: training, workers: workers)
        var x = input
        for (layer, runs) in zip(layers, runs) where runs { x = layer.forward(x, options) }
        return x
    }

    /// Back-propagates ∂L/∂output; parameter gradients accumulate. The gradient with respect to the
    /// input images is not computed (nothing trains them), as PyTorch skips it for inputs without
    /// `requires_grad`.
    public func backward(_ gradOutput: Tensor) {
        var g = gradOutput
        for i in layers.indices.reversed() where runs[i] {
            g = layers[i].backward(g, PassOptions(training: true, workers: workers, inputGradient: i > 0))
        }
    }

    public func zeroGradients() {
        for p in parameters { p.grad.zero() }
    }

    /// Generator states of the dropout layers (saved in checkpoints).
    public var randomStates: [String: [UInt64]] {
        get {
            var states: [String: [UInt64]] = [:]
            for case let d as Dropout in layers { states[d.name] = d.random.state }
            return states
        }
        set {
            for case let d as Dropout in layers {
                if let s = newValue[d.name], let r = SeededRandom(state: s) { d.random = r }
            }
        }
    }

    /// Parameter count (trainable scalars).
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.value.count } }
}
