// RGB → gray exactly as OpenCV's cvtColor(COLOR_RGB2GRAY) for 8-bit images:
// BT.601 weights in 14-bit fixed point (R 4899, G 9617, B 1868, sum 16384), rounded by adding 2^13.
// Bit-exactness matters: the face detector's boxes are compared with OpenCV's on the same gray image.

extension GrayImage {
    /// Fixed-point BT.601 weights used by OpenCV (`cv::RGB2Gray<uchar>`), scaled by 2^14.
    public static let bt601Weights: (red: Int, green: Int, blue: Int) = (4899, 9617, 1868)

    /// Converts an RGB image to gray with OpenCV's BT.601 fixed-point arithmetic (bit-exact).
    public init(rgb: RGBImage) {
        let count = rgb.width * rgb.height
        var out = [UInt8](repeating: 0, count: count)
        let (wr, wg, wb) = (Int32(GrayImage.bt601Weights.red), Int32(GrayImage.bt601Weights.green),
                            Int32(GrayImage.bt601Weights.blue))
        rgb.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    let r = Int32(src[3 * i]), g = Int32(src[3 * i + 1]), b = Int32(src[3 * i + 2])
                    dst[i] = UInt8(truncatingIfNeeded: (r * wr + g * wg + b * wb + 8192) >> 14)
                }
            }
        }
        self.init(width: rgb.width, height: rgb.height, pixels: out)
    }
}

extension RGBImage {
    /// A gray image replicated into three channels (for drawing coloured annotations on gray input).
    public init(gray: GrayImage) {
        var out = [UInt8](repeating: 0, count: gray.width * gray.height * 3)
        for (i, v) in gray.pixels.enumerated() {
            out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
        }
        self.init(width: gray.width, height: gray.height, pixels: out)
    }
}
