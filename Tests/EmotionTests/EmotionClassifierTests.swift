// The product's classifier: a face asked for mirrored is the mirror image's face, and flip TTA is the
// mean of the two views.
@testable import Emotion
import Imaging
import NeuralNet
import XCTest

final class EmotionClassifierTests: XCTestCase {
    func testAMirroredFaceIsTheMirrorImagesFaceAndFlipAveragesBothViews() throws {
        var config = TrainingConfig()
        config.architecture = "tiny"
        let data = TrainingTests.synthetic(count: 16, seed: 4, split: .training)
        let trainer = try Trainer(config: config, train: data, validation: data)
        let model = try EmotionModel(file: ModelFile.decode(trainer.modelFile().encoded(), file: "m.safetensors"))
        var random = SeededRandom(seed: 11)
        let (width, height) = (96, 64)
        let pixels = (0..<(width * height)).map { _ in UInt8(random.next() % 256) }
        let image = GrayImage(width: width, height: height, pixels: pixels)
        let mirrorImage = GrayImage(width: width, height: height,
                                    pixels: (0..<(width * height)).map { i in pixels[i - i % width + width - 1 - i % width] })
        let box = Rect(x: 10, y: 5, width: 48, height: 48)
        let mirrorBox = Rect(x: width - box.x - box.width, y: box.y, width: box.width, height: box.height)

        let classifier = EmotionClassifier(model: model)
        let seen = try classifier.classify(image, faces: [box])[0]
        let mirrored = try classifier.classify(image, faces: [box, box], mirrored: [true, false])
        let reference = try classifier.classify(mirrorImage, faces: [mirrorBox])[0]
        for k in 0..<7 { XCTAssertEqual(mirrored[0][k], reference[k], accuracy: 1e-5, "class \(k)") }
        XCTAssertEqual(mirrored[1], seen, "the unflagged face of the batch is as seen")
        XCTAssertGreaterThan(zip(seen, reference).map { abs($0 - $1) }.max()!, 1e-4, "the mirror changed nothing: the test shows nothing")

        let flipper = EmotionClassifier(model: model, testTimeAugmentation: .flip)
        let flip = try flipper.classify(image, faces: [box])[0]
        for k in 0..<7 { XCTAssertEqual(flip[k], (seen[k] + reference[k]) / 2, accuracy: 1e-5, "flip class \(k)") }
        let flipOfMirror = try flipper.classify(image, faces: [box], mirrored: [true])[0]
        for k in 0..<7 { XCTAssertEqual(flipOfMirror[k], flip[k], accuracy: 1e-5, "flip of the mirrored face, class \(k)") }
    }
}
