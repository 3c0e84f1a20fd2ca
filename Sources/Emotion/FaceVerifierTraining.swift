// Training and measuring the face verifier (FaceVerifier) with our own engine: a set of 48x48 crops
// labelled face / not face (made by `EmoNetBench verifier` from FER-2013 and ../shared media), Adam,
// mirrored and shifted views as augmentation, a fixed number of epochs. The threshold stored in the
// file is the largest that keeps `targetRecall` of the validation faces, so what the verifier may lose
// is set by measurement, not by hand.
import Foundation
import NeuralNet

/// Crops and their labels: `pixels` holds `count` verifier inputs (FaceVerifier.crop) one after another.
public struct VerifierSamples {
    public private(set) var pixels: [Float] = []
    public private(set) var isFace: [Bool] = []
    /// Where each sample came from ("fer", a media file name, "random", ...), for per-source figures.
    public private(set) var sources: [String] = []
    public static let pixelsPerSample = FERDataset.side * FERDataset.side

    public init() {}

    public var count: Int { isFace.count }
    public var faces: Int { isFace.filter { $0 }.count }

    /// Adds one sample; `fill` writes its 48*48 values.
    public mutating func append(isFace: Bool, source: String, fill: (UnsafeMutablePointer<Float>) -> Void) {
        let start = pixels.count
        pixels.append(contentsOf: repeatElement(0, count: Self.pixelsPerSample))
        pixels.withUnsafeMutableBufferPointer { fill($0.baseAddress! + start) }
        self.isFace.append(isFace)
        sources.append(source)
    }
}

public struct VerifierTrainingConfig: Codable, Sendable {
    public var epochs = 12
    public var batchSize = 64
    public var learningRate: Float = 0.003
    public var weightDecay: Float = 1e-4
    public var seed: UInt64 = 1
    /// Share of validation faces the chosen threshold keeps.
    public var targetRecall = 0.995
    public init() {}
}

/// Precision and recall of a verifier at a threshold.
public struct VerifierMetrics: Codable, Sendable {
    public var threshold: Float
    public var faces: Int
    public var nonFaces: Int
    public var facesKept: Int
    public var nonFacesKept: Int
    public var recall: Double { faces == 0 ? 0 : Double(facesKept) / Double(faces) }
    /// Share of non-faces dropped.
    public var rejection: Double { nonFaces == 0 ? 0 : 1 - Double(nonFacesKept) / Double(nonFaces) }
    public var precision: Double { facesKept + nonFacesKept == 0 ? 0 : Double(facesKept) / Double(facesKept + nonFacesKept) }

    public init(scores: [Float], isFace: [Bool], threshold: Float) {
        self.threshold = threshold
        faces = isFace.filter { $0 }.count
        nonFaces = isFace.count - faces
        facesKept = zip(scores, isFace).filter { $1 && $0 >= threshold }.count
        nonFacesKept = zip(scores, isFace).filter { !$1 && $0 >= threshold }.count
    }

    /// The largest threshold that keeps at least `recall` of the faces.
    public static func threshold(scores: [Float], isFace: [Bool], recall: Double) -> Float {
        let faceScores = zip(scores, isFace).filter { $1 }.map(\.0).sorted()
        guard !faceScores.isEmpty else { return 0.5 }
        // The faces it may lose (the small epsilon: 10 * (1 - 0.8) is 1.9999999999999996 in Double).
        let drop = Int((Double(faceScores.count) * (1 - recall) + 1e-9).rounded(.down))
        return min(max(faceScores[min(drop, faceScores.count - 1)], 1e-4), 0.9999)
    }
}

