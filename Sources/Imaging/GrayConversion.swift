// RGB → gray exactly as OpenCV 4.x's cvtColor(COLOR_RGB2GRAY) for 8-bit images: BT.601 weights
// in 15-bit fixed point (R 9798, G 19235, B 3735, sum 32768 — OpenCV's RY15/GY15/BY15), rounded
// by adding 2^14. (The older 14-bit weights 4899/9617/1868 differ on about 0.3% of colours;
// checked against opencv-python 4.10 on 2^20 random colours and every test photo.)
// Bit-exactness matters: the face detector's boxes are compared with OpenCV's on the same gray image.

import CPixels

extension GrayImage {
    /// Fixed-point BT.601 weights used by OpenCV 4.x, scaled by 2^15.
    public static let bt601Weights: (red: Int, green: Int, blue: Int) = (9798, 19235, 3735)

    /// Converts an RGB image to gray with OpenCV's BT.601 fixed-point arithmetic (bit-exact), in C with AVX2
    /// where the CPU has it (CPixels; the weights there are `bt601Weights`).
    public init(rgb: RGBImage) {
        let count = rgb.width * rgb.height
        let pixels = [UInt8](unsafeUninitializedCapacity: count) { out, initialized in
            rgb.pixels.withUnsafeBufferPointer { emonet_rgb_to_gray($0.baseAddress, out.baseAddress, count) }
            initialized = count
        }
        self.init(width: rgb.width, height: rgb.height, pixels: pixels)
    }

    /// The arithmetic of `init(rgb:)` for one pixel, in Swift: the oracle of the C loops in tests.
    @inlinable public static func gray(red: UInt8, green: UInt8, blue: UInt8) -> UInt8 {
        let (wr, wg, wb) = (Int32(bt601Weights.red), Int32(bt601Weights.green), Int32(bt601Weights.blue))
        return UInt8(truncatingIfNeeded: (Int32(red) * wr + Int32(green) * wg + Int32(blue) * wb + 16384) >> 15)
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
