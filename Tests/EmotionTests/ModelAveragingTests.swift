// Weight averaging: the average is the element-wise mean, only like models average, checkpoints read as
// the model of their epoch, and recounted batch-norm statistics are the plain average over the batches.
import Emotion
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class ModelAveragingTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = TestPaths.temporaryDirectory("averaging") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    func tinyModel(seed: UInt64, path: String, normalization: Normalization = Normalization(mean: 0.5, std: 0.25)) throws -> EmotionModel {
        let network = try Sequential(spec: Architectures.named("tiny")!, seed: seed)
        var file = ModelFile(model: network, metadata: [
            "labels": String(decoding: try JSONEncoder().encode(EmotionLabel.names), as: UTF8.self),
            "input": "{\"width\":48,\"height\":48,\"channels\":1,\"mean\":\(normalization.mean),\"std\":\(normalization.std)}",
        ])
        file.path = path
        return try EmotionModel(file: file)
    }

    func testTheAverageIsTheElementwiseMeanOfEveryTensor() throws {
        let models = try (1...3).map { try tinyModel(seed: $0, path: "m\($0)") }
        let sources = models.enumerated().map { ($1, ModelAveraging.Source(file: "m\($0)", epoch: $0, validationAccuracy: 0)) }
        let averaged = try ModelAveraging.average(sources)
        var checked = 0
        for (name, tensor) in averaged.network.namedTensors {
            let parts = models.map { $0.file.tensors[name]! }
            if name.hasSuffix("conv.weight") {
                XCTAssertNotEqual(parts[0][0], parts[1][0], "\(name): different seeds should give different weights")
            }
            for i in stride(from: 0, to: tensor.count, by: max(1, tensor.count / 50)) {
                let mean = (parts[0][i] + parts[1][i] + parts[2][i]) / 3
                XCTAssertEqual(tensor[i], mean, accuracy: 1e-6, "\(name)[\(i)]")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 100)
        let recorded = try JSONDecoder().decode([ModelAveraging.Source].self, from: Data(averaged.file.metadata["averaged"]!.utf8))
        XCTAssertEqual(recorded.map(\.file), ["m0", "m1", "m2"])
    }

    func testOnlyModelsOfOneArchitectureAndNormalisationAverage() throws {
        let a = try tinyModel(seed: 1, path: "a.safetensors")
        let other = try Sequential(spec: Architectures.vgg(widths: [4, 8], hidden: 16, dropout: 0, convsPerBlock: [1, 1]))
        var file = ModelFile(model: other, metadata: a.file.metadata)
        file.path = "other.safetensors"
        let b = try EmotionModel(file: file)
        XCTAssertThrowsError(try ModelAveraging.average([(a, .init(file: "a.safetensors", epoch: 1, validationAccuracy: 0)),
                                                          (b, .init(file: "other.safetensors", epoch: 1, validationAccuracy: 0))])) {
            XCTAssertTrue($0.localizedDescription.contains("other.safetensors"), $0.localizedDescription)
            XCTAssertTrue($0.localizedDescription.contains("architecture"), $0.localizedDescription)
        }
        let c = try tinyModel(seed: 2, path: "c.safetensors", normalization: Normalization(mean: 0.4, std: 0.25))
        XCTAssertThrowsError(try ModelAveraging.average([(a, .init(file: "a.safetensors", epoch: 1, validationAccuracy: 0)),
                                                          (c, .init(file: "c.safetensors", epoch: 1, validationAccuracy: 0))])) {
            XCTAssertTrue($0.localizedDescription.contains("c.safetensors"), $0.localizedDescription)
            XCTAssertTrue($0.localizedDescription.contains("normalisation"), $0.localizedDescription)
        }
    }

    /// Conv → batch norm: after a recount the running mean is the mean of the conv's outputs over every
    /// batch and the running variance the average of the batches' unbiased variances; weights do not
    /// move, and afterwards the layer is back to its momentum.
    func testRecountedStatisticsAreThePlainAverageOverTheBatches() throws {
        let spec = ModelSpec(inputShape: [1, 6, 6], layers: [.conv("c", 1, 3), .batchNorm("bn", 3)])
        let network = try Sequential(spec: spec, seed: 5)
        let weightsBefore = network.parameters.map { $0.value.clone() }
        var random = SeededRandom(seed: 9)
        let batches: [Tensor] = (0..<4).map { b in
            let t = Tensor(shape: [5, 1, 6, 6])
            for i in 0..<t.count { t[i] = random.uniform() * Float(b + 1) }
            return t
        }
        // Expected statistics from the conv's own outputs.
        let conv = network.layers[0]
        var means = [[Double]](repeating: [], count: 3), variances = [[Double]](repeating: [], count: 3)
        for batch in batches {
            let y = conv.forward(batch, PassOptions(training: false, workers: 1))
            let hw = 36
            for ch in 0..<3 {
                var values: [Double] = []
                for n in 0..<5 { for i in 0..<hw { values.append(Double(y[(n * 3 + ch) * hw + i])) } }
                let mean = values.reduce(0, +) / Double(values.count)
                means[ch].append(mean)
                variances[ch].append(values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1))
            }
        }
        XCTAssertEqual(network.recountBatchNormStatistics(batches), 4)
        let bn = network.layers[1] as! BatchNorm2D
        for ch in 0..<3 {
            XCTAssertEqual(Double(bn.runningMean[ch]), means[ch].reduce(0, +) / 4, accuracy: 1e-4, "mean of channel \(ch)")
            XCTAssertEqual(Double(bn.runningVar[ch]), variances[ch].reduce(0, +) / 4, accuracy: 1e-3, "variance of channel \(ch)")
        }
        for (before, after) in zip(weightsBefore, network.parameters) {
            XCTAssertEqual(Array(UnsafeBufferPointer(start: before.data, count: before.count)),
                           Array(UnsafeBufferPointer(start: after.value.data, count: after.value.count)))
        }
        // Back to momentum 0.1: one more training batch moves the mean a tenth of the way.
        let recounted = bn.runningMean[0]
        let y = conv.forward(batches[0], PassOptions(training: false, workers: 1))
        var sum = 0.0
        for n in 0..<5 { for i in 0..<36 { sum += Double(y[n * 3 * 36 + i]) } }
        _ = network.forward(batches[0], training: true)
        XCTAssertEqual(Double(bn.runningMean[0]), 0.9 * Double(recounted) + 0.1 * sum / 180, accuracy: 1e-4)
    }

    /// A checkpoint reads as the model of the epoch it was written at; a `--keep-epochs` file says its epoch.
    func testCheckpointsAndEpochFilesReadAsTheirEpochsModel() throws {
        var c = TrainingConfig()
        c.architecture = "tiny"
        c.epochs = 2
        c.batchSize = 16
        c.warmupEpochs = 0
        c.workers = 1
        let trainer = try Trainer(config: c, train: TrainingTests.synthetic(count: 64, seed: 1, split: .training),
                                  validation: TrainingTests.synthetic(count: 14, seed: 2, split: .publicTest))
        trainer.runEpoch()
        let (record, _) = trainer.runEpoch()
        let checkpointPath = dir.appendingPathComponent("run.checkpoint.safetensors").path
        try trainer.checkpoint().write(path: checkpointPath)
        let (model, source) = try ModelAveraging.readSource(path: checkpointPath)
        XCTAssertEqual(source.epoch, 2)
        XCTAssertEqual(source.validationAccuracy, record.validationAccuracy)
        XCTAssertEqual(model.normalization, trainer.normalization)
        for (name, tensor) in trainer.model.namedTensors {
            let read = model.file.tensors[name]!
            XCTAssertEqual(Array(UnsafeBufferPointer(start: read.data, count: read.count)),
                           Array(UnsafeBufferPointer(start: tensor.data, count: tensor.count)), name)
        }
        let recordText = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        let epochPath = dir.appendingPathComponent("run.epoch2.safetensors").path
        try trainer.modelFile(extra: ["epoch_record": recordText]).write(path: epochPath)
        XCTAssertEqual(try ModelAveraging.readSource(path: epochPath).source.epoch, 2)

        let garbage = dir.appendingPathComponent("garbage.safetensors").path
        FileManager.default.createFile(atPath: garbage, contents: Data("nonsense".utf8))
        XCTAssertThrowsError(try ModelAveraging.readSource(path: garbage)) {
            XCTAssertTrue($0.localizedDescription.contains("garbage.safetensors"), $0.localizedDescription)
        }
    }
}
