// The model shipped in models/: it loads, it says what the code assumes (label order, 48x48 gray
// input, a usable normalisation, the cost budget), and on the PublicTest rows of ../shared (skipped
// when absent) its accuracy is what models/MODEL_CARD.md and the file's own training facts claim.
import Emotion
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class ShippedModelTests: XCTestCase {
    let modelPath = TestPaths.repositoryRoot.appendingPathComponent("models/emonet.safetensors").path
    let cardPath = TestPaths.repositoryRoot.appendingPathComponent("models/MODEL_CARD.md").path

    func testTheShippedModelLoadsAndDescribesWhatTheCodeAssumes() throws {
        let model = try EmotionModel.read(path: modelPath)
        XCTAssertEqual(model.network.spec.inputShape, [1, FERDataset.side, FERDataset.side])
        XCTAssertEqual(model.file.metadata["labels"].flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) },
                       EmotionLabel.names)
        // The training split's mean and std of value/255 are about 0.51 and 0.26; a model normalised
        // otherwise was trained on different preprocessing than the classifier applies.
        XCTAssertEqual(model.normalization.mean, 0.508, accuracy: 0.01)
        XCTAssertEqual(model.normalization.std, 0.255, accuracy: 0.01)
        let macs = try model.network.spec.multiplyAdds()
        print("  shipped model: \(model.network.parameterCount) parameters, \(macs / 1_000_000) M multiply-adds per face")
        XCTAssertLessThanOrEqual(macs, 150_000_000, "over the live path's budget of 150 M multiply-adds per face")
        let facts = try XCTUnwrap(model.trainingFacts, "the file has no training facts")
        XCTAssertEqual(facts.trainImages, 28_709, "not trained on the whole Training split")
        XCTAssertGreaterThan(facts.validationAccuracy, 0.5)
    }

    func testPublicTestAccuracyIsWhatTheCardAndTheFileClaim() throws {
        let data = try TestPaths.sharedFile("data/fer2013/fer2013-train-publictest.csv.gz")
        let model = try EmotionModel.read(path: modelPath)
        let validation = try FERDataset.read(path: data.path, splits: [.publicTest])
        XCTAssertEqual(validation.count, 3_589)
        let report = Evaluator.evaluate(model: model.network, dataset: validation, normalization: model.normalization)
        let facts = try XCTUnwrap(model.trainingFacts)
        print(String(format: "  PublicTest accuracy %.2f%% (file says %.2f%%)", report.accuracy * 100, facts.validationAccuracy * 100))
        // Same images, same arithmetic as the trainer's evaluation: only summation order may differ.
        XCTAssertEqual(report.accuracy, facts.validationAccuracy, accuracy: 0.002)
        let card = try String(contentsOfFile: cardPath, encoding: .utf8)
        let claimed = try XCTUnwrap(Self.claimedAccuracy(card: card, tta: "none"), "MODEL_CARD.md has no '| none | NN.NN% |' row")
        XCTAssertEqual(report.accuracy * 100, claimed, accuracy: 1.0, "the card claims \(claimed)%")
        // The flip row is what the live path's alternate views deliver for a still face.
        let flip = Evaluator.evaluate(model: model.network, dataset: validation, normalization: model.normalization, tta: .flip)
        let claimedFlip = try XCTUnwrap(Self.claimedAccuracy(card: card, tta: "flip"), "MODEL_CARD.md has no '| flip | NN.NN% |' row")
        XCTAssertEqual(flip.accuracy * 100, claimedFlip, accuracy: 1.0, "the card claims \(claimedFlip)% with flip")
    }

    /// The accuracy in the card's table row for `tta` (`| none | 66.20% | …`).
    static func claimedAccuracy(card: String, tta: String) -> Double? {
        for line in card.split(separator: "\n") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            if cells.count >= 2, cells[0] == tta, cells[1].hasSuffix("%") { return Double(cells[1].dropLast()) }
        }
        return nil
    }
}
