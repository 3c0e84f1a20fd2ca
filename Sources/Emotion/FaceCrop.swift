// Turning a face box in a gray frame into the network's 48x48 input, the same way for `classify`,
// `live` and `replay`: clamp the box to the frame, resample to 48x48 (area averaging when
// shrinking, as OpenCV's INTER_AREA; bilinear when enlarging), scale to 0...1, normalise.
// A box turned by an angle (a face found tilted) is sampled along its own axes instead, so the network
// sees the face upright: each of the 48x48 cells averages an n x n grid of bilinear samples (n = the
// cell's size in pixels, rounded up), close to area averaging of the turned box. Angle 0 is the upright
// path above, byte for byte.
// Writes straight into the caller's buffer: no allocation per face.
import Foundation
import Imaging

public enum FaceCrop {
    /// Fills `out` (48*48 floats) from `box` of `image`, normalised for the network.
    public static func extract(_ image: GrayImage, box: Rect, normalization: Normalization,
                               into out: UnsafeMutablePointer<Float>) {
        let side = FERDataset.side
        let r = box.clamped(width: image.width, height: image.height)
        guard r.width > 0, r.height > 0 else {
            out.update(repeating: 0, count: side * side)
            return
        }
        image.pixels.withUnsafeBufferPointer { px in
            let src = px.baseAddress!
            let sx = Double(r.width) / Double(side), sy = Double(r.height) / Double(side)
            if sx >= 1 && sy >= 1 {
                shrink(src, stride: image.width, box: r, sx: sx, sy: sy, into: out)
                return
            }
            for y in 0..<side {
                for x in 0..<side {
                    let fx = max(0, min(Double(r.width - 1), (Double(x) + 0.5) * sx - 0.5)) + Double(r.x)
                    let fy = max(0, min(Double(r.height - 1), (Double(y) + 0.5) * sy - 0.5)) + Double(r.y)
                    let value = bilinear(src, stride: image.width, x: fx, y: fy, maxX: r.x + r.width - 1, maxY: r.y + r.height - 1)
                    out[y * side + x] = Float(value / 255)
                }
            }
        }
        normalization.apply(out, count: side * side)
    }

    /// Fills `out` (48*48 floats) from `box` turned `angle` degrees clockwise (on screen) about its centre,
    /// sampled along the turned box so its top comes out up; angle 0 is `extract(_:box:normalization:into:)`.
    /// Samples outside the frame take the nearest edge pixel.
    public static func extract(_ image: GrayImage, box: Rect, angle: Double, normalization: Normalization,
                               into out: UnsafeMutablePointer<Float>) {
        guard angle != 0 else {
            extract(image, box: box, normalization: normalization, into: out)
            return
        }
        let side = FERDataset.side
        guard box.width > 0, box.height > 0, image.width > 0, image.height > 0, angle.isFinite else {
            out.update(repeating: 0, count: side * side)
            return
        }
        let r = angle * .pi / 180, c = cos(r), s = sin(r)
        let cellWidth = Double(box.width) / Double(side), cellHeight = Double(box.height) / Double(side)
        // Samples per cell along each axis: about one per source pixel, at least one.
        let nx = max(1, Int(cellWidth.rounded(.up))), ny = max(1, Int(cellHeight.rounded(.up)))
        let centerX = Double(box.x) + Double(box.width) / 2, centerY = Double(box.y) + Double(box.height) / 2
        let maxX = Double(image.width - 1), maxY = Double(image.height - 1)
        image.pixels.withUnsafeBufferPointer { px in
            let src = px.baseAddress!
            for y in 0..<side {
                for x in 0..<side {
                    var sum = 0.0
                    for j in 0..<ny {
                        // Offset from the box centre along the box's own axes (pixels).
                        let v = (Double(y) + (Double(j) + 0.5) / Double(ny)) * cellHeight - Double(box.height) / 2
                        for i in 0..<nx {
                            let u = (Double(x) + (Double(i) + 0.5) / Double(nx)) * cellWidth - Double(box.width) / 2
                            // Into the frame (turned by the box's angle), in pixel-centre units.
                            let fx = min(max(centerX + u * c - v * s - 0.5, 0), maxX)
                            let fy = min(max(centerY + u * s + v * c - 0.5, 0), maxY)
                            sum += bilinear(src, stride: image.width, x: fx, y: fy, maxX: image.width - 1, maxY: image.height - 1)
                        }
                    }
                    out[y * side + x] = Float(sum / Double(nx * ny) / 255)
                }
            }
        }
        normalization.apply(out, count: side * side)
    }

