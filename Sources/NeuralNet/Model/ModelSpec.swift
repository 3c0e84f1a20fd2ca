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
    @discardableResult
    public func validate() throws -> [[Int]] {
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
        }
        var shape = inputShape
        var shapes: [[Int]] = []
        for layer in try Sequential.makeLayers(self, seed: 0, initialize: false) {
            shape = try layer.outputShape(for: shape)
            shapes.append(shape)
        }
        return shapes
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

    public static func from(json: String) throws -> ModelSpec {
        do {
            let spec = try JSONDecoder().decode(ModelSpec.self, from: Data(json.utf8))
            try spec.validate()
            return spec
        } catch let error as NeuralNetError {
            throw error
        } catch {
            throw NeuralNetError.badArchitecture("not a valid architecture description: \(error)")
        }
    }
}
