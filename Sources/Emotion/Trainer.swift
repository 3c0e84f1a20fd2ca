// Training the emotion network: shuffled, augmented mini-batches on the Training split, an
// evaluation on the validation split after every epoch, the learning-rate schedule, and
// checkpoints that hold everything needed to continue bit for bit (weights, batch-norm
// statistics, optimizer state, schedule state, dropout generators, history).
// The epoch's order and each image's augmentation derive from (seed, epoch, position), so nothing
// else random needs saving. Files are the caller's business: this type hands out values.
import Foundation
import NeuralNet

/// One finished epoch.
public struct EpochRecord: Codable, Equatable, Sendable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var validationLoss: Double
    public var validationAccuracy: Double
    public var seconds: Double
    public var imagesPerSecond: Double
}

/// Where an epoch is, for progress bars.
public struct BatchProgress: Sendable {
    public var epoch: Int
    public var batch: Int
    public var batches: Int
    public var loss: Double
    public var accuracy: Double
    public var imagesPerSecond: Double
}

public final class Trainer {
    public static let checkpointFormat = "emonet-checkpoint"

    public let config: TrainingConfig
    public let model: Sequential
    public let optimizer: Optimizer
    public private(set) var schedule: LearningRateSchedule
    public private(set) var history: [EpochRecord] = []
    public let normalization: Normalization
    /// Best validation accuracy so far and the epoch (1-based) it was reached.
    public private(set) var bestAccuracy = 0.0
    public private(set) var bestEpoch = 0
    /// Seconds of training and evaluation over all sittings.
    public private(set) var wallSeconds = 0.0

    private let train: FERDataset
    private let validation: FERDataset
    private let loss = SoftmaxCrossEntropy()
    private var teachers: [Teacher] = []

    /// A model whose predictions are blended into the targets, and the normalisation it expects.
    private struct Teacher {
        let network: Sequential
        let normalization: Normalization
    }

    public var epochsDone: Int { history.count }

    public init(config: TrainingConfig, train: FERDataset, validation: FERDataset, normalization: Normalization? = nil) throws {
        try config.validate()
        self.config = config
        self.train = train
        self.validation = validation
        self.normalization = normalization ?? Normalization.measure(train)
        model = try Sequential(spec: Architectures.named(config.architecture)!, seed: config.seed)
        model.workers = config.workers
        switch config.optimizer {
        case "adamw":
            optimizer = Adam(learningRate: config.learningRate, weightDecay: config.weightDecay, decoupledWeightDecay: true)
        default:
            optimizer = SGD(learningRate: config.learningRate, momentum: config.momentum, nesterov: true,
                            weightDecay: config.weightDecay)
        }
        schedule = config.makeSchedule()
    }

    /// Starts from a trained model's weights and batch-norm statistics (warm start) instead of the
    /// random initialisation; the file must describe this run's architecture.
    public func initialize(from file: ModelFile) throws {
        guard file.spec == model.spec else {
            throw TrainingError.badConfig(file: file.path, reason: "its architecture is not this run's '\(config.architecture)'")
        }
        try file.load(into: model)
    }

    /// Attaches the models named by the config's `teachers` (read by the caller, in that order): from
    /// now on each target is blended with their mean prediction on the same augmented image.
    /// A teacher may be of any architecture; its own input normalisation is honoured.
    public func distill(from models: [EmotionModel]) throws {
        let paths = config.teachers ?? []
        guard models.map(\.file.path) == paths else {
            throw TrainingError.badConfig(file: models.first?.file.path ?? "teachers",
                                          reason: "the teacher models given are not the config's teachers \(paths)")
        }
        teachers = models.map { m in
            m.network.workers = config.workers
            return Teacher(network: m.network, normalization: m.normalization)
        }
    }

