// The face / not-face check that runs after the cascade (issue 19, item 3): a small CNN of our own
// engine that looks at the same crop the emotion network will see (the box, turned upright along its
// angle, resampled to 48x48) and says how likely it holds a face. The cascade keeps many windows that
// are not faces (a collar, a chin under a face that already has its box, a speck of texture); each
// extra pose the multi-pose search scans adds its own. The verifier drops boxes scoring below the
// threshold stored in its file, chosen when it was trained (EmoNetBench verifier) to keep held-out faces.
//
// Input: the 48x48 crop with each crop standardised to mean 0, std 1 (lighting and contrast vary far
// more between frames than between FER-2013 images); the network averages it down to 24x24 first.
// Not thread-safe (buffers are reused call after call): one instance per processing queue.
import Foundation
import Imaging
import NeuralNet

public final class FaceVerifier {
    /// `purpose` metadata of a verifier file, and its two outputs in order.
    public static let purpose = "face-verifier"
    public static let labels = ["not-face", "face"]
    /// The shipped verifier's path relative to the data root (checkout or `<prefix>/share/emonet`).
    public static let shippedPath = "models/face-verifier.safetensors"

    public let file: ModelFile
    /// Boxes whose face probability is below this are dropped, in (0, 1).
    public let threshold: Float
    private let network: InferenceNetwork
    private let input = Tensor(shape: [0])
    private let probabilities = Tensor(shape: [0])

    public init(file: ModelFile) throws {
        func bad(_ reason: String) -> NeuralNetError { .badFile(file: file.path, reason: reason) }
        guard file.metadata["purpose"] == Self.purpose else {
            throw bad("metadata 'purpose' is \(file.metadata["purpose"].map { "'\($0)'" } ?? "missing"), expected '\(Self.purpose)' (not a face verifier?)")
        }
        guard let labelsText = file.metadata["labels"],
              let labels = try? JSONDecoder().decode([String].self, from: Data(labelsText.utf8)), labels == Self.labels else {
            throw bad("metadata 'labels' must be \(Self.labels)")
        }
        guard file.spec.inputShape == [1, FERDataset.side, FERDataset.side] else {
            throw bad("input shape is \(file.spec.inputShape), expected [1, 48, 48]")
        }
        guard let last = file.spec.layers.last, last.type == "dense", last.outputFeatures == 2 else {
            throw bad("the network does not end in a 2-way dense layer")
        }
        guard let text = file.metadata["threshold"], let value = Float(text), value > 0, value < 1 else {
            throw bad("metadata 'threshold' is \(file.metadata["threshold"] ?? "missing"), expected a number in (0, 1)")
        }
        threshold = value
        network = InferenceNetwork(try file.instantiate())
        self.file = file
    }

    public static func read(path: String) throws -> FaceVerifier {
        try FaceVerifier(file: ModelFile.read(path: path))
    }

    /// The probability that each box (turned `angles[i]` degrees clockwise about its centre) holds a face.
    public func faceProbabilities(_ image: GrayImage, boxes: [Rect], angles: [Double]) -> [Float] {
        precondition(angles.count == boxes.count, "one angle per box")
        guard !boxes.isEmpty else { return [] }
        let pixels = FERDataset.side * FERDataset.side
        input.reshape([boxes.count, 1, FERDataset.side, FERDataset.side])
        for (i, box) in boxes.enumerated() {
            Self.crop(image, box: box, angle: angles[i], into: input.data + i * pixels)
        }
        SoftmaxCrossEntropy.softmax(network.forward(input), into: probabilities)
        return (0..<boxes.count).map { probabilities.data[$0 * 2 + 1] }
    }

    /// Whether each box holds a face (its probability reaches `threshold`).
    public func accepts(_ image: GrayImage, boxes: [Rect], angles: [Double]) -> [Bool] {
        faceProbabilities(image, boxes: boxes, angles: angles).map { $0 >= threshold }
    }

    /// The verifier's input for one box: the emotion network's crop (FaceCrop, along the turned box),
    /// standardised per crop. 48*48 floats into `out`.
    public static func crop(_ image: GrayImage, box: Rect, angle: Double, into out: UnsafeMutablePointer<Float>) {
        FaceCrop.extract(image, box: box, angle: angle, normalization: Normalization(mean: 0, std: 1), into: out)
        standardize(out, count: FERDataset.side * FERDataset.side)
    }

    /// Mean 0 and standard deviation 1 in place (a flat crop stays flat, at 0).
    public static func standardize(_ values: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Float = 0, sumSquares: Float = 0
        for i in 0..<count { sum += values[i]; sumSquares += values[i] * values[i] }
        let mean = sum / Float(count)
        let std = max(sumSquares / Float(count) - mean * mean, 0).squareRoot()
        let scale = std > 1e-3 ? 1 / std : 0
        for i in 0..<count { values[i] = (values[i] - mean) * scale }
    }

    /// The verifier's network: averaged down to 24x24, three 3x3 convolutions (8, 16, 32 channels) with
    /// batch norm, ReLU and 2x2 max pooling, then a 2-way dense layer: about 0.4 M multiply-adds per box.
    public static var architecture: ModelSpec {
        var layers: [LayerSpec] = [.avgPool("down")]
        var channels = 1
        for (i, width) in [8, 16, 32].enumerated() {
            layers += [.conv("conv\(i + 1)", channels, width), .batchNorm("bn\(i + 1)", width), .relu("relu\(i + 1)"),
                       .maxPool("pool\(i + 1)")]
            channels = width
        }
        layers += [.flatten("flatten"), .dense("fc", 2)]
        return ModelSpec(inputShape: [1, FERDataset.side, FERDataset.side], layers: layers)
    }
}
