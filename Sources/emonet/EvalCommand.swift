// `emonet eval`: accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of a
// model on a FER-2013 split, with optional test-time augmentation.
import ArgumentParser
import Emotion
import Foundation
import NeuralNet

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate an emotion model on a FER-2013 split (accuracy, per-class F1, confusion matrix).")

    @Option(help: "FER-2013 CSV (emotion,pixels,Usage), plain or .gz.")
    var data: String

    @Option(help: "Split to evaluate: PublicTest, PrivateTest or Training.")
    var split: String = "PublicTest"

    @Option(help: "Model file.")
    var model: String = ModelPaths.defaultModel

    @Option(help: "Test-time augmentation: none, flip (face + mirror), crops (5 shifts x mirror).")
    var tta: String = "none"

    @Flag(help: "Print one JSON object (accuracy, per_class, confusion, count, macro_f1, loss, tta).")
    var json = false

    @Option(help: "Also draw the confusion matrix to this PNG.")
    var plot: String?

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
            let emotionModel = try EmotionModel.read(path: model)
            emotionModel.network.workers = ProcessInfo.processInfo.activeProcessorCount
            let which = FERSplit(rawValue: split)!
            let bar = ProgressBar(plainInterval: 10)
            let dataset = try FERDataset.read(path: data, splits: [which]) { lines in
                bar.update("reading", fraction: Double(lines) / 36_000, detail: "\(lines) rows")
            }
            bar.finish()
            let report = Evaluator.evaluate(model: emotionModel.network, dataset: dataset,
                                            normalization: emotionModel.normalization,
                                            tta: TestTimeAugmentation(rawValue: tta)!) { done in
                bar.update("evaluating", fraction: Double(done) / Double(dataset.count), detail: "\(done)/\(dataset.count)")
            }
            bar.finish()
            if let plot { try ChartFiles.writeConfusion(report, title: "\(split) — \(model)", path: plot) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("\(model) on \(split) of \(data)")
                print(report.table())
                if let plot { print("confusion matrix: \(plot)") }
            }
        }
    }
}

/// Where the project keeps its default files.
enum ModelPaths {
    static let relativeModel = "models/emonet.safetensors"

    /// The shipped model: `$EMONET_MODEL`; else `models/emonet.safetensors` under the working directory
    /// (the repository root for `make` targets); else the repository's copy above the built executable
    /// (`.build/x86_64-unknown-linux-gnu/release/emonet`, three folders down), so `emonet` works from any
    /// directory after `make build`, however it was invoked.
    static var defaultModel: String {
        if let path = ProcessInfo.processInfo.environment["EMONET_MODEL"] { return path }
        if FileManager.default.fileExists(atPath: relativeModel) { return relativeModel }
        var folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            folder.deleteLastPathComponent()
            let candidate = folder.appendingPathComponent(relativeModel)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate.path }
        }
        return relativeModel
    }
}
