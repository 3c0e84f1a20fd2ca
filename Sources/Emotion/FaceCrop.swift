// Turning a face box in a gray frame into the network's 48x48 input, the same way for `classify`,
// `live` and `replay`: clamp the box to the frame, resample to 48x48 (area averaging when
// shrinking, as OpenCV's INTER_AREA; bilinear when enlarging), scale to 0...1, normalise.
// Writes straight into the caller's buffer: no allocation per face.
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
            for y in 0..<side {
                for x in 0..<side {
                    let value: Double
                    if sx >= 1 && sy >= 1 {
                        value = areaAverage(src, stride: image.width, x0: Double(r.x) + Double(x) * sx, y0: Double(r.y) + Double(y) * sy,
                                            w: sx, h: sy)
                    } else {
                        let fx = max(0, min(Double(r.width - 1), (Double(x) + 0.5) * sx - 0.5)) + Double(r.x)
                        let fy = max(0, min(Double(r.height - 1), (Double(y) + 0.5) * sy - 0.5)) + Double(r.y)
                        value = bilinear(src, stride: image.width, x: fx, y: fy, maxX: r.x + r.width - 1, maxY: r.y + r.height - 1)
                    }
                    out[y * side + x] = Float(value / 255)
                }
            }
        }
        normalization.apply(out, count: side * side)
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
