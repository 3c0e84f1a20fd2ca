// An architecture described as data. A trained file stores this (as JSON in its metadata), so the
// file alone says what network it holds. Each layer names its kind and only the keys that kind uses;
// `validate` reports a missing key, an unknown kind, or a key the kind would ignore (typos surface).
import Foundation

/// One layer of an architecture. `type` is one of: conv2d, batchnorm2d, relu, maxpool2d,
/// avgpool2d, globalavgpool, dropout, flatten, dense.
public struct LayerSpec: Codable, Equatable, Sendable {
    public var type: String
    public var name: String
    public var inputChannels: Int?
    public var outputChannels: Int?
    public var kernelSize: Int?
    public var stride: Int?
    public var padding: Int?
    public var bias: Bool?
    public var probability: Float?
    public var outputFeatures: Int?

    public init(type: String, name: String, inputChannels: Int? = nil, outputChannels: Int? = nil,
                kernelSize: Int? = nil, stride: Int? = nil, padding: Int? = nil, bias: Bool? = nil,
                probability: Float? = nil, outputFeatures: Int? = nil) {
        self.type = type
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.bias = bias
        self.probability = probability
        self.outputFeatures = outputFeatures
    }

    public static func conv(_ name: String, _ input: Int, _ output: Int, kernel: Int = 3, stride: Int = 1,
                            padding: Int = 1, bias: Bool = false) -> LayerSpec {
        LayerSpec(type: "conv2d", name: name, inputChannels: input, outputChannels: output, kernelSize: kernel,
                  stride: stride, padding: padding, bias: bias)
    }
    public static func batchNorm(_ name: String, _ channels: Int) -> LayerSpec {
        LayerSpec(type: "batchnorm2d", name: name, outputChannels: channels)
    }
    public static func relu(_ name: String) -> LayerSpec { LayerSpec(type: "relu", name: name) }
    public static func maxPool(_ name: String, _ kernel: Int = 2) -> LayerSpec {
        LayerSpec(type: "maxpool2d", name: name, kernelSize: kernel, stride: kernel)
    }
    public static func avgPool(_ name: String, _ kernel: Int = 2) -> LayerSpec {
        LayerSpec(type: "avgpool2d", name: name, kernelSize: kernel, stride: kernel)
    }
    public static func globalAvgPool(_ name: String) -> LayerSpec { LayerSpec(type: "globalavgpool", name: name) }
    public static func dropout(_ name: String, _ p: Float) -> LayerSpec {
        LayerSpec(type: "dropout", name: name, probability: p)
    }
    public static func flatten(_ name: String) -> LayerSpec { LayerSpec(type: "flatten", name: name) }
    public static func dense(_ name: String, _ outputs: Int, bias: Bool = true) -> LayerSpec {
        LayerSpec(type: "dense", name: name, bias: bias, outputFeatures: outputs)
    }

    /// The keys each kind uses; anything else set on a layer is reported.
    static let keys: [String: (required: Set<String>, optional: Set<String>)] = [
        "conv2d": (["inputChannels", "outputChannels", "kernelSize"], ["stride", "padding", "bias"]),
        "batchnorm2d": (["outputChannels"], []),
        "relu": ([], []), "flatten": ([], []), "globalavgpool": ([], []),
        "maxpool2d": (["kernelSize"], ["stride"]),
        "avgpool2d": (["kernelSize"], ["stride"]),
        "dropout": (["probability"], []),
        "dense": (["outputFeatures"], ["bias"]),
    ]

    /// Each size within what a layer can hold, so a model file's architecture (untrusted) never
    /// reaches a layer's preconditions or an allocation of its own choosing.
    func checkRanges() throws {
        func check(_ value: Int?, _ key: String, _ range: ClosedRange<Int>) throws {
            guard let value, !range.contains(value) else { return }
            throw NeuralNetError.badArchitecture("layer '\(name)' (\(type)): \(key) is \(value), expected \(range.lowerBound)...\(range.upperBound)")
        }
        try check(inputChannels, "inputChannels", 1...65_536)
        try check(outputChannels, "outputChannels", 1...65_536)
        try check(kernelSize, "kernelSize", 1...64)
        try check(stride, "stride", 1...64)
        try check(padding, "padding", 0...64)
        try check(outputFeatures, "outputFeatures", 1...1 << 20)
        if let probability, !(probability >= 0 && probability < 1) {
            throw NeuralNetError.badArchitecture("layer '\(name)' (\(type)): probability is \(probability), expected [0, 1)")
        }
    }

    var setKeys: Set<String> {
        var s = Set<String>()
        if inputChannels != nil { s.insert("inputChannels") }
        if outputChannels != nil { s.insert("outputChannels") }
        if kernelSize != nil { s.insert("kernelSize") }
        if stride != nil { s.insert("stride") }
        if padding != nil { s.insert("padding") }
        if bias != nil { s.insert("bias") }
        if probability != nil { s.insert("probability") }
        if outputFeatures != nil { s.insert("outputFeatures") }
        return s
    }
}

/// A sequence of layers and the shape of one input item ([C, H, W]).
public struct ModelSpec: Codable, Equatable, Sendable {
    public var inputShape: [Int]
    public var layers: [LayerSpec]

    public init(inputShape: [Int], layers: [LayerSpec]) {
        self.inputShape = inputShape
        self.layers = layers
    }

