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

    func testAFastPNGIsLosslessToo() throws {
        // Charts are written fast (no row filters, zlib level 3): the same pixels, in one encoding pass.
        let image = gradient(width: 301, height: 77)
        let fast = try PNG.encode(image, fast: true), small = try PNG.encode(image)
        XCTAssertEqual(try PNG.decode(fast), image)
        XCTAssertNotEqual(fast, small, "the fast settings must be the ones used")
        XCTAssertGreaterThan(fast.count, small.count, "the default filters compress a gradient better")
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

    /// CRC-32 (PNG's chunk checksum).
    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        }
        return ~c
    }

    func testAPNGHeaderDeclaringMoreThanItsDataCanHoldFailsBeforeDecoding() throws {
        // A 16x16 PNG whose IHDR (checksum fixed up) says 16000x16000: 768 MB of pixels were allocated
        // before libpng found the data short.
        var png = try PNG.encode(gradient(width: 16, height: 16))
        for (offset, value) in [(16, UInt32(16000)), (20, UInt32(16000))] {
            for k in 0..<4 { png[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let crc = crc32(png[12..<29])
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(k))) }
        let peak = PeakMemory.residentBytes()
        XCTAssertThrowsError(try PNG.decode(png)) { error in
            guard case .corrupt(_, "PNG", let reason)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.hasPrefix("header declares a 16000x16000 image, which needs at least"), reason)
            XCTAssertTrue(reason.contains("the file has \(png.count)"), reason)
        }
        XCTAssertLessThan(PeakMemory.residentBytes() - peak, 64 << 20)
        // Over the pixel limit whatever the data.
        for (offset, value) in [(16, UInt32(100_000)), (20, UInt32(100_000))] {
            for k in 0..<4 { png[offset + k] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(k))) }
        }
        let crc2 = crc32(png[12..<29])
        for k in 0..<4 { png[29 + k] = UInt8(truncatingIfNeeded: crc2 >> (24 - 8 * UInt32(k))) }
        XCTAssertThrowsError(try PNG.decode(png)) { error in
            XCTAssertTrue(error.localizedDescription.contains("over the limit of 268435456 pixels"), error.localizedDescription)
        }
    }

    func testAJPEGHeaderDeclaringMoreThanItsDataCanHoldFailsBeforeDecoding() throws {
        // A 16x16 JPEG whose frame header says 16000x16000: libjpeg decodes what data there is and fills
        // the rest with gray, so this was a 768 MB image from a file of a few hundred bytes.
        var jpeg = try JPEG.encode(gradient(width: 16, height: 16), quality: 80)
        let sof = try XCTUnwrap((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        for offset in [sof + 5, sof + 7] { jpeg[offset] = 0x3E; jpeg[offset + 1] = 0x80 }  // 16000
        let peak = PeakMemory.residentBytes()
        XCTAssertThrowsError(try JPEG.decode(jpeg)) { error in
            guard case .corrupt(_, "JPEG", let reason)? = error as? ImageIOError else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.hasPrefix("header declares a 16000x16000 image, which needs at least 125000 bytes"), reason)
        }
        XCTAssertLessThan(PeakMemory.residentBytes() - peak, 64 << 20)
        // A real photo's ratio is far inside the bound: the shared photos decode (testFileRoundTripAndSharedPhotos).
        XCTAssertNoThrow(try JPEG.decode(try JPEG.encode(RGBImage(width: 640, height: 480, pixels: [UInt8](repeating: 90, count: 640 * 480 * 3)), quality: 10)))
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
