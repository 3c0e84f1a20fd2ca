// A model file: a safetensors container whose metadata says what it holds.
//   format = "emonet-model", format_version = "1", architecture = ModelSpec JSON,
//   plus whatever the application adds (labels, input normalisation, training facts).
// Loading checks the format, rebuilds the architecture and then requires every tensor the
// architecture names, with its exact shape, and no others.
import Foundation

public struct ModelFile {
    public static let format = "emonet-model"
    public static let formatVersion = "1"

    public var spec: ModelSpec
    /// Application metadata (everything except format, format_version and architecture).
    public var metadata: [String: String]
    public var tensors: [String: Tensor]
    /// Where it was read from, for messages.
    public var path: String

    /// Captures a model's current weights and statistics.
    public init(model: Sequential, metadata: [String: String] = [:]) {
        spec = model.spec
        self.metadata = metadata
        tensors = Dictionary(uniqueKeysWithValues: model.namedTensors.map { ($0.name, $0.tensor.clone()) })
        path = "<memory>"
    }

    public func encoded() -> [UInt8] {
        var meta = metadata
        meta["format"] = Self.format
        meta["format_version"] = Self.formatVersion
        meta["architecture"] = spec.jsonString()
        return SafeTensors(tensors: tensors, metadata: meta).encoded()
    }

    public func write(path: String) throws {
        var meta = metadata
        meta["format"] = Self.format
        meta["format_version"] = Self.formatVersion
        meta["architecture"] = spec.jsonString()
        try SafeTensors(tensors: tensors, metadata: meta).write(path: path)
    }

    public static func decode(_ bytes: [UInt8], file: String) throws -> ModelFile {
        let container = try SafeTensors.decode(bytes, file: file)
        var meta = container.metadata
        guard meta["format"] == format else {
            throw NeuralNetError.badFile(file: file, reason: "metadata 'format' is \(meta["format"].map { "'\($0)'" } ?? "missing"), expected '\(format)'")
        }
        guard meta["format_version"] == formatVersion else {
            throw NeuralNetError.badFile(file: file, reason: "metadata 'format_version' is \(meta["format_version"] ?? "missing"), this build reads version \(formatVersion)")
        }
        guard let architecture = meta["architecture"] else {
            throw NeuralNetError.badFile(file: file, reason: "metadata has no 'architecture'")
        }
        let spec: ModelSpec
        do {
            spec = try ModelSpec.from(json: architecture, weightsAvailable: container.tensors.values.reduce(0) { $0 + $1.count })
        } catch let error as NeuralNetError {
            throw NeuralNetError.badFile(file: file, reason: "metadata 'architecture': \(error.localizedDescription)")
        }
        for key in ["format", "format_version", "architecture"] { meta[key] = nil }
        let model = ModelFile(spec: spec, metadata: meta, tensors: container.tensors, path: file)
        try model.checkTensors()
        return model
    }

    public static func read(path: String) throws -> ModelFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw NeuralNetError.badFile(file: path, reason: exists ? "cannot be read (permissions?)" : "no such file")
        }
        return try decode(Array(data), file: path)
    }

    private init(spec: ModelSpec, metadata: [String: String], tensors: [String: Tensor], path: String) {
        self.spec = spec
        self.metadata = metadata
        self.tensors = tensors
        self.path = path
    }

    /// Every tensor the architecture names must be present with its shape; nothing else may be.
    private func checkTensors() throws {
        let model = try Sequential(uninitialized: spec)
        var expected: [String: [Int]] = [:]
        for (name, tensor) in model.namedTensors { expected[name] = tensor.shape }
        for name in expected.keys.sorted() {
            guard let t = tensors[name] else {
                throw NeuralNetError.tensorMismatch(file: path, tensor: name, reason: "is missing (the architecture needs shape \(expected[name]!))")
            }
            guard t.shape == expected[name]! else {
                throw NeuralNetError.tensorMismatch(file: path, tensor: name, reason: "has shape \(t.shape), the architecture needs \(expected[name]!)")
            }
        }
        if let extra = tensors.keys.filter({ expected[$0] == nil }).sorted().first {
            throw NeuralNetError.tensorMismatch(file: path, tensor: extra, reason: "is not part of the architecture")
        }
    }

    /// A network with this file's architecture and weights.
    public func instantiate() throws -> Sequential {
        let model = try Sequential(uninitialized: spec)
        try load(into: model)
        return model
    }

    /// Copies this file's tensors into a model of the same architecture.
    public func load(into model: Sequential) throws {
        guard model.spec == spec else {
            throw NeuralNetError.badFile(file: path, reason: "architecture differs from the model it is loaded into")
        }
        for (name, tensor) in model.namedTensors {
            guard let saved = tensors[name], saved.shape == tensor.shape else {
                throw NeuralNetError.tensorMismatch(file: path, tensor: name, reason: "is missing or mis-shaped")
            }
            tensor.copy(from: saved)
        }
    }

    /// A few human-readable lines: architecture, cost, metadata.
    public func summary() -> String {
        var lines = ["\(path): \(Self.format) v\(Self.formatVersion)"]
        let shapes = (try? spec.validate()) ?? []
        lines.append("input \(spec.inputShape)")
        for (layer, shape) in zip(spec.layers, shapes) {
            // String(format:) does not pad %@ on Linux: pad the names themselves.
            lines.append("  " + layer.name.padding(toLength: 14, withPad: " ", startingAt: 0) + " "
                         + layer.type.padding(toLength: 13, withPad: " ", startingAt: 0) + " → \(shape)")
        }
        let params = tensors.filter { !$0.key.hasSuffix("running_mean") && !$0.key.hasSuffix("running_var") }
            .reduce(0) { $0 + $1.value.count }
        lines.append("parameters: \(params)")
        if let macs = try? spec.multiplyAdds() {
            lines.append(String(format: "multiply-adds per item: %.1f M", Double(macs) / 1e6))
        }
        for key in metadata.keys.sorted() { lines.append("\(key): \(metadata[key]!)") }
        return lines.joined(separator: "\n")
    }
}
