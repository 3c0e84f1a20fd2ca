// A trained emotion network read from a model file, with the metadata checks that make it safe to
// use: the labels must be EmotionLabel's seven in order, the input 48x48x1, the normalisation present.
import Foundation
import NeuralNet

public struct EmotionModel {
    public let network: Sequential
    public let normalization: Normalization
    public let file: ModelFile

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
        network = try file.instantiate()
        normalization = Normalization(mean: input.mean, std: input.std)
        self.file = file
    }

    public static func read(path: String) throws -> EmotionModel {
        try EmotionModel(file: ModelFile.read(path: path))
    }

    /// Training facts stored in the file, if any.
    public var trainingFacts: TrainingFacts? {
        file.metadata["training"].flatMap { try? JSONDecoder().decode(TrainingFacts.self, from: Data($0.utf8)) }
    }
}
