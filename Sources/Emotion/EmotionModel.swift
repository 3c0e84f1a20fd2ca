// A trained emotion network read from a model file, with the metadata checks that make it safe to
// use: the labels must be EmotionLabel's seven in order, the input 48x48x1, the normalisation present.
import Foundation
import NeuralNet

public struct EmotionModel {
    public let network: Sequential
    public let normalization: Normalization
    public let file: ModelFile
    /// The activation scales `emonet quantize` stored, for int8 inference; nil when the file has none.
    public let int8Calibration: Int8Calibration?

    public init(file: ModelFile) throws {
        func bad(_ reason: String) -> NeuralNetError { .badFile(file: file.path, reason: reason) }
        guard let labelsText = file.metadata["labels"],
              let labels = try? JSONDecoder().decode([String].self, from: Data(labelsText.utf8)) else {
            throw bad("metadata has no 'labels' list (not an emotion model?)")
        }
        guard labels == EmotionLabel.names else {
            throw bad("metadata 'labels' is \(labels), expected \(EmotionLabel.names)")
        }
        guard let inputText = file.metadata["input"],
              let input = try? JSONDecoder().decode(InputDescription.self, from: Data(inputText.utf8)) else {
            throw bad("metadata has no readable 'input' description")
        }
        guard input.width == FERDataset.side, input.height == FERDataset.side, input.channels == 1,
              file.spec.inputShape == [1, FERDataset.side, FERDataset.side] else {
            throw bad("input is \(input.width)x\(input.height)x\(input.channels), expected 48x48x1")
        }
        guard input.std > 0, input.std.isFinite, input.mean.isFinite else { throw bad("input normalisation is not usable") }
        guard let last = file.spec.layers.last, last.type == "dense", last.outputFeatures == labels.count else {
            throw bad("the network does not end in a \(labels.count)-way dense layer")
        }
        if let text = file.metadata[Int8Calibration.metadataKey] {
            guard let calibration = try? JSONDecoder().decode(Int8Calibration.self, from: Data(text.utf8)),
                  calibration.activationScales.values.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw bad("metadata '\(Int8Calibration.metadataKey)' is not a calibration (activationScales: positive numbers by layer, images, percentile)")
            }
            int8Calibration = calibration
        } else {
            int8Calibration = nil
        }
        network = try file.instantiate()
        normalization = Normalization(mean: input.mean, std: input.std)
        self.file = file
    }

    public static func read(path: String) throws -> EmotionModel {
        try EmotionModel(file: ModelFile.read(path: path))
    }

    /// How to run this model: float32, or int8 with its calibration (an error when it has none).
    public func precision(int8: Bool) throws -> InferencePrecision {
        guard int8 else { return .float32 }
        guard let int8Calibration else {
            throw NeuralNetError.badFile(file: file.path, reason: "has no int8 calibration (metadata '\(Int8Calibration.metadataKey)'); "
                                         + "make a calibrated copy with `emonet quantize --model \(file.path) --data fer2013.csv --out FILE`")
        }
        return .int8(int8Calibration)
    }

    /// Training facts stored in the file, if any.
    public var trainingFacts: TrainingFacts? {
        file.metadata["training"].flatMap { try? JSONDecoder().decode(TrainingFacts.self, from: Data($0.utf8)) }
    }
}