    /// Checks every layer's keys and that shapes chain; returns the output shape of each layer.
    /// `weightsAvailable`: the values a file holds; an architecture that needs more is refused before
    /// its layers allocate anything (a lying header must not cost gigabytes).
    @discardableResult
    public func validate(weightsAvailable: Int? = nil) throws -> [[Int]] {
        var names = Set<String>()
        for (i, layer) in layers.enumerated() {
            guard let keys = LayerSpec.keys[layer.type] else {
                throw NeuralNetError.badArchitecture("layer \(i) '\(layer.name)': unknown type '\(layer.type)' (expected one of \(LayerSpec.keys.keys.sorted().joined(separator: ", ")))")
            }
            guard !layer.name.isEmpty, names.insert(layer.name).inserted else {
                throw NeuralNetError.badArchitecture("layer \(i): name '\(layer.name)' is empty or used twice")
            }
            let set = layer.setKeys
            if let missing = keys.required.subtracting(set).sorted().first {
                throw NeuralNetError.badArchitecture("layer '\(layer.name)' (\(layer.type)): missing '\(missing)'")
            }
            if let extra = set.subtracting(keys.required).subtracting(keys.optional).sorted().first {
                throw NeuralNetError.badArchitecture("layer '\(layer.name)' (\(layer.type)): '\(extra)' does not apply to this layer type")
            }
            try layer.checkRanges()
        }
        guard (1...3).contains(inputShape.count), inputShape.allSatisfy(Self.sideRange.contains) else {
            throw NeuralNetError.badArchitecture("inputShape is \(inputShape), expected 1 to 3 sizes each in \(Self.sideRange)")
        }
        let weights = try weightCount()
        guard weights <= Self.maximumWeights else {
            throw NeuralNetError.badArchitecture("\(weights) weights, over the limit of \(Self.maximumWeights)")
        }
        // A few missing values are left to the per-tensor checks, which name the tensor; the
        // allocation this guards against is a large one.
        if let weightsAvailable, weights > weightsAvailable + Self.weightsSlack {
            throw NeuralNetError.badArchitecture("it needs \(weights) weights but the file holds \(weightsAvailable) values")
        }
        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in try Sequential.makeLayers(self, seed: 0, initialize: false) {
            shape = try layer.outputShape(for: shape)
            shapes.append(shape)
        }
        return shapes
    }

    /// Sizes of an input dimension, and the most weights a model may have (1 GiB of Float; the
    /// shipped model has about a million). Checked before any layer allocates its weights.
    public static let sideRange = 1...4096
    public static let maximumWeights = 1 << 28
    /// How many more weights than a file holds an architecture may declare before it is refused unbuilt.
    static let weightsSlack = 1 << 20

    /// The number of convolution and dense weights (biases and batch-norm values not counted), by
    /// arithmetic on the declared sizes alone (nothing allocated), with overflow reported as an error.
    /// A model file must hold at least this many values. Assumes `checkRanges` passed for every layer.
    public func weightCount() throws -> Int {
        func product(_ values: [Int]) throws -> Int {
            try values.reduce(1) { total, v in
                let (p, overflow) = total.multipliedReportingOverflow(by: v)
                guard !overflow, p <= Self.maximumWeights else {
                    throw NeuralNetError.badArchitecture("sizes \(values) multiply to more than \(Self.maximumWeights)")
                }
                return p
            }
        }
        var shape = inputShape, total = 0
        for layer in layers {
            switch layer.type {
            case "conv2d":
                let k = layer.kernelSize ?? 1, s = layer.stride ?? 1, p = layer.padding ?? 0
                total += try product([layer.inputChannels ?? 1, layer.outputChannels ?? 1, k, k])
                guard shape.count == 3 else { return total }
                shape = [layer.outputChannels ?? 1, (shape[1] + 2 * p - k) / s + 1, (shape[2] + 2 * p - k) / s + 1]
            case "maxpool2d", "avgpool2d":
                let k = layer.kernelSize ?? 1, s = layer.stride ?? k
                guard shape.count == 3 else { return total }
                shape = [shape[0], (shape[1] - k) / s + 1, (shape[2] - k) / s + 1]
            case "globalavgpool": shape = [shape.first ?? 1]
            case "flatten": shape = [try product(shape)]
            case "dense":
                total += try product([try product(shape), layer.outputFeatures ?? 1])
                shape = [layer.outputFeatures ?? 1]
            default: break
            }
            guard shape.allSatisfy({ $0 > 0 }), total <= Self.maximumWeights else { return total }
        }
        return total
    }

    /// Multiply-adds for one input item.
    public func multiplyAdds() throws -> Int {
        var shape = inputShape, total = 0
        for layer in try Sequential.makeLayers(self, seed: 0, initialize: false) {
            total += layer.multiplyAdds(for: shape)
            shape = try layer.outputShape(for: shape)
        }
        return total
    }

    public func jsonString() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    public static func from(json: String, weightsAvailable: Int? = nil) throws -> ModelSpec {
        do {
            let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
            try spec.validate(weightsAvailable: weightsAvailable)
            return spec
        } catch let error as NeuralNetError {
            throw error
        } catch {
            throw NeuralNetError.badArchitecture("not a valid architecture description: \(error)")
        }
    }
}
