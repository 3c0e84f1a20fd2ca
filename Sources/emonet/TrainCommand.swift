// `emonet train`: train the emotion network on FER-2013's Training split, validate on PublicTest
// every epoch, keep the best model, and checkpoint every epoch so `--resume` continues exactly.
import ArgumentParser
import Emotion
import Foundation
import NeuralNet
import SafeOutput

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train the emotion model on FER-2013 (Training split; PublicTest validates every epoch).",
        discussion: """
        Writes, next to --out: the best model so far (--out), a checkpoint every epoch \
        (<out>.checkpoint.safetensors), the epoch log (<out>.log.json) and training curves \
        (<out>.curves.png). Interrupt at any time; \
        --resume CHECKPOINT continues bit for bit from the last finished epoch. A new run (without --resume) \
        over an earlier run's files is refused unless --force, so the earlier run stays resumable.
        Architectures: \(Architectures.presets.map { "\($0.name) (\($0.summary))" }.joined(separator: "; ")).
        """)

    @OptionGroup(title: "Data") var dataOptions: DatasetOptions

    @Option(help: "Where to write the best model (.safetensors).")
    var out: String

    @Option(help: "JSON file with training settings (any subset of keys; see TrainingConfig).")
    var config: String?

    @Option(help: "Architecture preset (overrides the config).")
    var architecture: String?

    @Option(help: "Total number of epochs (overrides the config; with --resume, lengthens or shortens the run, and a cosine schedule is replanned to end there).")
    var epochs: Int?

    @Option(help: "Random seed (overrides the config).")
    var seed: UInt64?

    @Option(help: "Start from this model file's weights (same architecture) instead of a random initialisation; the schedule starts fresh.")
    var initialWeights: String?

    @Option(name: .customLong("ferplus"),
            help: "FER+ vote CSV (fer2013new.csv, line-aligned with --data): blend its vote distributions into the targets (share: the config's ferPlusWeight, default 0.5).")
    var ferPlus: String?

    @Option(name: .customLong("teacher"),
            help: "Distil from this emotion model (repeat for several; any architecture): its mean prediction on each augmented image is blended into the targets (share: the config's teacherWeight, default 0.5).")
    var teachers: [String] = []

    @Flag(help: "Also keep every epoch's weights as <out>.epoch<N>.safetensors (for `emonet average`).")
    var keepEpochs = false

    @Option(help: "Continue from this checkpoint.")
    var resume: String?

    @Option(help: "Use only the first N training images of each class (quick experiments).")
    var limitPerClass: Int?

    @Flag(help: "Print the resolved configuration and exit.")
    var showConfig = false

    @OptionGroup var output: OutputOptions

    var stem: String { out.hasSuffix(".safetensors") ? String(out.dropLast(".safetensors".count)) : out }
    var checkpointPath: String { "\(stem).checkpoint.safetensors" }
    var logPath: String { "\(stem).log.json" }
    var curvesPath: String { "\(stem).curves.png" }
    func epochPath(_ epoch: Int) -> String { "\(stem).epoch\(epoch).safetensors" }

    func validate() throws {
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive") }
        if let limitPerClass, limitPerClass <= 0 { throw ValidationError("--limit-per-class must be positive") }
        if resume != nil && (config != nil || architecture != nil || seed != nil || initialWeights != nil || ferPlus != nil || !teachers.isEmpty) {
            throw ValidationError("--resume takes its settings from the checkpoint; only --epochs, --workers and --keep-epochs may change")
        }
    }

    func resolvedConfig() throws -> TrainingConfig {
        var c = TrainingConfig()
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw TrainingError.badConfig(file: config, reason: "cannot be read")
            }
            c = try TrainingConfig.decode(json: data, file: config)
        }
        if let architecture { c.architecture = architecture }
        if let epochs { c.epochs = epochs }
        if let workers = dataOptions.workers { c.workers = workers }
        if let seed { c.seed = seed }
        if let initialWeights { c.initialWeights = initialWeights }
        if let ferPlus { c.ferPlusVotes = ferPlus }
        if !teachers.isEmpty { c.teachers = teachers }
        try c.validate(file: config ?? "command line")
        return c
    }

    func run() throws {
        try CLIErrors.reporting {
            var checkpoint: SafeTensors?
            var cfg: TrainingConfig
            var normalization: Normalization?
            if let resume {
                let saved = try SafeTensors.read(path: resume)
                (cfg, normalization) = try Trainer.config(ofCheckpoint: saved, file: resume)
                if let epochs { cfg.epochs = epochs }
                if let workers = dataOptions.workers { cfg.workers = workers }
                checkpoint = saved
            } else {
                cfg = try resolvedConfig()
            }
            if showConfig {
                print(cfg.jsonString(pretty: true))
                return
            }
            try checkOutputs()
            try Gemm.ensureLoaded()
            // The output folder exists before hours of training, not after the first epoch.
            let folder = OutputPlan.folder(of: out)
            if !folder.isEmpty {
                do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                    throw TrainingError.badConfig(file: out, reason: "cannot create its folder \(folder) (\((error as NSError).localizedDescription))")
                }
            }
            let bar = ProgressBar()
            note("reading \(dataOptions.data)")
            let splits: Set<FERSplit> = [.training, .publicTest]
            var all = try dataOptions.read(splits: splits, bar: bar)
            if let votesPath = cfg.ferPlusVotes {
                let votes = try FERPlusVotes.read(path: votesPath, splits: splits)
                let weight = cfg.ferPlusWeight ?? TrainingConfig.defaultFERPlusWeight
                all.softTargets = try votes.softTargets(for: all, weight: weight, file: votesPath)
                note("targets: \(String(format: "%.2f", weight)) FER+ votes (\(votesPath)) + \(String(format: "%.2f", 1 - weight)) FER-2013 label")
            }
            var train = all.subset([.training])
            let validation = all.subset([.publicTest])
            all = FERDataset()
            if let limitPerClass { train = train.balancedPrefix(perClass: limitPerClass) }
            guard train.count >= cfg.batchSize else {
                throw TrainingError.badConfig(file: dataOptions.data, reason: "only \(train.count) Training rows, fewer than one batch of \(cfg.batchSize)")
            }
            guard validation.count > 0 else {
                throw TrainingError.badConfig(file: dataOptions.data, reason: "no PublicTest rows to validate on")
            }
            let trainer = try Trainer(config: cfg, train: train, validation: validation, normalization: normalization)
            if let checkpoint, let resume {
                try trainer.restore(checkpoint, file: resume)
            } else if let initial = cfg.initialWeights {
                try trainer.initialize(from: ModelFile.read(path: initial))
                note("starting from the weights in \(initial)")
            }
            if let paths = cfg.teachers, !paths.isEmpty {
                try trainer.distill(from: paths.map { try EmotionModel.read(path: $0) })
                let weight = cfg.teacherWeight ?? TrainingConfig.defaultTeacherWeight
                let temperature = cfg.teacherTemperature ?? TrainingConfig.defaultTeacherTemperature
                let views = cfg.teacherTTA.map { $0 == "none" ? "" : " (\($0) TTA)" } ?? ""
                note("targets: \(String(format: "%.2f", weight)) mean prediction\(views) of \(paths.joined(separator: ", ")) at temperature \(temperature) + \(String(format: "%.2f", 1 - weight)) label")
            }
            let macs = (try? trainer.model.spec.multiplyAdds()) ?? 0
            note("""
                training \(cfg.architecture): \(trainer.model.parameterCount) parameters, \
                \(String(format: "%.1f", Double(macs) / 1e6)) M multiply-adds per face; \
                \(train.count) training / \(validation.count) validation images; \
                \(cfg.workers) worker(s); OpenBLAS \(Gemm.coreName) kernels
                """)
            if trainer.epochsDone > 0 {
                note("resuming after epoch \(trainer.epochsDone) (best validation \(String(format: "%.2f%%", trainer.bestAccuracy * 100)) at epoch \(trainer.bestEpoch))")
            }
            guard trainer.epochsDone < cfg.epochs else {
                note("already trained \(trainer.epochsDone) of \(cfg.epochs) epochs; nothing to do (raise --epochs to continue)")
                return
            }
            while trainer.epochsDone < cfg.epochs {
                let epochStart = Date()
                let (record, improved) = trainer.runEpoch { p in
                    let elapsed = Date().timeIntervalSince(epochStart)
                    let eta = elapsed / Double(p.batch) * Double(p.batches - p.batch)
                    bar.update("epoch \(p.epoch)/\(cfg.epochs)", fraction: Double(p.batch) / Double(p.batches),
                               detail: String(format: "loss %.4f acc %.2f%% %.0f img/s ETA %@", p.loss, p.accuracy * 100,
                                              p.imagesPerSecond, ProgressBar.duration(eta)))
                }
                bar.finish()
                // A diverged epoch would overwrite the last good checkpoint with garbage that no later run can
                // read. The losses can still be finite when a batch-norm variance has already overflowed.
                let broken = trainer.firstNonFiniteTensor
                guard record.trainLoss.isFinite && record.validationLoss.isFinite && broken == nil else {
                    throw TrainingError.diverged(epoch: record.epoch, learningRate: record.learningRate,
                                                 trainLoss: record.trainLoss, validationLoss: record.validationLoss, tensor: broken)
                }
                // Best model first, then the checkpoint: a crash between the two loses nothing.
                if improved { try trainer.modelFile().write(path: out) }
                if keepEpochs {
                    try trainer.modelFile(extra: ["epoch_record": MetadataJSON.string(record)]).write(path: epochPath(record.epoch))
                }
                try trainer.checkpoint().write(path: checkpointPath)
                try writeLog(trainer.history)
                try ChartFiles.writeTrainingCurves(trainer.history, title: cfg.architecture, path: curvesPath)
                let remaining = Double(cfg.epochs - trainer.epochsDone) * record.seconds
                note(String(format: "epoch %d/%d  lr %.5f  train loss %.4f acc %.2f%%  val loss %.4f acc %.2f%%%@  %@ (%.0f img/s)  left ~%@",
                            record.epoch, cfg.epochs, record.learningRate, record.trainLoss, record.trainAccuracy * 100,
                            record.validationLoss, record.validationAccuracy * 100, improved ? " *best*" : "",
                            ProgressBar.duration(record.seconds), record.imagesPerSecond, ProgressBar.duration(remaining)))
            }
            note(String(format: "done: best validation accuracy %.2f%% at epoch %d; model %@", trainer.bestAccuracy * 100,
                        trainer.bestEpoch, out))
        }
    }

    /// Before any work: a new run does not replace an earlier one's files (which --resume could continue)
    /// unless --force; resuming this --out's own checkpoint replaces its files as the run goes on; no input
    /// (data, config, initial weights, votes, teachers, another run's checkpoint) is ever an output.
    func checkOutputs() throws {
        let folder = OutputPlan.folder(of: stem)
        let prefix = URL(fileURLWithPath: stem).lastPathComponent + ".epoch"
        let epochFiles = ((try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? [])
            .filter { $0.hasPrefix(prefix) && $0.hasSuffix(".safetensors") }.sorted()
            .map { folder.isEmpty ? $0 : (folder as NSString).appendingPathComponent($0) }
        let outputs = [out, checkpointPath, logPath, curvesPath] + (keepEpochs ? epochFiles : [])
        let continuing = resume.map { OutputPlan.identity($0) != nil && OutputPlan.identity($0) == OutputPlan.identity(checkpointPath) } ?? false
        if resume == nil, !output.force, FileManager.default.fileExists(atPath: checkpointPath) {
            throw CLIMessage("\(checkpointPath) already exists: an earlier run is there; continue it with --resume \(checkpointPath), or pass --force to start over (replacing its files)")
        }
        let inputs = [dataOptions.data, config, initialWeights, ferPlus, continuing ? nil : resume] + teachers
        try OutputPlan(inputs: inputs, force: output.force || continuing).check(outputs)
    }


    func writeLog(_ history: [EpochRecord]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(history), to: logPath)
    }
}
