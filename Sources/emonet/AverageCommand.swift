// `emonet average`: weight averaging (SWA) of trained models or checkpoints of one run's lineage,
// batch-norm statistics recounted over Training images, the result evaluated on PublicTest.
import ArgumentParser
import Emotion
import Foundation
import NeuralNet

struct Average: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Average the weights of several trained models (SWA) and recount batch-norm statistics.",
        discussion: """
        Sources are model files or training checkpoints (the weights of the epoch each was written at), \
        all of one architecture and trained on the same data, e.g. the ends of successive learning-rate \
        cycles, or the epochs of a constant-rate run (`emonet train --keep-epochs`). The averaged network's batch-norm statistics are recounted over Training images, augmented \
        as the last source was trained (--plain: unaugmented); then it is evaluated on PublicTest and written \
        to --out with the sources listed in its metadata ('averaged').
        """)

    @Argument(help: "Model files or checkpoints to average (one alone: only recount its statistics).")
    var sources: [String]

    @OptionGroup(title: "Data") var dataOptions: DatasetOptions

    @Option(help: "Where to write the averaged model (.safetensors).")
    var out: String

    @Option(help: "Training images to recount the batch-norm statistics over (default: all).")
    var recountImages: Int?

    @Flag(help: "Recount over unaugmented images instead of the last source's training augmentation.")
    var plain = false

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard !sources.isEmpty else { throw ValidationError("give the models or checkpoints to average") }
        if let recountImages, recountImages < 64 { throw ValidationError("--recount-images must be at least 64 (one batch)") }
    }

    func run() throws {
        try CLIErrors.reporting {
            try OutputPlan(inputs: sources + [dataOptions.data], force: output.force).check([out])
            let started = Date()
            let loaded = try sources.map { try ModelAveraging.readSource(path: $0) }
            let averaged = try ModelAveraging.average(loaded)
            let network = averaged.network
            network.workers = dataOptions.workersOrAllCores

            let bar = ProgressBar(plainInterval: 10)
            let dataset = try dataOptions.read(splits: [.training, .publicTest], bar: bar)
            let training = dataset.subset([.training]), validation = dataset.subset([.publicTest])
            guard training.count >= 64, validation.count > 0 else {
                throw DatasetError.empty(file: dataOptions.data, reason: "needs Training rows (at least 64) to recount statistics and PublicTest rows to evaluate; it has \(training.count) and \(validation.count)")
            }
            let config = averaged.trainingFacts?.config ?? TrainingConfig()
            let total = min(recountImages ?? training.count, training.count) / 64 * 64
            let used = ModelAveraging.recountStatistics(
                of: network, dataset: training, normalization: averaged.normalization,
                augmentation: plain ? .none : config.augmentation, seed: config.seed, limit: total) { done in
                bar.update("recounting batch-norm statistics", fraction: Double(done) / Double(total), detail: "\(done)/\(total) images")
            }
            bar.finish()
            let report = Evaluator.evaluate(model: network, dataset: validation, normalization: averaged.normalization) { done in
                bar.update("evaluating", fraction: Double(done) / Double(validation.count), detail: "\(done)/\(validation.count)")
            }
            bar.finish()

            var file = ModelFile(model: network, metadata: averaged.file.metadata)
            file.metadata["batchnorm_recount"] = "\(used) Training images, \(plain ? "unaugmented" : "augmented as trained")"
            file.metadata["averaging_seconds"] = String(format: "%.1f", Date().timeIntervalSince(started))
            if var facts = averaged.trainingFacts {
                facts.validationAccuracy = report.accuracy
                facts.bestEpoch = facts.epochs
                // The sources' Training and PublicTest splits, as this command read them (a checkpoint does not say).
                facts.trainImages = training.count
                facts.validationImages = validation.count
                file.metadata["training"] = MetadataJSON.string(facts)
            }
            try file.write(path: out)
            for (_, source) in loaded {
                print(String(format: "  %@: epoch %d, validation %.2f%% (as recorded)", source.file, source.epoch, source.validationAccuracy * 100))
            }
            print(String(format: "averaged %d model(s) → %@: PublicTest %.2f%% (%d images), statistics recounted over %d Training images",
                         loaded.count, out, report.accuracy * 100, validation.count, used))
        }
    }
}
