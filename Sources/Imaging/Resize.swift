// Bilinear resize bit-exact with OpenCV's INTER_LINEAR_EXACT for 8-bit images (resize_bitExact):
// per-axis coefficients computed in double, rounded to 8 fractional bits; a horizontal pass into
// 8.8 fixed point, then a vertical pass into 16.16 that is rounded back to 8 bits. Source pixels
// outside the image are clamped (rows and columns before the first / after the last sample use
// the edge value). The cascade pyramid depends on this being exact.

/// Precomputed taps for one axis: for each output index, the first source index and two 8-bit weights.
struct LinearTaps {
    var offsets: [Int]
    var weights0: [UInt32]
    var weights1: [UInt32]
    /// Outputs `0..<low` take the first sample, `high..<count` the last (OpenCV's min/max offsets).
    var low: Int
    var high: Int

    init(sourceCount: Int, destinationCount: Int) {
        let inverseScale = Double(destinationCount) / Double(sourceCount)
        let scale = 1.0 / inverseScale
        offsets = [Int](repeating: 0, count: destinationCount)
        weights0 = [UInt32](repeating: 0, count: destinationCount)
        weights1 = [UInt32](repeating: 0, count: destinationCount)
        low = 0
        high = destinationCount
        for d in 0..<destinationCount {
            let f = scale * (Double(d) + 0.5) - 0.5
            let i = Int(f.rounded(.down))
            if i >= 0 && sourceCount > 1 {
                if i < sourceCount - 1 {
                    offsets[d] = i
                    let c1 = f - Double(i)
                    let c0 = 1.0 - c1
                    weights0[d] = UInt32((c0 * 256).rounded(.toNearestOrEven))
                    weights1[d] = UInt32((c1 * 256).rounded(.toNearestOrEven))
                } else {
                    offsets[d] = sourceCount - 1
                    high = min(high, d)
                }
            } else {
                low = max(low, d + 1)
            }
        }
    }
}

extension GrayImage {
    /// Bilinear resize, bit-exact with OpenCV `resize(..., INTER_LINEAR_EXACT)`.
    public func resizedBilinear(width newWidth: Int, height newHeight: Int) -> GrayImage {
        precondition(newWidth > 0 && newHeight > 0 && width > 0 && height > 0, "resize: empty image")
        if newWidth == width && newHeight == height { return self }
        var out = [UInt8](repeating: 0, count: newWidth * newHeight)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                GrayImage.resizeBilinear(src.baseAddress!, width: width, height: height,
                                         into: dst.baseAddress!, width: newWidth, height: newHeight)
            }
        }
        return GrayImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// The raw kernel: `src` is (height, width) row-major, `dst` is (newHeight, newWidth) row-major.
    public static func resizeBilinear(_ src: UnsafePointer<UInt8>, width: Int, height: Int,
                                      into dst: UnsafeMutablePointer<UInt8>, width newWidth: Int, height newHeight: Int) {
        let tx = LinearTaps(sourceCount: width, destinationCount: newWidth)
        let ty = LinearTaps(sourceCount: height, destinationCount: newHeight)
        // Two horizontally resized rows in 8.8 fixed point (UInt32 to avoid casts in the vertical pass).
        var rowA = [UInt32](repeating: 0, count: newWidth)
        var rowB = [UInt32](repeating: 0, count: newWidth)
        var rowAIndex = -1, rowBIndex = -1
        tx.offsets.withUnsafeBufferPointer { xo in
        tx.weights0.withUnsafeBufferPointer { xw0 in
        tx.weights1.withUnsafeBufferPointer { xw1 in
            func horizontal(_ y: Int, _ out: UnsafeMutablePointer<UInt32>) {
                let row = src + y * width
                let first = UInt32(row[0]) << 8
                for d in 0..<tx.low { out[d] = first }
                if tx.low < tx.high {
                    for d in tx.low..<tx.high {
                        let o = xo[d]
                        out[d] = xw0[d] * UInt32(row[o]) + xw1[d] * UInt32(row[o + 1])
                    }
                }
                let last = UInt32(row[xo[newWidth - 1]]) << 8
                for d in max(tx.high, tx.low)..<newWidth { out[d] = last }
            }
            rowA.withUnsafeMutableBufferPointer { a in
            rowB.withUnsafeMutableBufferPointer { b in
                var pa = a.baseAddress!, pb = b.baseAddress!
                for dy in 0..<newHeight {
                    let out = dst + dy * newWidth
                    if dy < ty.low || dy >= ty.high {
                        // Edge rows: one source row, rounded from 8.8 back to 8 bits.
                        let y = dy < ty.low ? 0 : height - 1
                        if rowAIndex != y {
                            if rowBIndex == y { swap(&pa, &pb); swap(&rowAIndex, &rowBIndex) }
                            else { horizontal(y, pa); rowAIndex = y }
                        }
                        for d in 0..<newWidth { out[d] = UInt8(truncatingIfNeeded: min((pa[d] + 128) >> 8, 255)) }
                        continue
                    }
                    let y0 = ty.offsets[dy]
                    if rowAIndex != y0 {
                        if rowBIndex == y0 { swap(&pa, &pb); swap(&rowAIndex, &rowBIndex) }
                        else { horizontal(y0, pa); rowAIndex = y0 }
                    }
                    if rowBIndex != y0 + 1 { horizontal(y0 + 1, pb); rowBIndex = y0 + 1 }
                    let w0 = ty.weights0[dy], w1 = ty.weights1[dy]
                    for d in 0..<newWidth {
                        let v = (pa[d] &* w0 &+ pb[d] &* w1 &+ 32768) >> 16
                        out[d] = UInt8(truncatingIfNeeded: min(v, 255))
                    }
                }
            }
            }
        }
        }
        }
    }
}
