// One worker's scratch memory for scanning pyramid levels: the resized level image and its
// integral planes (sum, squared sum, optionally tilted sum) at a fixed row stride, so feature
// offsets are computed once per detection, not per level. Allocated once per detection and
// reused for every level that worker scans.
//
// The planes hold 32-bit sums with wrapping arithmetic, like OpenCV's CV_32S planes: totals over a
// large frame overflow (a 4K white frame's squared sum is ~2^41), but every quantity the detector
// reads is a difference of four corners over one window, whose true value is far below 2^32, and
// modular arithmetic makes that difference exact. Imaging.IntegralImage is the 64-bit version.
import Imaging

final class IntegralPlanes {
    /// Elements after the last plane: vector lanes past the end of a row may read them (unused).
    static let padding = 64
    let stride: Int
    let planeSize: Int
    let tilted: Bool
    /// [sum | squared sum | tilted]; each plane (maxHeight + 1) rows of `stride`.
    var planes: [UInt32]
    var resized: [UInt8]

    convenience init(maxWidth: Int, maxHeight: Int, tilted: Bool) {
        self.init(stride: maxWidth + 1, rows: maxHeight + 1, tilted: tilted)
    }

    /// Planes of `rows` rows of `stride` elements: levels up to (stride - 1) x (rows - 1).
    init(stride: Int, rows: Int, tilted: Bool) {
        self.stride = stride
        planeSize = stride * rows
        self.tilted = tilted
        planes = [UInt32](repeating: 0, count: planeSize * (tilted ? 3 : 2) + IntegralPlanes.padding)
        resized = [UInt8](repeating: 0, count: (stride - 1) * (rows - 1))
    }

    /// Resizes `image` to the level's size (OpenCV INTER_LINEAR_EXACT) and fills the planes.
    func load(_ image: GrayImage, width: Int, height: Int) {
        resized.withUnsafeMutableBufferPointer { dst in
            image.pixels.withUnsafeBufferPointer { src in
                if width == image.width && height == image.height {
                    dst.baseAddress!.update(from: src.baseAddress!, count: width * height)
                } else {
                    GrayImage.resizeBilinear(src.baseAddress!, width: image.width, height: image.height,
                                             into: dst.baseAddress!, width: width, height: height)
                }
            }
        }
        computeIntegrals(width: width, height: height)
    }

    func computeIntegrals(width: Int, height: Int) {
        let stride = self.stride, planeSize = self.planeSize
        resized.withUnsafeBufferPointer { img in
            planes.withUnsafeMutableBufferPointer { buffer in
                let sum = buffer.baseAddress!, sq = sum + planeSize
                for x in 0...width { sum[x] = 0; sq[x] = 0 }
                for y in 0..<height {
                    let row = img.baseAddress! + y * width
                    let above = sum + y * stride, current = above + stride
                    let aboveSq = sq + y * stride, currentSq = aboveSq + stride
                    current[0] = 0
                    currentSq[0] = 0
                    var s: UInt32 = 0, q: UInt32 = 0
                    for x in 0..<width {
                        let v = UInt32(row[x])
                        s &+= v
                        q &+= v &* v
                        current[x + 1] = above[x + 1] &+ s
                        currentSq[x + 1] = aboveSq[x + 1] &+ q
                    }
                }
                if tilted { computeTilted(img.baseAddress!, sum + 2 * planeSize, width: width, height: height) }
            }
        }
    }

    /// T(x,y) = T(x-1,y-1) + T(x+1,y-1) - T(x,y-2) + I(x-1,y-1) + I(x-1,y-2), with
    /// T(-1,y) = T(0,y-1) and T(w+1,y) = T(w,y-1) at the borders (see Imaging.IntegralImage).
    private func computeTilted(_ img: UnsafePointer<UInt8>, _ t: UnsafeMutablePointer<UInt32>, width: Int, height: Int) {
        let stride = self.stride, w = width + 1
        for x in 0..<w { t[x] = 0 }
        @inline(__always) func pixel(_ x: Int, _ y: Int) -> UInt32 {
            (x >= 0 && x < width && y >= 0) ? UInt32(img[y * width + x]) : 0
        }
        guard height >= 1 else { return }
        for y in 1...height {
            let prev = t + (y - 1) * stride, cur = t + y * stride
            let prev2: UnsafeMutablePointer<UInt32>? = y >= 2 ? t + (y - 2) * stride : nil
            for x in 0..<w {
                let left = x > 0 ? prev[x - 1] : (prev2?[0] ?? 0)            // T(-1,y-1) = T(0,y-2)
                let right = x + 1 < w ? prev[x + 1] : (prev2?[w - 1] ?? 0)  // T(w,y-1) = T(w-1,y-2)
                let up2 = prev2?[x] ?? 0
                cur[x] = left &+ right &- up2 &+ pixel(x - 1, y - 1) &+ (y >= 2 ? pixel(x - 1, y - 2) : 0)
            }
        }
    }
}
