// JPEG and PNG through libjpeg-turbo and libpng: round trips, formats, and errors for corrupt or
// missing files that name the file instead of crashing.
import ImageIO
import Imaging
import TestSupport
import XCTest

final class CodecTests: XCTestCase {
    func gradient(width: Int, height: Int) -> RGBImage {
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height { for x in 0..<width {
            let i = (y * width + x) * 3
            p[i] = UInt8(x * 255 / max(1, width - 1)); p[i + 1] = UInt8(y * 255 / max(1, height - 1)); p[i + 2] = 128
        } }
        return RGBImage(width: width, height: height, pixels: p)
    }

    func testPNGRoundTripIsLossless() throws {
        let image = gradient(width: 37, height: 21)
        let bytes = try PNG.encode(image)
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try PNG.decode(bytes), image)
        let gray = GrayImage(rgb: image)
        XCTAssertEqual(GrayImage(rgb: try PNG.decode(try PNG.encode(gray))), gray, "gray PNG decodes to replicated RGB")
    }

    func testJPEGRoundTripIsClose() throws {
        let image = gradient(width: 64, height: 48)
        let bytes = try JPEG.encode(image, quality: 95)
        XCTAssertEqual(Array(bytes.prefix(3)), [0xFF, 0xD8, 0xFF])
        let back = try JPEG.decode(bytes)
        XCTAssertEqual(back.width, 64)
        XCTAssertEqual(back.height, 48)
        let maxError = zip(back.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThan(maxError, 12, "quality 95 stays close to the original")
        let smaller = try JPEG.encode(image, quality: 20)
        XCTAssertLessThan(smaller.count, bytes.count)
        let gray = try JPEG.decode(try JPEG.encode(GrayImage(rgb: image), quality: 90))
        XCTAssertEqual(gray.pixels[0], gray.pixels[1], "gray JPEG decodes to replicated RGB")
    }

    func testCorruptDataIsAnErrorNotACrash() throws {
        let good = try JPEG.encode(gradient(width: 16, height: 16), quality: 80)
        var garbage = Array(good.prefix(3)) + [UInt8](repeating: 0x42, count: 200)
        XCTAssertThrowsError(try JPEG.decode(garbage)) { error in
            guard case .corrupt(_, "JPEG", let reason)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertThrowsError(try JPEG.decode([]))
        let png = try PNG.encode(gradient(width: 16, height: 16))
        XCTAssertThrowsError(try PNG.decode(Array(png.prefix(png.count / 2)))) { error in
            XCTAssertTrue("\(error.localizedDescription)".contains("PNG"), error.localizedDescription)
        }
        garbage = png
        garbage[40] ^= 0xFF   // breaks a chunk CRC
        XCTAssertThrowsError(try PNG.decode(garbage))
    }

    func testFileErrorsNameTheFile() throws {
        let dir = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = dir.appendingPathComponent("missing.jpg").path
        XCTAssertThrowsError(try ImageFile.read(path: missing)) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read \(missing): no such file")
        }
        let text = dir.appendingPathComponent("notes.png").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try ImageFile.read(path: text)) { error in
            XCTAssertEqual(error.localizedDescription, "\(text): not a JPEG or PNG file (unrecognised signature)")
        }
        let truncated = dir.appendingPathComponent("truncated.png").path
        let png = try PNG.encode(gradient(width: 30, height: 30))
        try Data(png.prefix(60)).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try ImageFile.read(path: truncated)) { error in
            XCTAssertTrue(error.localizedDescription.hasPrefix("\(truncated): corrupt PNG data:"), error.localizedDescription)
        }
    }

    func testFileRoundTripAndSharedPhotos() throws {
        let dir = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.png").path
        let image = gradient(width: 9, height: 5)
        try ImageFile.writePNG(image, path: path)
        XCTAssertEqual(try ImageFile.read(path: path), image)
        let jpegPath = dir.appendingPathComponent("out.jpg").path
        try ImageFile.writeJPEG(image, path: jpegPath, quality: 90)
        XCTAssertEqual(try ImageFile.read(path: jpegPath).width, 9)
        XCTAssertThrowsError(try ImageFile.writePNG(image, path: dir.appendingPathComponent("no/such/dir.png").path))

        let obama = try ImageFile.read(path: try TestPaths.sharedFile("media/fr_obama.jpg").path)
        XCTAssertEqual(obama.width, 910)
        XCTAssertEqual(obama.height, 1137)
        let astronaut = try ImageFile.read(path: try TestPaths.sharedFile("media/skimage_astronaut.png").path)
        XCTAssertEqual(astronaut.width, 512)
    }
}
