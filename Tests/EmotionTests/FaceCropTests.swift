// The face crop the classifier sees: area averaging when shrinking (checked against the per-pixel
// definition, `FaceCrop.areaAverage`, on boxes of many sizes, clamped at the frame's edges), bilinear
// when enlarging, then scaling to 0...1 and normalisation.
@testable import Emotion
import Imaging
import NeuralNet
import XCTest

final class FaceCropTests: XCTestCase {
    let normalization = Normalization(mean: 0.5, std: 0.25)

    func frame() -> GrayImage {
        var r = SeededRandom(seed: 3)
        return GrayImage(width: 333, height: 250, pixels: (0..<(333 * 250)).map { _ in UInt8(r.uniform() * 255) })
    }

    func testShrinkingAveragesEachCellsAreaAsDefined() {
        let image = frame()
        var out = [Float](repeating: 0, count: 48 * 48)
        for box in [Rect(x: 10, y: 7, width: 48, height: 48), Rect(x: 3, y: 5, width: 97, height: 131),
                    Rect(x: 100, y: 20, width: 200, height: 201), Rect(x: 250, y: 180, width: 150, height: 150),
                    Rect(x: 0, y: 0, width: 333, height: 250), Rect(x: 31, y: 44, width: 49, height: 170)] {
            FaceCrop.extract(image, box: box, normalization: normalization, into: &out)
            let r = box.clamped(width: image.width, height: image.height)
            let sx = Double(r.width) / 48, sy = Double(r.height) / 48
            image.pixels.withUnsafeBufferPointer { px in
                for y in 0..<48 {
                    for x in 0..<48 {
                        let mean = FaceCrop.areaAverage(px.baseAddress!, stride: image.width, x0: Double(r.x) + Double(x) * sx,
                                                        y0: Double(r.y) + Double(y) * sy, w: sx, h: sy)
                        let expected = (Float(mean / 255) - normalization.mean) / normalization.std
                        XCTAssertEqual(out[y * 48 + x], expected, accuracy: 1e-5, "box \(box) at \(x),\(y)")
                    }
                }
            }
        }
    }

    func testA48PixelBoxIsThePixelsThemselves() {
        let image = frame()
        var out = [Float](repeating: 0, count: 48 * 48)
        FaceCrop.extract(image, box: Rect(x: 20, y: 30, width: 48, height: 48), normalization: Normalization(mean: 0, std: 1), into: &out)
        for y in 0..<48 {
            for x in 0..<48 { XCTAssertEqual(out[y * 48 + x], Float(image.pixels[(30 + y) * 333 + 20 + x]) / 255, accuracy: 1e-6) }
        }
    }
}
