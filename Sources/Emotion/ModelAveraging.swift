// Averaging trained emotion models (SWA): the sources are model files or training checkpoints (the
// weights of the epoch they were written at), all of one architecture and input normalisation. The
// averaged network's batch-norm statistics are recounted over Training images, augmented as the last
// source was trained, since the mean of several networks' running statistics describes none of them.
import Foundation
import NeuralNet

public enum ModelAveraging {
    /// One averaged source, as recorded in the result's metadata.
    public struct Source: Codable, Equatable, Sendable {
        public var file: String
        /// Epochs of training behind the weights (checkpoint: all; model file: its best epoch).
        public var epoch: Int
        /// The source's own validation accuracy as it recorded it (checkpoint: its last epoch's).
        public var validationAccuracy: Double

        public init(file: String, epoch: Int, validationAccuracy: Double) {
            self.file = file
            self.epoch = epoch
            self.validationAccuracy = validationAccuracy
        }
    }

    /// A model file, or a training checkpoint read as the model of the epoch it was written at.
    public static func readSource(path: String) throws -> (model: EmotionModel, source: Source) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw NeuralNetError.badFile(file: path, reason: exists ? "cannot be read (permissions?)" : "no such file")
        }
        let bytes = Array(data)
        let container = try SafeTensors.decode(bytes, file: path)
        guard container.metadata["format"] == Trainer.checkpointFormat else {
            let model = try EmotionModel(file: ModelFile.decode(bytes, file: path))
            // `emonet train --keep-epochs` files say which epoch they hold; a best model is its best epoch.
            if let text = model.file.metadata["epoch_record"],
               let record = try? JSONDecoder().decode(EpochRecord.self, from: Data(text.utf8)) {
                return (model, Source(file: path, epoch: record.epoch, validationAccuracy: record.validationAccuracy))
            }
            let facts = model.trainingFacts
            return (model, Source(file: path, epoch: facts?.bestEpoch ?? 0, validationAccuracy: facts?.validationAccuracy ?? 0))
        }
        let (config, normalization) = try Trainer.config(ofCheckpoint: container, file: path)
        func bad(_ reason: String) -> TrainingError { .badCheckpoint(file: path, reason: reason) }
        guard let architecture = container.metadata["architecture"], let spec = try? ModelSpec.from(json: architecture, weightsAvailable: container.tensors.values.reduce(0) { $0 + $1.count }) else {
            throw bad("metadata 'architecture' is missing or unreadable")
        }
        let network = try Sequential(spec: spec)
        for (name, t) in network.namedTensors {
            guard let saved = container.tensors["model.\(name)"] else { throw bad("tensor 'model.\(name)' is missing") }
            guard saved.shape == t.shape else { throw bad("tensor 'model.\(name)' has shape \(saved.shape), expected \(t.shape)") }
            t.copy(from: saved)
        }
        guard let historyText = container.metadata["history"],
              let history = try? JSONDecoder().decode([EpochRecord].self, from: Data(historyText.utf8)), let last = history.last else {
            throw bad("metadata 'history' is missing, unreadable or empty")
        }
        let facts = TrainingFacts(config: config, epochs: history.count, bestEpoch: history.count,
                                  validationAccuracy: last.validationAccuracy,
                                  wallSeconds: Double(container.metadata["wall_seconds"] ?? "") ?? 0,
                                  trainImages: 0, validationImages: 0)
        var file = ModelFile(model: network, metadata: [
            "labels": encode(EmotionLabel.names),
            "input": encode(InputDescription(width: FERDataset.side, height: FERDataset.side, channels: 1,
                                             mean: normalization.mean, std: normalization.std)),
            "training": encode(facts),
        ])
        file.path = path
        return (try EmotionModel(file: file), Source(file: path, epoch: history.count, validationAccuracy: last.validationAccuracy))
    }

    /// The element-wise mean of `models` (one architecture, one input normalisation), its batch-norm
    /// statistics not yet recounted. Metadata: the last model's (less its `epoch_record`), plus
    /// `averaged` (the sources).
    public static func average(_ models: [(model: EmotionModel, source: Source)]) throws -> EmotionModel {
        guard let first = models.first else { throw NeuralNetError.badArchitecture("nothing to average") }
        var file = try ModelFile.averaging(models.map(\.model.file))
        for (model, source) in models.dropFirst() where model.normalization != first.model.normalization {
            throw NeuralNetError.badFile(file: source.file, reason: "its input normalisation (mean \(model.normalization.mean), std \(model.normalization.std)) differs from \(first.source.file)'s; only models trained on the same data can be averaged")
        }
        file.metadata["averaged"] = encode(models.map(\.source))
        file.metadata["epoch_record"] = nil
        return try EmotionModel(file: file)
    }

    /// Recounts `network`'s batch-norm statistics over the first `limit` images of `dataset` in
    /// batches of `batchSize`, each augmented with `augmentation` (seeded per image) and normalised.
    /// `progress` gets the number of images done. Returns the number of images used.
    @discardableResult
    public static func recountStatistics(of network: Sequential, dataset: FERDataset, normalization: Normalization,
                                         augmentation: AugmentationConfig, seed: UInt64, limit: Int? = nil,
                                         batchSize: Int = 64, progress: ((Int) -> Void)? = nil) -> Int {
        let pixels = FERDataset.pixelsPerImage
        // Whole batches only: a short last batch would weigh as much as a full one in the average.
        let count = (min(limit ?? dataset.count, dataset.count) / batchSize) * batchSize
        let input = Tensor(shape: [batchSize, 1, FERDataset.side, FERDataset.side])
        let workers = network.workers
        dataset.pixels.withUnsafeBufferPointer { all in
            let batches = stride(from: 0, to: count, by: batchSize).lazy.map { start -> Tensor in
                Parallel.chunks(batchSize, workers: workers) { range, _ in
                    for slot in range {
                        let position = start + slot
                        var random = Augmenter.random(seed: seed, epoch: 0, position: position)
                        Augmenter.augment(all.baseAddress! + position * pixels, into: input.data + slot * pixels,
                                          config: augmentation, random: &random)
                        normalization.apply(input.data + slot * pixels, count: pixels)
                    }
                }
                progress?(start + batchSize)
                return input
            }
            network.recountBatchNormStatistics(batches)
        }
        return count
    }

    private static func encode<T: Encodable>(_ value: T) -> String { MetadataJSON.string(value) }
}
