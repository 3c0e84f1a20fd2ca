// Everything that defines a training run, with documented defaults. A JSON config file may set
// any subset of keys; an unknown key is an error naming it (so a typo never silently trains with
// a default), and the full resolved config is stored in checkpoints and the shipped model.
import Foundation
import NeuralNet

public struct TrainingConfig: Codable, Equatable, Sendable {
    /// An `Architectures` preset name.
    public var architecture = "vgg4"
    public var epochs = 80
    public var batchSize = 64
    /// "sgd" (Nesterov momentum) or "adamw".
    public var optimizer = "sgd"
    public var learningRate: Float = 0.02
    public var momentum: Float = 0.9
    public var weightDecay: Float = 5e-4
    /// "cosine" (with warmup), "step", "plateau" (on validation accuracy) or "constant".
    public var schedule = "cosine"
    public var warmupEpochs = 2
    public var minimumLearningRate: Float = 1e-5
    public var stepSize = 20
    public var stepGamma: Float = 0.3
    public var plateauFactor: Float = 0.5
    public var plateauPatience = 5
    public var labelSmoothing: Float = 0.1
    public var augmentation = AugmentationConfig()
    public var seed: UInt64 = 1
    /// Threads the batch is split over (2 uses both cores of the reference machine).
    public var workers = 2
    /// A model file (same architecture) whose weights and batch-norm statistics start the run instead of
    /// a random initialisation; recorded so the shipped model says where it came from. The optimizer,
    /// schedule and epoch count start fresh.
    public var initialWeights: String?
    /// A FER+ vote file (line-aligned with the FER-2013 CSV) whose vote distributions are blended into
    /// the training targets; nil trains on the FER-2013 labels alone.
    public var ferPlusVotes: String?
    /// The FER+ share of each target (default 0.5); the rest is the FER-2013 label. Label smoothing
    /// applies on top. Optional so that configs stored before it existed still read.
    public var ferPlusWeight: Float?
    /// Emotion model files (any architecture) whose mean prediction on each augmented batch is blended
    /// into the targets: knowledge distillation. Nil or empty trains on the labels alone.
    public var teachers: [String]?
    /// The teachers' share of each target (default 0.5); the rest is the label (or the FER+ blend).
    public var teacherWeight: Float?
    /// The teachers' logits are divided by this before their softmax (default 1; above 1 softens).
    public var teacherTemperature: Float?
    /// Views each teacher's prediction is averaged over, as in `emonet eval --tta`: "none" (default),
    /// "flip" (the augmented face and its mirror; two teacher passes) or "crops" (ten passes).
    public var teacherTTA: String?

    public static let defaultFERPlusWeight: Float = 0.5
    public static let defaultTeacherWeight: Float = 0.5
    public static let defaultTeacherTemperature: Float = 1

    public init() {}

    static let keys: Set<String> = ["architecture", "epochs", "batchSize", "optimizer", "learningRate", "momentum",
                                     "weightDecay", "schedule", "warmupEpochs", "minimumLearningRate", "stepSize",
                                     "stepGamma", "plateauFactor", "plateauPatience", "labelSmoothing",
                                     "augmentation", "seed", "workers", "initialWeights",
                                     "ferPlusVotes", "ferPlusWeight", "teachers", "teacherWeight", "teacherTemperature",
                                     "teacherTTA"]
    static let augmentationKeys: Set<String> = ["flip", "shift", "rotationDegrees", "scale", "brightness", "contrast", "erasing"]