    /// Area averaging of `box` down to 48x48 (what `areaAverage` gives per pixel): each output column's source
    /// columns and coverage weights are found once, not once per output pixel.
    static func shrink(_ src: UnsafePointer<UInt8>, stride: Int, box r: Rect, sx: Double, sy: Double,
                       into out: UnsafeMutablePointer<Float>) {
        let side = FERDataset.side, span = Int(max(sx, sy)) + 2
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 4 * side) { ints in
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * side * span) { weights in
                let firstX = ints.baseAddress!, countX = firstX + side, firstY = countX + side, countY = firstY + side
                let wx = weights.baseAddress!, wy = wx + side * span
                coverage(origin: r.x, scale: sx, span: span, first: firstX, count: countX, weights: wx)
                coverage(origin: r.y, scale: sy, span: span, first: firstY, count: countY, weights: wy)
                let norm = 1 / (sx * sy * 255)
                for y in 0..<side {
                    for x in 0..<side {
                        var sum = 0.0
                        for j in 0..<countY[y] {
                            let row = src + (firstY[y] + j) * stride + firstX[x], w = wx + x * span
                            var line = 0.0
                            for i in 0..<countX[x] { line += Double(row[i]) * w[i] }
                            sum += line * wy[y * span + j]
                        }
                        out[y * side + x] = Float(sum * norm)
                    }
                }
            }
        }
    }

    /// For each of the 48 output cells along one axis: the first source pixel it covers, how many, and by
    /// how much each (the same walk as `areaAverage`).
    private static func coverage(origin: Int, scale: Double, span: Int, first: UnsafeMutablePointer<Int>,
                                 count: UnsafeMutablePointer<Int>, weights: UnsafeMutablePointer<Double>) {
        for i in 0..<FERDataset.side {
            let start = Double(origin) + Double(i) * scale, end = start + scale
            var at = start, k = 0
            first[i] = Int(start)
            while at < end - 1e-9 && k < span {
                let next = min(Double(Int(at) + 1), end)
                weights[i * span + k] = next - at
                k += 1
                at = next
            }
            count[i] = k
        }
    }

    /// Mean of the source over [x0, x0+w) × [y0, y0+h), weighting partly covered pixels by coverage.
    static func areaAverage(_ s: UnsafePointer<UInt8>, stride: Int, x0: Double, y0: Double, w: Double, h: Double) -> Double {
        var sum = 0.0
        var yy = y0
        let y1 = y0 + h, x1 = x0 + w
        while yy < y1 - 1e-9 {
            let row = Int(yy), yNext = min(Double(row + 1), y1), wy = yNext - yy
            var xx = x0
            while xx < x1 - 1e-9 {
                let col = Int(xx), xNext = min(Double(col + 1), x1)
                sum += Double(s[row * stride + col]) * (xNext - xx) * wy
                xx = xNext
            }
            yy = yNext
        }
        return sum / (w * h)
    }

    static func bilinear(_ s: UnsafePointer<UInt8>, stride: Int, x: Double, y: Double, maxX: Int, maxY: Int) -> Double {
        let x0 = Int(x), y0 = Int(y), x1 = min(x0 + 1, maxX), y1 = min(y0 + 1, maxY)
        let fx = x - Double(x0), fy = y - Double(y0)
        let top = Double(s[y0 * stride + x0]) * (1 - fx) + Double(s[y0 * stride + x1]) * fx
        let bottom = Double(s[y1 * stride + x0]) * (1 - fx) + Double(s[y1 * stride + x1]) * fx
        return top * (1 - fy) + bottom * fy
    }
}
