// `emonet quantize`: the activation scales of int8 inference (`--precision int8`), calibrated on
// Training images and written into a copy of the model (the weights unchanged), with PublicTest
// accuracy at fp32 and at int8 side by side.
import ArgumentParser
import Assets
import Emotion
import Foundation
import NeuralNet

struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Calibrate a model for int8 inference (--precision int8) on Training images.",
        discussion: """
        Runs the model in fp32 over --images Training images (evenly spaced through the split), takes the \
        --percentile-th value of each int8 convolution's input as the top of its 8-bit range, and writes \
        the model with those scales in its metadata ('\(Int8Calibration.metadataKey)') to --out. Then scores \
        PublicTest at fp32 and int8 and prints both.
        """)

    static let imagesRange = 64...100_000
    static let percentileRange = 90.0...100.0

    @Option(help: "Model to calibrate (default: the shipped model).")
    var model: String = ModelPaths.defaultModel

    @OptionGroup(title: "Data") var dataOptions: DatasetOptions
    var data: String { dataOptions.data }

    @Option(help: "Where to write the calibrated model (.safetensors): the same weights, the scales in its metadata.")
    var out: String

    @Option(help: "Training images to calibrate on, 64 to 100000 (default: 2000; all of them when the split has fewer).")
    var images = 2000

    @Option(help: "The percentile of each layer's input that becomes 255, 90 to 100 (default: 99.99; 100 is the largest value).")
    var percentile = 99.99

    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard Self.imagesRange.contains(images) else { throw ValidationError("--images must be in \(Self.imagesRange) (found \(images))") }
        guard percentile.isFinite, Self.percentileRange.contains(percentile) else {
            throw ValidationError("--percentile must be in 90...100 (found \(percentile))")
        }
    }

    func run() throws {
        try CLIErrors.reporting {
            try OutputPlan(inputs: [model, data], force: output.force).check([out])
            let source = try EmotionModel.read(path: model)
            source.network.workers = dataOptions.workersOrAllCores
            let bar = ProgressBar(plainInterval: 10)
            let dataset = try dataOptions.read(splits: [.training, .publicTest], bar: bar)
            let training = dataset.subset([.training]), validation = dataset.subset([.publicTest])
            guard training.count > 0, validation.count > 0 else {
                throw DatasetError.empty(file: data, reason: "needs Training rows to calibrate on and PublicTest rows to evaluate; it has \(training.count) and \(validation.count)")
            }
            // Evenly spaced Training images, normalised as the model expects.
            let count = min(images, training.count), pixels = FERDataset.pixelsPerImage, side = FERDataset.side
            let batch = Tensor(shape: [count, 1, side, side])
            for i in 0..<count {
                let from = i * training.count / count * pixels
                for j in 0..<pixels { batch.data[i * pixels + j] = Float(training.pixels[from + j]) / 255 }
            }
            source.normalization.apply(batch.data, count: batch.count)
            bar.update("calibrating", fraction: 0, detail: "\(count) Training images")
            let calibration = Int8Calibration.calibrate(source.network, images: batch, percentile: percentile)
            bar.finish()
            var reports: [EvaluationReport] = []
            for (name, precision) in [("fp32", InferencePrecision.float32), ("int8", .int8(calibration))] {
                reports.append(Evaluator.evaluate(model: source.network, dataset: validation, normalization: source.normalization,
                                                  precision: precision) { done in
                    bar.update("evaluating \(name)", fraction: Double(done) / Double(validation.count), detail: "\(done)/\(validation.count)")
                })
                bar.finish()
            }
            var file = source.file
            file.metadata[Int8Calibration.metadataKey] = MetadataJSON.string(calibration)
            try file.write(path: out)
            let (fp32, int8) = (reports[0].accuracy * 100, reports[1].accuracy * 100)
            print(String(format: "%@ → %@: %d convolutions calibrated on %d Training images (percentile %g); PublicTest fp32 %.2f%%, int8 %.2f%% (%+.2f points)",
                         model, out, calibration.activationScales.count, count, percentile, fp32, int8, int8 - fp32))
        }
    }
}
