// The crop along a turned box (`FaceCrop.extract(_:box:angle:normalization:into:)`): at angle 0 it is
// today's upright crop to the bit, and on a picture turned by an angle it gives back, along the box
// turned by that angle, the crop of the upright picture (what the network was trained on), where the
// upright box's crop of the turned picture does not.
@testable import Emotion
import Imaging
import NeuralNet
import XCTest

final class TurnedFaceCropTests: XCTestCase {
    let normalization = Normalization(mean: 0.5, std: 0.25)

    /// A smooth picture with structure in both directions (so a turned copy is told apart from the original).
    func picture() -> GrayImage {
        let w = 300, h = 260
        var pixels = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h {
            for x in 0..<w {
                let v = 128 + 60 * sin(Double(x) / 9) + 40 * cos(Double(y) / 23) + 0.3 * Double(y - 130)
                pixels[y * w + x] = UInt8(max(0, min(255, v)))
            }
        }
        return GrayImage(width: w, height: h, pixels: pixels)
    }

    func crop(_ image: GrayImage, _ box: Rect, angle: Double? = nil) -> [Float] {
        var out = [Float](repeating: 0, count: 48 * 48)
        if let angle {
            FaceCrop.extract(image, box: box, angle: angle, normalization: normalization, into: &out)
        } else {
            FaceCrop.extract(image, box: box, normalization: normalization, into: &out)
        }
        return out
    }

    func meanDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.reduce(0, +) / Float(a.count)
    }

    func testTheCropAlongABoxTurnedZeroDegreesIsTodaysCropBitForBit() {
        let image = picture()
        for box in [Rect(x: 10, y: 7, width: 48, height: 48), Rect(x: 3, y: 5, width: 97, height: 131),
                    Rect(x: 250, y: 180, width: 150, height: 150), Rect(x: 40, y: 30, width: 20, height: 30)] {
            XCTAssertEqual(crop(image, box, angle: 0), crop(image, box), "box \(box)")
        }
    }

    func testTheClassifierGivesUprightFacesAtAngleZeroTheSameProbabilitiesAsBefore() throws {
        let image = picture()
        var config = TrainingConfig()
        config.architecture = "tiny"
        let data = TrainingTests.synthetic(count: 16, seed: 4, split: .training)
        let trainer = try Trainer(config: config, train: data, validation: data)
        let model = try EmotionModel(file: ModelFile.decode(trainer.modelFile().encoded(), file: "m.safetensors"))
        let classifier = EmotionClassifier(model: model, testTimeAugmentation: .flip)
        let boxes = [Rect(x: 10, y: 7, width: 90, height: 90), Rect(x: 120, y: 60, width: 130, height: 120)]
        let before = try classifier.classify(image, faces: boxes)
        XCTAssertEqual(try classifier.classify(image, faces: boxes, angles: [0, 0]), before)
        XCTAssertNotEqual(try classifier.classify(image, faces: boxes, angles: [30, 0])[0], before[0], "a turned crop is another crop")
    }

    func testACropAlongTheTurnedBoxOfATurnedPictureIsTheUprightCrop() {
        let image = picture()
        let box = Rect(x: 100, y: 80, width: 110, height: 110)
        let upright = crop(image, box)
        for angle in [-45.0, -30, 15, 30, 45] {
            // The picture turned by `angle` (a face in it now tilts by `angle`); the box's centre moves with it.
            let rotation = ImageRotation(sourceWidth: image.width, sourceHeight: image.height, degrees: angle)
            let turned = rotation.apply(to: image)
            let c = rotation.canvasPoint(x: Double(box.x) + Double(box.width) / 2, y: Double(box.y) + Double(box.height) / 2)
            let moved = Rect(x: Int((c.x - Double(box.width) / 2).rounded()), y: Int((c.y - Double(box.height) / 2).rounded()),
                             width: box.width, height: box.height)
            let along = meanDifference(crop(turned, moved, angle: angle), upright)
            let across = meanDifference(crop(turned, moved), upright)
            print(String(format: "angle %+.0f°: mean |difference| to the upright crop, along the turned box %.3f, upright box %.3f", angle, along, across))
            XCTAssertLessThan(along, 0.06, "angle \(angle)")
            XCTAssertGreaterThan(across, 5 * along, "angle \(angle)")
        }
    }
}