    /// The teachers' mean prediction, softmax(logits / temperature), for a normalised batch, into `out` [N, K]:
    /// averaged over the teachers and over the `teacherTTA` views of each image.
    func teacherProbabilities(_ input: Tensor, into out: Tensor, scratch: Tensor, viewed: Tensor, probabilities: Tensor) {
        let count = input.count, temperature = config.teacherTemperature ?? TrainingConfig.defaultTeacherTemperature
        let views = TestTimeAugmentation(rawValue: config.teacherTTA ?? "none")!.views
        let share = 1 / Float(teachers.count * views.count)
        let side = input.shape[3], pixels = side * side
        out.zero()
        for teacher in teachers {
            var teacherInput = input
            if teacher.normalization != normalization {
                // Undo this run's normalisation and apply the teacher's: one affine map per value.
                let scale = normalization.std / teacher.normalization.std
                let shift = (normalization.mean - teacher.normalization.mean) / teacher.normalization.std
                for i in 0..<count { scratch[i] = input[i] * scale + shift }
                teacherInput = scratch
            }
            for (dx, dy, mirror) in views {
                var view = teacherInput
                if dx != 0 || dy != 0 || mirror {
                    for i in 0..<input.shape[0] {
                        TestTimeAugmentation.copyView(UnsafePointer(teacherInput.data + i * pixels), into: viewed.data + i * pixels,
                                                      side: side, dx: dx, dy: dy, mirror: mirror) { $0 }
                    }
                    view = viewed
                }
                let logits = teacher.network.forward(view, training: false)
                probabilities.reshape(logits.shape[0], logits.shape[1])
                for i in 0..<logits.count { probabilities[i] = logits[i] / temperature }
                SoftmaxCrossEntropy.softmax(probabilities, into: probabilities)
                for i in 0..<out.count { out[i] += share * probabilities[i] }
            }
        }
    }

    /// Trains one epoch, evaluates on the validation split and steps the schedule.
    /// Returns the record and whether validation accuracy is the best so far.
    @discardableResult
    public func runEpoch(progress: ((BatchProgress) -> Void)? = nil) -> (record: EpochRecord, improved: Bool) {
        precondition(teachers.count == (config.teachers ?? []).count, "attach the config's teachers with distill(from:) first")
        let epoch = epochsDone
        let started = Date()
        let rate = schedule.rate(epoch: epoch)
        optimizer.learningRate = rate
        let side = FERDataset.side, pixels = FERDataset.pixelsPerImage, k = EmotionLabel.allCases.count
        let batch = config.batchSize
        let batches = train.count / batch  // the last partial batch is dropped (batch norm needs company)
        var order = Array(0..<train.count)
        var shuffler = SeededRandom(seed: config.seed ^ (UInt64(epoch + 1) &* 0xA24B_AED4_963E_E407))
        order.shuffle(using: &shuffler)

        let input = Tensor(shape: [batch, 1, side, side])
        let targets = Tensor(shape: [batch, k])
        var labels = [Int](repeating: 0, count: batch)
        let taught = Tensor(shape: [batch, k]), teacherOut = Tensor(shape: [batch, k])
        let scratch = Tensor(shape: input.shape), viewed = Tensor(shape: input.shape)
        let teacherWeight = config.teacherWeight ?? TrainingConfig.defaultTeacherWeight
        var lossSum = 0.0, correct = 0, seen = 0
        train.pixels.withUnsafeBufferPointer { all in
            for b in 0..<batches {
                let positions = b * batch..<(b + 1) * batch
                for (slot, position) in positions.enumerated() { labels[slot] = Int(train.labels[order[position]]) }
                Parallel.chunks(batch, workers: config.workers) { range, _ in
                    for slot in range {
                        let position = positions.lowerBound + slot
                        var random = Augmenter.random(seed: config.seed, epoch: epoch, position: position)
                        Augmenter.augment(all.baseAddress! + order[position] * pixels, into: input.data + slot * pixels,
                                          config: config.augmentation, random: &random)
                        normalization.apply(input.data + slot * pixels, count: pixels)
                    }
                }
                if let soft = train.softTargets {
                    for (slot, position) in positions.enumerated() {
                        let s = config.labelSmoothing
                        for c in 0..<k { targets[slot * k + c] = (1 - s) * soft[order[position] * k + c] + s / Float(k) }
                    }
                } else {
                    SoftmaxCrossEntropy.targets(labels: labels, classes: k, smoothing: config.labelSmoothing, into: targets)
                }
                if !teachers.isEmpty {
                    // Blend the smoothed targets with the smoothed teachers:
                    // (1 − w)·((1 − s)·label + s/K) + w·((1 − s)·teachers + s/K) = (1 − s)·((1 − w)·label + w·teachers) + s/K.
                    teacherProbabilities(input, into: taught, scratch: scratch, viewed: viewed, probabilities: teacherOut)
                    let s = config.labelSmoothing, w = teacherWeight
                    for i in 0..<targets.count { targets[i] = (1 - w) * targets[i] + w * ((1 - s) * taught[i] + s / Float(k)) }
                }
                model.zeroGradients()
                let logits = model.forward(input, training: true)
                lossSum += loss(logits: logits, targets: targets) * Double(batch)
                for slot in 0..<batch {
                    var best = 0
                    for c in 1..<k where logits[slot * k + c] > logits[slot * k + best] { best = c }
                    if best == labels[slot] { correct += 1 }
                }
                seen += batch
                model.backward(loss.gradient)
                optimizer.step(model.parameters)
                progress?(BatchProgress(epoch: epoch + 1, batch: b + 1, batches: batches, loss: lossSum / Double(seen),
                                        accuracy: Double(correct) / Double(seen),
                                        imagesPerSecond: Double(seen) / Date().timeIntervalSince(started)))
            }
        }
        let trainSeconds = Date().timeIntervalSince(started)
        let report = Evaluator.evaluate(model: model, dataset: validation, normalization: normalization)
        schedule.observe(metric: report.accuracy)
        let seconds = Date().timeIntervalSince(started)
        wallSeconds += seconds
        let record = EpochRecord(epoch: epoch + 1, learningRate: rate, trainLoss: lossSum / Double(max(seen, 1)),
                                 trainAccuracy: Double(correct) / Double(max(seen, 1)), validationLoss: report.loss,
                                 validationAccuracy: report.accuracy, seconds: seconds,
                                 imagesPerSecond: Double(seen) / trainSeconds)
        history.append(record)
        let improved = report.accuracy > bestAccuracy
        if improved {
            bestAccuracy = report.accuracy
            bestEpoch = epoch + 1
        }
        return (record, improved)
    }

