// Reading and writing image files: the format is chosen by the file's signature on read (JPEG
// FF D8 FF, PNG 89 50 4E 47), by the call on write. Errors name the path.
import Foundation
import Imaging
import SafeOutput

/// Image files on disk.
public enum ImageFile {
    /// Reads a JPEG or PNG file as RGB.
    public static func read(path: String) throws -> RGBImage {
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "permission denied or not a regular file"
                                                                      : "no such file"
            throw ImageIOError.unreadable(path: path, reason: reason)
        }
        do {
            if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return try JPEG.decode(bytes) }
            if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try PNG.decode(bytes) }
        } catch let error as ImageIOError {
            throw error.attributed(to: path)
        }
        if bytes.isEmpty { throw ImageIOError.unreadable(path: path, reason: "empty file") }
        throw ImageIOError.unsupportedFormat(path: path)
    }

    /// Reads a JPEG or PNG file and converts it to gray as OpenCV does (BT.601).
    public static func readGray(path: String) throws -> GrayImage {
        GrayImage(rgb: try read(path: path))
    }

    /// Writes an RGB image as PNG.
    public static func writePNG(_ image: RGBImage, path: String) throws {
        try write(try PNG.encode(image), path: path)
    }

    /// Writes a chart as PNG, compressed for speed (flat colours stay small; see `PNG.encode(_:fast:)`).
    public static func writeChartPNG(_ image: RGBImage, path: String) throws {
        try write(try PNG.encode(image, fast: true), path: path)
    }

    /// Writes a gray image as PNG.
    public static func writePNG(_ image: GrayImage, path: String) throws {
        try write(try PNG.encode(image), path: path)
    }

    /// Writes an RGB image as JPEG.
    public static func writeJPEG(_ image: RGBImage, path: String, quality: Int = 90) throws {
        try write(try JPEG.encode(image, quality: quality), path: path)
    }

    /// Atomically: staged beside `path`, flushed and renamed, so a failed write leaves an existing file whole.
    private static func write(_ bytes: [UInt8], path: String) throws {
        do {
            try AtomicFile.write(bytes, to: path)
        } catch let OutputError.unwritable(_, reason) {
            throw ImageIOError.unwritable(path: path, reason: reason)
        }
    }
}
