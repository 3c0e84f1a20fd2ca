// `emonet eval`: accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of a
// model on a FER-2013 split, with optional test-time augmentation.
import ArgumentParser
import Assets
import Emotion
import Foundation
import NeuralNet

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate an emotion model on a FER-2013 split (accuracy, per-class F1, confusion matrix).")

    @OptionGroup(title: "Data") var dataOptions: DatasetOptions
    var data: String { dataOptions.data }

    @Option(help: "Split to evaluate: PublicTest, PrivateTest or Training.")
    var split: String = "PublicTest"

    @Option(help: "Model file (default: the shipped model). Repeat to score an ensemble: the mean of the models' probabilities.")
    var model: [String] = []

    @Option(help: "Test-time augmentation: none, flip (face + mirror), crops (5 shifts x mirror).")
    var tta: String = "none"

    @Flag(help: "Print one JSON object (accuracy, per_class, confusion, count, macro_f1, loss, tta).")
    var json = false

    @Option(help: "Also draw the confusion matrix to this PNG.")
    var plot: String?

    @OptionGroup var arithmetic: PrecisionOptions

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard FERSplit(rawValue: split) != nil else {
            throw ValidationError("--split must be PublicTest, PrivateTest or Training (got '\(split)')")
        }
        guard TestTimeAugmentation(rawValue: tta) != nil else {
            throw ValidationError("--tta must be none, flip or crops (got '\(tta)')")
        }
    }

    func run() throws {
        try CLIErrors.reporting {
            let paths = model.isEmpty ? [ModelPaths.defaultModel] : model
            try OutputPlan(inputs: paths + [data], force: output.force).check(plot.map { [$0] } ?? [])
            let models = try paths.map { path in
                let m = try EmotionModel.read(path: path)
                m.network.workers = dataOptions.workersOrAllCores
                return m
            }
            let which = FERSplit(rawValue: split)!
            let bar = ProgressBar(plainInterval: 10)
            let dataset = try dataOptions.read(splits: [which], bar: bar)
            let views = TestTimeAugmentation(rawValue: tta)!
            var mean = [Float](repeating: 0, count: dataset.count * EmotionLabel.allCases.count)
            for (index, m) in models.enumerated() {
                let probs = Evaluator.probabilities(model: m.network, dataset: dataset, normalization: m.normalization,
                                                    tta: views, precision: try m.precision(int8: arithmetic.int8)) { done in
                    let label = models.count > 1 ? "evaluating \(index + 1)/\(models.count)" : "evaluating"
                    bar.update(label, fraction: Double(done) / Double(dataset.count), detail: "\(done)/\(dataset.count)")
                }
                for i in mean.indices { mean[i] += probs[i] / Float(models.count) }
            }
            bar.finish()
            let report = Evaluator.report(probabilities: mean, dataset: dataset, tta: views)
            let name = paths.joined(separator: " + ") + (arithmetic.int8 ? " (int8)" : "")
            if let plot { try ChartFiles.writeConfusion(report, title: "\(split) — \(name)", path: plot) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("\(name) on \(split) of \(data)")
                print(report.table())
                if let plot { print("confusion matrix: \(plot)") }
            }
        }
    }
}

/// Where the project keeps its default files.
enum ModelPaths {
    /// The shipped model: `$EMONET_MODEL`; else `models/emonet.safetensors` under the working directory
    /// (the repository root for `make` targets); else the copy in the executable's data root (DataRoot:
    /// `<prefix>/share/emonet/models/` when installed, the checkout's `models/` above its `.build*` folder),
    /// so `emonet` works from any directory, however it was invoked.
    static var defaultModel: String {
        if let path = ProcessInfo.processInfo.environment["EMONET_MODEL"] { return path }
        if FileManager.default.fileExists(atPath: DataRoot.shippedModel) { return DataRoot.shippedModel }
        return DataRoot.find(DataRoot.shippedModel) ?? DataRoot.shippedModel
    }

    /// The shipped face verifier, looked up as the model is: `$EMONET_VERIFIER`, the working directory's
    /// models/, then the executable's data root.
    static var defaultVerifier: String {
        if let path = ProcessInfo.processInfo.environment["EMONET_VERIFIER"] { return path }
        if FileManager.default.fileExists(atPath: DataRoot.shippedVerifier) { return DataRoot.shippedVerifier }
        return DataRoot.find(DataRoot.shippedVerifier) ?? DataRoot.shippedVerifier
    }
}