    /// Reads a JSON config (any subset of keys) on top of the defaults; `file` names it in errors.
    public static func decode(json: Data, file: String) throws -> TrainingConfig {
        func bad(_ reason: String) -> TrainingError { .badConfig(file: file, reason: reason) }
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else {
            throw bad("not a JSON object")
        }
        if let unknown = Set(object.keys).subtracting(keys).sorted().first {
            throw bad("unknown key '\(unknown)' (known: \(keys.sorted().joined(separator: ", ")))")
        }
        if let aug = object["augmentation"] as? [String: Any],
           let unknown = Set(aug.keys).subtracting(augmentationKeys).sorted().first {
            throw bad("unknown key 'augmentation.\(unknown)' (known: \(augmentationKeys.sorted().joined(separator: ", ")))")
        }
        // Merge onto the defaults, then decode the whole thing with the compiler's checks on types.
        var merged = try JSONSerialization.jsonObject(with: JSONEncoder().encode(TrainingConfig())) as! [String: Any]
        for (k, v) in object {
            if k == "augmentation", let aug = v as? [String: Any], var base = merged[k] as? [String: Any] {
                for (ak, av) in aug { base[ak] = av }
                merged[k] = base
            } else {
                merged[k] = v
            }
        }
        let config: TrainingConfig
        do {
            config = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: merged))
        } catch DecodingError.typeMismatch(let type, let context) {
            throw bad("'\(context.codingPath.map(\.stringValue).joined(separator: "."))' should be a \(type)")
        } catch {
            throw bad("\(error)")
        }
        try config.validate(file: file)
        return config
    }

    public func validate(file: String = "config") throws {
        func bad(_ reason: String) -> TrainingError { .badConfig(file: file, reason: reason) }
        guard Architectures.named(architecture) != nil else {
            throw bad("architecture '\(architecture)' is not one of \(Architectures.presets.map(\.name).joined(separator: ", "))")
        }
        // Every number in its range: a config or checkpoint from elsewhere may hold anything, and out of
        // range a value would divide by zero, run without end or train on NaN.
        func within<T: Comparable>(_ value: T, _ range: ClosedRange<T>, _ key: String) throws {
            guard range.contains(value) else { throw bad("\(key) is \(value), expected \(range.lowerBound)...\(range.upperBound)") }
        }
        func finite(_ value: Float, _ low: Float, _ high: Float, _ key: String, open: Bool = false) throws {
            guard value.isFinite, value >= low, value <= high, !open || value > low else {
                throw bad("\(key) is \(value), expected \(open ? "(" : "[")\(low), \(high)]")
            }
        }
        try within(epochs, 1...10_000, "epochs")
        try within(batchSize, 1...4096, "batchSize")
        guard ["sgd", "adamw"].contains(optimizer) else { throw bad("optimizer '\(optimizer)' is not sgd or adamw") }
        guard ["cosine", "step", "plateau", "constant"].contains(schedule) else {
            throw bad("schedule '\(schedule)' is not cosine, step, plateau or constant")
        }
        try finite(learningRate, 0, 10, "learningRate", open: true)
        try finite(momentum, 0, 0.999, "momentum")
        try finite(weightDecay, 0, 1, "weightDecay")
        try within(warmupEpochs, 0...10_000, "warmupEpochs")
        try finite(minimumLearningRate, 0, 10, "minimumLearningRate")
        try within(stepSize, 1...10_000, "stepSize")
        try finite(stepGamma, 0, 1, "stepGamma", open: true)
        try finite(plateauFactor, 0, 1, "plateauFactor", open: true)
        try within(plateauPatience, 0...10_000, "plateauPatience")
        guard labelSmoothing.isFinite && labelSmoothing >= 0 && labelSmoothing < 1 else { throw bad("labelSmoothing must be in [0, 1)") }
        try finite(augmentation.shift, 0, 24, "augmentation.shift")
        try finite(augmentation.rotationDegrees, 0, 180, "augmentation.rotationDegrees")
        try finite(augmentation.scale, 0, 0.9, "augmentation.scale")
        try finite(augmentation.brightness, 0, 1, "augmentation.brightness")
        try finite(augmentation.contrast, 0, 1, "augmentation.contrast")
        try finite(augmentation.erasing, 0, 1, "augmentation.erasing")
        guard workers >= 1 && workers <= 64 else { throw bad("workers must be 1...64") }
        if let ferPlusWeight {
            guard ferPlusWeight.isFinite && ferPlusWeight >= 0 && ferPlusWeight <= 1 else { throw bad("ferPlusWeight must be in [0, 1]") }
            guard ferPlusVotes != nil else { throw bad("ferPlusWeight is set but ferPlusVotes (the FER+ file) is not") }
        }
        let distilling = !(teachers ?? []).isEmpty
        if let teacherWeight {
            guard teacherWeight.isFinite && teacherWeight >= 0 && teacherWeight <= 1 else { throw bad("teacherWeight must be in [0, 1]") }
            guard distilling else { throw bad("teacherWeight is set but teachers (model files) is not") }
        }
        if let teacherTemperature {
            guard teacherTemperature > 0 && teacherTemperature.isFinite else { throw bad("teacherTemperature must be positive") }
            guard distilling else { throw bad("teacherTemperature is set but teachers (model files) is not") }
        }
        if let teacherTTA {
            guard TestTimeAugmentation(rawValue: teacherTTA) != nil else {
                throw bad("teacherTTA '\(teacherTTA)' is not none, flip or crops")
            }
            guard distilling else { throw bad("teacherTTA is set but teachers (model files) is not") }
        }
    }

    public func jsonString(pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// The schedule this config describes, in its initial state.
    public func makeSchedule() -> LearningRateSchedule {
        switch schedule {
        case "step": return .step(base: learningRate, stepSize: stepSize, gamma: stepGamma)
        case "constant": return .step(base: learningRate, stepSize: 1 << 30, gamma: 1)  // e.g. the epochs of an SWA run
        case "plateau": return .plateau(.init(base: learningRate, factor: plateauFactor, patience: plateauPatience,
                                              minimum: minimumLearningRate))
        default: return .cosine(base: learningRate, minimum: minimumLearningRate, epochs: epochs, warmup: warmupEpochs)
        }
    }
}

public enum TrainingError: Error, LocalizedError, Equatable {
    case badConfig(file: String, reason: String)
    case badCheckpoint(file: String, reason: String)
    /// An epoch ended with a loss, a weight or a batch-norm statistic that is not a number (nan) or infinite
    /// (`tensor` names the first such tensor when the losses were still finite); nothing of it was written.
    case diverged(epoch: Int, learningRate: Float, trainLoss: Double, validationLoss: Double, tensor: String?)

    public var errorDescription: String? {
        switch self {
        case .badConfig(let file, let reason): return "\(file): \(reason)"
        case .badCheckpoint(let file, let reason): return "\(file): \(reason)"
        case let .diverged(epoch, rate, train, validation, tensor):
            let where_ = tensor.map { "; tensor '\($0)' holds nan or inf" } ?? ""
            return "training diverged in epoch \(epoch) (train loss \(train), validation loss \(validation) at learning rate \(rate)\(where_)): "
                + "nothing of that epoch was written, the files of the epochs before it are kept; lower learningRate and train again"
        }
    }
}
