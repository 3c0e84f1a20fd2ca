// Integral images as OpenCV's cv::integral defines them, padded to (h+1)x(w+1) with a zero first
// row and column, in 64-bit so that no frame size overflows (a 4K white frame's squared sum is
// about 2^41):
//   sum[y][x]     = Σ I(x', y')   for x' < x, y' < y
//   squared[y][x] = Σ I(x', y')²  for x' < x, y' < y
//   tilted[y][x]  = Σ I(x', y')   for y' < y, |x' - x + 1| <= y - y' - 1   (45° rotated, Lienhart)
// Any rectangle's sum is then four lookups.

/// Sum, squared-sum and (optionally) tilted integral images of a gray image.
public struct IntegralImage: Sendable {
    /// Width and height of the integral arrays: image size + 1.
    public let width: Int
    public let height: Int
    /// Row-major `(height) x (width)` arrays.
    public let sum: [Int64]
    public let squaredSum: [Int64]
    /// Empty unless built with `tilted: true`.
    public let tiltedSum: [Int64]

    public init(_ image: GrayImage, tilted: Bool = false) {
        let w = image.width + 1, h = image.height + 1
        width = w
        height = h
        var s = [Int64](repeating: 0, count: w * h)
        var q = [Int64](repeating: 0, count: w * h)
        for y in 1..<h {
            var rowSum: Int64 = 0, rowSquares: Int64 = 0
            for x in 1..<w {
                let v = Int64(image.pixels[(y - 1) * image.width + (x - 1)])
                rowSum += v
                rowSquares += v * v
                s[y * w + x] = s[(y - 1) * w + x] + rowSum
                q[y * w + x] = q[(y - 1) * w + x] + rowSquares
            }
        }
        sum = s
        squaredSum = q
        tiltedSum = tilted ? IntegralImage.tiltedIntegral(image) : []
    }

    /// Σ I over `rect` (must lie inside the image).
    public func sum(of rect: Rect) -> Int64 {
        let a = rect.y * width + rect.x, b = a + rect.width
        let c = (rect.y + rect.height) * width + rect.x, d = c + rect.width
        return sum[a] - sum[b] - sum[c] + sum[d]
    }

    /// Σ I² over `rect` (must lie inside the image).
    public func squaredSum(of rect: Rect) -> Int64 {
        let a = rect.y * width + rect.x, b = a + rect.width
        let c = (rect.y + rect.height) * width + rect.x, d = c + rect.width
        return squaredSum[a] - squaredSum[b] - squaredSum[c] + squaredSum[d]
    }

    /// Σ I over a 45° rotated rectangle whose top corner is (x, y), extending `width` down-right
    /// and `height` down-left (OpenCV's tilted Haar rectangle). Needs `tilted: true`.
    public func tiltedSum(of rect: Rect) -> Int64 {
        let p0 = rect.y * width + rect.x
        let p1 = (rect.y + rect.height) * width + rect.x - rect.height
        let p2 = (rect.y + rect.width) * width + rect.x + rect.width
        let p3 = (rect.y + rect.width + rect.height) * width + rect.x + rect.width - rect.height
        return tiltedSum[p0] - tiltedSum[p1] - tiltedSum[p2] + tiltedSum[p3]
    }

    /// The tilted integral by the recurrence (checked against the definition in tests)
    ///   T(X,Y) = T(X-1,Y-1) + T(X+1,Y-1) - T(X,Y-2) + I(X-1,Y-1) + I(X-1,Y-2)
    /// where columns just outside the array follow from the zero padding:
    /// T(-1, Y) = T(0, Y-1) and T(w, Y) = T(w-1, Y-1) (w = image width + 1), T(·, Y <= 0) = 0.
    static func tiltedIntegral(_ image: GrayImage) -> [Int64] {
        let w = image.width + 1, h = image.height + 1, iw = image.width
        var t = [Int64](repeating: 0, count: w * h)
        @inline(__always) func pixel(_ x: Int, _ y: Int) -> Int64 {
            (x >= 0 && x < iw && y >= 0) ? Int64(image.pixels[y * iw + x]) : 0
        }
        @inline(__always) func at(_ x: Int, _ y: Int) -> Int64 {
            if y <= 0 { return 0 }
            if x < 0 { return at(0, y + x) }
            if x >= w { return at(w - 1, y - (x - w + 1)) }
            return t[y * w + x]
        }
        for y in 1..<h {
            for x in 0..<w {
                t[y * w + x] = at(x - 1, y - 1) + at(x + 1, y - 1) - at(x, y - 2)
                    + pixel(x - 1, y - 1) + (y >= 2 ? pixel(x - 1, y - 2) : 0)
            }
        }
        return t
    }

    /// The definition, O(w·h) per value: the oracle for tests.
    static func tiltedBrute(_ image: GrayImage, _ x: Int, _ y: Int) -> Int64 {
        var total: Int64 = 0
        guard y > 0 else { return 0 }
        for yy in 0..<min(y, image.height) {
            let r = y - yy - 1
            let lo = max(0, x - 1 - r), hi = min(image.width - 1, x - 1 + r)
            if lo <= hi { for xx in lo...hi { total += Int64(image.pixels[yy * image.width + xx]) } }
        }
        return total
    }
}