public enum VerifierTrainer {
    /// Trains a fresh verifier on `train`; `epochDone(epoch, loss, accuracy)` after each epoch.
    public static func train(_ train: VerifierSamples, config: VerifierTrainingConfig,
                             epochDone: (Int, Double, Double) -> Void = { _, _, _ in }) throws -> Sequential {
        let model = try Sequential(spec: FaceVerifier.architecture, seed: config.seed)
        let optimizer = Adam(learningRate: config.learningRate, weightDecay: config.weightDecay, decoupledWeightDecay: true)
        let loss = SoftmaxCrossEntropy()
        let side = FERDataset.side, pixels = VerifierSamples.pixelsPerSample
        let input = Tensor(shape: [config.batchSize, 1, side, side]), targets = Tensor(shape: [config.batchSize, 2])
        var random = SeededRandom(seed: config.seed &+ 7)
        let steps = config.epochs * ((train.count + config.batchSize - 1) / config.batchSize)
        var step = 0
        try train.pixels.withUnsafeBufferPointer { all in
            for epoch in 1...config.epochs {
                var order = Array(0..<train.count)
                order.shuffle(using: &random)
                var lossSum = 0.0, correct = 0
                for start in stride(from: 0, to: order.count, by: config.batchSize) {
                    let batch = min(config.batchSize, order.count - start)
                    input.reshape([batch, 1, side, side])
                    targets.reshape([batch, 2])
                    var labels: [Int] = []
                    for slot in 0..<batch {
                        let i = order[start + slot]
                        // Augmentation: a mirror view half of the time, shifted up to 2 px each way.
                        let dx = Int.random(in: -2...2, using: &random), dy = Int.random(in: -2...2, using: &random)
                        TestTimeAugmentation.copyView(all.baseAddress! + i * pixels, into: input.data + slot * pixels, side: side,
                                                      dx: dx, dy: dy, mirror: Bool.random(using: &random)) { $0 }
                        labels.append(train.isFace[i] ? 1 : 0)
                    }
                    SoftmaxCrossEntropy.targets(labels: labels, classes: 2, into: targets)
                    // Cosine decay over the whole run.
                    optimizer.learningRate = config.learningRate * Float(0.5 * (1 + cos(Double.pi * Double(step) / Double(steps))))
                    step += 1
                    model.zeroGradients()
                    let logits = model.forward(input, training: true)
                    lossSum += loss(logits: logits, targets: targets) * Double(batch)
                    for slot in 0..<batch where (logits[slot * 2 + 1] > logits[slot * 2]) == (labels[slot] == 1) { correct += 1 }
                    model.backward(loss.gradient)
                    optimizer.step(model.parameters)
                }
                epochDone(epoch, lossSum / Double(train.count), Double(correct) / Double(train.count))
            }
        }
        return model
    }

    /// Face probabilities of every sample, through the inference network the product runs.
    public static func scores(_ model: Sequential, _ samples: VerifierSamples, batchSize: Int = 256) -> [Float] {
        let network = InferenceNetwork(model)
        let side = FERDataset.side, pixels = VerifierSamples.pixelsPerSample
        let input = Tensor(shape: [0]), probabilities = Tensor(shape: [0])
        var result: [Float] = []
        result.reserveCapacity(samples.count)
        samples.pixels.withUnsafeBufferPointer { all in
            for start in stride(from: 0, to: samples.count, by: batchSize) {
                let n = min(batchSize, samples.count - start)
                input.reshape([n, 1, side, side])
                input.data.update(from: all.baseAddress! + start * pixels, count: n * pixels)
                SoftmaxCrossEntropy.softmax(network.forward(input), into: probabilities)
                for i in 0..<n { result.append(probabilities.data[i * 2 + 1]) }
            }
        }
        return result
    }

    /// The model file of a trained verifier, with its threshold and how it was made.
    public static func file(_ model: Sequential, threshold: Float, facts: [String: String]) -> ModelFile {
        var metadata = facts
        metadata["purpose"] = FaceVerifier.purpose
        metadata["labels"] = "[\"not-face\",\"face\"]"
        metadata["threshold"] = String(threshold)
        return ModelFile(model: model, metadata: metadata)
    }
}
