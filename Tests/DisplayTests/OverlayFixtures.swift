// Known frames and results for the overlay tests, and pixel helpers that tolerate anti-aliasing.
import Display
import Emotion
import Foundation
import Imaging
import Pipeline

enum OverlayFixtures {
    static let gray: UInt8 = 90

    /// A flat gray 320x240 frame.
    static func frame() -> Frame {
        Frame(index: 7, time: 0.25, image: RGBImage(width: 320, height: 240,
                                                    pixels: [UInt8](repeating: gray, count: 320 * 240 * 3)))
    }

    static func probabilities(_ label: EmotionLabel, _ p: Float) -> [Float] {
        var all = [Float](repeating: (1 - p) / 6, count: 7)
        all[label.rawValue] = p
        return all
    }

    /// A happy face (track 3) at (100, 80, 80x80) and a sad one (track 4) at (20, 170, 60x60).
    static func result() -> FrameResult {
        FrameResult(frameIndex: 7, time: 0.25, faces: [
            FaceResult(track: 3, box: Rect(x: 100, y: 80, width: 80, height: 80), probabilities: probabilities(.happy, 0.87)),
            FaceResult(track: 4, box: Rect(x: 20, y: 170, width: 60, height: 60), probabilities: probabilities(.sad, 0.6)),
        ])
    }

    static func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> RGBColor {
        let o = (y * image.width + x) * 3
        return RGBColor(red: image.pixels[o], green: image.pixels[o + 1], blue: image.pixels[o + 2])
    }

    static func close(_ a: RGBColor, _ b: RGBColor, tolerance: Int = 12) -> Bool {
        abs(Int(a.red) - Int(b.red)) <= tolerance && abs(Int(a.green) - Int(b.green)) <= tolerance
            && abs(Int(a.blue) - Int(b.blue)) <= tolerance
    }

    /// Fraction of pixels in `r` within tolerance of `color`.
    static func share(of color: RGBColor, in image: RGBImage, _ r: Rect) -> Double {
        var hits = 0
        for y in r.y..<(r.y + r.height) { for x in r.x..<(r.x + r.width) where close(pixel(image, x, y), color) { hits += 1 } }
        return Double(hits) / Double(max(1, r.area))
    }

    /// Pixels in `r` that are neither `a` nor `b` (text strokes, anti-aliased edges).
    static func otherPixels(in image: RGBImage, _ r: Rect, besides a: RGBColor, _ b: RGBColor) -> Int {
        var count = 0
        for y in r.y..<(r.y + r.height) {
            for x in r.x..<(r.x + r.width) where !close(pixel(image, x, y), a) && !close(pixel(image, x, y), b) { count += 1 }
        }
        return count
    }
}

extension OverlayFixtures {
    /// Writes `image` as a binary PPM into $EMONET_TEST_IMAGES when that is set (to look at test renders).
    static func saveIfAsked(_ image: RGBImage, name: String) {
        guard let directory = ProcessInfo.processInfo.environment["EMONET_TEST_IMAGES"] else { return }
        var data = Data("P6\n\(image.width) \(image.height)\n255\n".utf8)
        data.append(contentsOf: image.pixels)
        try? data.write(to: URL(fileURLWithPath: directory).appendingPathComponent("\(name).ppm"))
    }
}