    // MARK: - Files

    /// The model and the facts a user of it needs: labels, preprocessing, how it was trained.
    public func modelFile(extra: [String: String] = [:]) -> ModelFile {
        var metadata = extra
        metadata["labels"] = json(EmotionLabel.names)
        metadata["input"] = json(InputDescription(width: FERDataset.side, height: FERDataset.side, channels: 1,
                                                  mean: normalization.mean, std: normalization.std))
        metadata["training"] = json(TrainingFacts(config: config, epochs: epochsDone, bestEpoch: bestEpoch,
                                                  validationAccuracy: bestAccuracy, wallSeconds: wallSeconds,
                                                  trainImages: train.count, validationImages: validation.count))
        return ModelFile(model: model, metadata: metadata)
    }

    /// The name (as in `checkpoint()`) of the first weight, batch-norm statistic or optimizer state holding a
    /// nan or an infinity, or nil when all are finite: a checkpoint with one could never be read back.
    public var firstNonFiniteTensor: String? {
        if let bad = model.namedTensors.first(where: { !$0.tensor.isFinite }) { return "model.\(bad.name)" }
        return optimizer.state.first { !$0.tensor.isFinite }.map { "optimizer.\($0.name)" }
    }

    /// Everything needed to continue training exactly where it stopped.
    public func checkpoint() -> SafeTensors {
        var tensors: [String: Tensor] = [:]
        for (name, t) in model.namedTensors { tensors["model.\(name)"] = t.clone() }
        for (name, t) in optimizer.state { tensors["optimizer.\(name)"] = t.clone() }
        let metadata: [String: String] = [
            "format": Self.checkpointFormat, "format_version": "1",
            "architecture": model.spec.jsonString(), "config": config.jsonString(),
            "optimizer_steps": String(optimizer.steps), "schedule": json(schedule), "history": json(history),
            "best_accuracy": String(bestAccuracy), "best_epoch": String(bestEpoch), "wall_seconds": String(wallSeconds),
            "normalization": json(normalization), "random_states": json(model.randomStates),
        ]
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    /// The config a checkpoint was made with (to rebuild a trainer before `restore`).
    public static func config(ofCheckpoint checkpoint: SafeTensors, file: String) throws -> (TrainingConfig, Normalization) {
        let m = checkpoint.metadata
        guard m["format"] == checkpointFormat, m["format_version"] == "1" else {
            throw TrainingError.badCheckpoint(file: file, reason: "metadata 'format' is \(m["format"] ?? "missing"), expected '\(checkpointFormat)' version 1")
        }
        guard let c = m["config"], let config = try? JSONDecoder().decode(TrainingConfig.self, from: Data(c.utf8)) else {
            throw TrainingError.badCheckpoint(file: file, reason: "metadata 'config' is missing or unreadable")
        }
        guard let n = m["normalization"], let normalization = try? JSONDecoder().decode(Normalization.self, from: Data(n.utf8)) else {
            throw TrainingError.badCheckpoint(file: file, reason: "metadata 'normalization' is missing or unreadable")
        }
        // A checkpoint travels like any file: its config gets the checks a config file gets.
        try config.validate(file: "\(file): metadata 'config'")
        guard normalization.mean.isFinite, normalization.std.isFinite, normalization.std > 0 else {
            throw TrainingError.badCheckpoint(file: file, reason: "metadata 'normalization' has mean \(normalization.mean) and std \(normalization.std), expected finite numbers with std > 0")
        }
        return (config, normalization)
    }

    /// Restores weights, statistics, optimizer, schedule, generators and history from a checkpoint.
    public func restore(_ checkpoint: SafeTensors, file: String) throws {
        let m = checkpoint.metadata
        func bad(_ reason: String) -> TrainingError { .badCheckpoint(file: file, reason: reason) }
        guard m["architecture"] == model.spec.jsonString() else { throw bad("architecture differs from this run's") }
        for (name, t) in model.namedTensors {
            guard let saved = checkpoint.tensors["model.\(name)"] else { throw bad("tensor 'model.\(name)' is missing") }
            guard saved.shape == t.shape else { throw bad("tensor 'model.\(name)' has shape \(saved.shape), expected \(t.shape)") }
            t.copy(from: saved)
        }
        func decode<T: Decodable>(_ key: String, as: T.Type) throws -> T {
            guard let text = m[key], let value = try? JSONDecoder().decode(T.self, from: Data(text.utf8)) else {
                throw bad("metadata '\(key)' is missing or unreadable")
            }
            return value
        }
        guard let steps = Int(m["optimizer_steps"] ?? "") else { throw bad("metadata 'optimizer_steps' is missing") }
        optimizer.steps = steps
        var optimizerTensors: [String: Tensor] = [:]
        for (name, t) in checkpoint.tensors where name.hasPrefix("optimizer.") {
            optimizerTensors[String(name.dropFirst("optimizer.".count))] = t
        }
        do {
            try optimizer.restore(optimizerTensors, parameters: model.parameters)
        } catch let error as NeuralNetError {
            throw bad(error.localizedDescription)
        }
        // The config may run longer or shorter than the saved one (`--epochs` on resume): replan the schedule.
        schedule = try decode("schedule", as: LearningRateSchedule.self).replanned(epochs: config.epochs)
        history = try decode("history", as: [EpochRecord].self)
        model.randomStates = try decode("random_states", as: [String: [UInt64]].self)
        bestAccuracy = Double(m["best_accuracy"] ?? "") ?? 0
        bestEpoch = Int(m["best_epoch"] ?? "") ?? 0
        wallSeconds = Double(m["wall_seconds"] ?? "") ?? 0
    }

    private func json<T: Encodable>(_ value: T) -> String { MetadataJSON.string(value) }
}

/// The `input` entry of a model file's metadata.
public struct InputDescription: Codable, Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var mean: Float
    public var std: Float
}

/// The `training` entry of a model file's metadata.
public struct TrainingFacts: Codable, Sendable {
    public var config: TrainingConfig
    public var epochs: Int
    public var bestEpoch: Int
    public var validationAccuracy: Double
    public var wallSeconds: Double
    public var trainImages: Int
    public var validationImages: Int
}

extension Trainer {
    /// A model file of `config`'s architecture with its seeded initial weights, never trained: the same
    /// format, loading path and compute as a trained model, for the benchmarks and tests that must run
    /// without the shipped one. Its input normalisation is measured on 14 synthetic images (two a class).
    public static func untrainedModelFile(config: TrainingConfig) throws -> ModelFile {
        var data = FERDataset()
        for i in 0..<14 {
            data.pixels += (0..<2304).map { UInt8(truncatingIfNeeded: $0 * (i + 3) % 251) }
            data.labels.append(UInt8(i % 7))
            data.splits.append(.training)
        }
        return try Trainer(config: config, train: data, validation: data).modelFile()
    }
}
