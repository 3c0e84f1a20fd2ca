// JPEG and PNG encode/decode of RGB images in memory, over the C shims in CImageCodecs.
// Decoding always yields 8-bit RGB (gray, palette, alpha and 16-bit inputs are converted, alpha is
// dropped as OpenCV's IMREAD_COLOR does); errors are ImageIOError naming "<memory>".
import CImageCodecs
import Imaging

/// JPEG (libjpeg-turbo) in memory.
public enum JPEG {
    /// Encodes an RGB image as a baseline JPEG of the given quality (1...100).
    public static func encode(_ image: RGBImage, quality: Int = 90) throws -> [UInt8] {
        try encodePixels(image.pixels, width: image.width, height: image.height, channels: 3, quality: quality)
    }

    /// Encodes a gray image as a single-channel JPEG.
    public static func encode(_ image: GrayImage, quality: Int = 90) throws -> [UInt8] {
        try encodePixels(image.pixels, width: image.width, height: image.height, channels: 1, quality: quality)
    }

    /// Decodes JPEG bytes to RGB.
    public static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try decodeWith(bytes, format: "JPEG", ic_jpeg_decode)
    }

    private static func encodePixels(_ pixels: [UInt8], width: Int, height: Int, channels: Int,
                                     quality: Int) throws -> [UInt8] {
        var message = [CChar](repeating: 0, count: Int(IC_MESSAGE_SIZE))
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = pixels.withUnsafeBufferPointer { p in
            ic_jpeg_encode(p.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality),
                           &out, &size, &message)
        }
        return try collect(status: status, out: out, size: size, message: message, format: "JPEG")
    }
}

/// PNG (libpng) in memory.
public enum PNG {
    /// Encodes an RGB image as an 8-bit RGB PNG. `fast`: a few times quicker and somewhat larger (no row
    /// filters, zlib level 3), for charts; the default compresses photos well.
    public static func encode(_ image: RGBImage, fast: Bool = false) throws -> [UInt8] {
        try encodePixels(image.pixels, width: image.width, height: image.height, channels: 3, fast: fast)
    }

    /// Encodes a gray image as an 8-bit gray PNG.
    public static func encode(_ image: GrayImage) throws -> [UInt8] {
        try encodePixels(image.pixels, width: image.width, height: image.height, channels: 1, fast: false)
    }

    /// Decodes PNG bytes to RGB.
    public static func decode(_ bytes: [UInt8]) throws -> RGBImage {
        try decodeWith(bytes, format: "PNG", ic_png_decode)
    }

    private static func encodePixels(_ pixels: [UInt8], width: Int, height: Int, channels: Int, fast: Bool) throws -> [UInt8] {
        var message = [CChar](repeating: 0, count: Int(IC_MESSAGE_SIZE))
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        let status = pixels.withUnsafeBufferPointer { p in
            ic_png_encode(p.baseAddress, Int32(width), Int32(height), Int32(channels), fast ? 1 : 0, &out, &size, &message)
        }
        return try collect(status: status, out: out, size: size, message: message, format: "PNG")
    }
}

private typealias Decoder = (UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<ic_image>?,
                             UnsafeMutablePointer<CChar>?) -> Int32

private func decodeWith(_ bytes: [UInt8], format: String, _ decoder: Decoder) throws -> RGBImage {
    var message = [CChar](repeating: 0, count: Int(IC_MESSAGE_SIZE))
    var image = ic_image()
    let status = bytes.withUnsafeBufferPointer { p in decoder(p.baseAddress, p.count, &image, &message) }
    guard status == 0, let pixels = image.pixels else {
        throw ImageIOError.corrupt(path: memoryLabel, format: format, reason: String(cString: message))
    }
    defer { ic_free(pixels) }
    let count = Int(image.width) * Int(image.height) * 3
    return RGBImage(width: Int(image.width), height: Int(image.height),
                    pixels: Array(UnsafeBufferPointer(start: pixels, count: count)))
}

private func collect(status: Int32, out: UnsafeMutablePointer<UInt8>?, size: Int, message: [CChar],
                     format: String) throws -> [UInt8] {
    guard status == 0, let out else {
        throw ImageIOError.encodingFailed(format: format, reason: String(cString: message))
    }
    defer { ic_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: size))
}
