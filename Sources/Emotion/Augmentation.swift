// On-the-fly augmentation of 48x48 training faces: one random affine warp (shift, rotation, scale,
// horizontal flip) sampled bilinearly with replicated borders, then brightness/contrast jitter and
// random erasing. Each image's randomness comes from (seed, epoch, position), so a batch is the same
// whichever thread builds it and a resumed run sees the same images.
import Foundation
import NeuralNet

/// What to vary and by how much; zero turns a transform off.
public struct AugmentationConfig: Codable, Equatable, Sendable {
    /// Mirror left-right with probability 1/2.
    public var flip = true
    /// Maximum shift in pixels along each axis.
    public var shift: Float = 4
    /// Maximum rotation in degrees either way.
    public var rotationDegrees: Float = 10
    /// Maximum relative zoom either way (0.1 = 90%..110%).
    public var scale: Float = 0.1
    /// Maximum brightness change, in units of the full 0-1 range.
    public var brightness: Float = 0.15
    /// Maximum relative contrast change.
    public var contrast: Float = 0.2
    /// Probability of erasing one random rectangle (2-20% of the face) with noise.
    public var erasing: Float = 0.5

    public init() {}

    /// No augmentation at all.
    public static let none: AugmentationConfig = {
        var c = AugmentationConfig()
        c.flip = false
        c.shift = 0
        c.rotationDegrees = 0
        c.scale = 0
        c.brightness = 0
        c.contrast = 0
        c.erasing = 0
        return c
    }()
}

public enum Augmenter {
    static let side = FERDataset.side

    /// Writes an augmented version of `source` (48x48 gray) into `out` (48x48, values in 0...1).
    public static func augment(_ source: UnsafePointer<UInt8>, into out: UnsafeMutablePointer<Float>,
                               config c: AugmentationConfig, random r: inout SeededRandom) {
        let n = side
        let center = Float(n - 1) / 2
        let flip = c.flip && r.uniform() < 0.5
        let angle = (r.uniform() * 2 - 1) * c.rotationDegrees * .pi / 180
        let zoom = 1 + (r.uniform() * 2 - 1) * c.scale
        let tx = (r.uniform() * 2 - 1) * c.shift, ty = (r.uniform() * 2 - 1) * c.shift
        // Output (x, y) → source: undo the shift, the flip, then rotate by −angle and divide by zoom.
        let cosA = cos(angle) / zoom, sinA = sin(angle) / zoom
        for y in 0..<n {
            for x in 0..<n {
                var u = Float(x) - center - tx
                let v = Float(y) - center - ty
                if flip { u = -u }
                let sx = cosA * u + sinA * v + center
                let sy = -sinA * u + cosA * v + center
                out[y * n + x] = bilinear(source, sx, sy) * (1 / 255)
            }
        }
        let contrast = 1 + (r.uniform() * 2 - 1) * c.contrast
        let brightness = (r.uniform() * 2 - 1) * c.brightness
        if contrast != 1 || brightness != 0 {
            for i in 0..<(n * n) { out[i] = min(1, max(0, (out[i] - 0.5) * contrast + 0.5 + brightness)) }
        }
        if c.erasing > 0 && r.uniform() < c.erasing {
            let area = Float(n * n) * (0.02 + r.uniform() * 0.18)
            let aspect = exp(log(0.3) + r.uniform() * (log(3.3) - log(0.3)))
            let h = min(n, max(1, Int((area * aspect).squareRoot())))
            let w = min(n, max(1, Int((area / aspect).squareRoot())))
            let y0 = Int(r.uniform() * Float(n - h + 1)), x0 = Int(r.uniform() * Float(n - w + 1))
            for y in y0..<min(n, y0 + h) {
                for x in x0..<min(n, x0 + w) { out[y * n + x] = r.uniform() }
            }
        }
    }

    /// The source sampled at (x, y) with bilinear interpolation; coordinates clamp to the border.
    @inline(__always)
    static func bilinear(_ s: UnsafePointer<UInt8>, _ x: Float, _ y: Float) -> Float {
        let maxC = Float(side - 1)
        let cx = min(max(x, 0), maxC), cy = min(max(y, 0), maxC)
        let x0 = Int(cx), y0 = Int(cy)
        let x1 = min(x0 + 1, side - 1), y1 = min(y0 + 1, side - 1)
        let fx = cx - Float(x0), fy = cy - Float(y0)
        let top = Float(s[y0 * side + x0]) * (1 - fx) + Float(s[y0 * side + x1]) * fx
        let bottom = Float(s[y1 * side + x0]) * (1 - fx) + Float(s[y1 * side + x1]) * fx
        return top * (1 - fy) + bottom * fy
    }

    /// A reproducible generator for one image of one epoch.
    public static func random(seed: UInt64, epoch: Int, position: Int) -> SeededRandom {
        SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(epoch) << 32 ^ UInt64(position))
    }
}
