// Gray conversion and bilinear resizing, checked against OpenCV 4.10's own output: hand values for
// cvtColor(RGB2GRAY) and checksums of cv2.resize(..., INTER_LINEAR_EXACT) on a deterministic
// pattern, recorded once with opencv-python 4.10.
import CPixels
import Imaging
import XCTest

/// The test pattern: (37x + 91y + (xy mod 13)) mod 256.
func testPattern(width: Int, height: Int) -> GrayImage {
    var pixels = [UInt8](repeating: 0, count: width * height)
    for y in 0..<height { for x in 0..<width { pixels[y * width + x] = UInt8((x * 37 + y * 91 + (x * y) % 13) % 256) } }
    return GrayImage(width: width, height: height, pixels: pixels)
}

/// Σ (i mod 65521 + 1) · pixel[i].
func checksum(_ image: GrayImage) -> Int {
    var total = 0
    for (i, v) in image.pixels.enumerated() { total += (i % 65521 + 1) * Int(v) }
    return total
}

final class GrayConversionTests: XCTestCase {
    func testMatchesOpenCVFixedPointBT601() {
        // cv2.cvtColor(COLOR_RGB2GRAY) on these six pixels gives [76, 150, 29, 255, 130, 2].
        let rgb = RGBImage(width: 6, height: 1, pixels: [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 12, 200, 77, 1, 2, 3])
        XCTAssertEqual(GrayImage(rgb: rgb).pixels, [76, 150, 29, 255, 130, 2])
        // Colours where OpenCV 4.10's 15-bit weights and the older 14-bit ones disagree.
        let edge = RGBImage(width: 3, height: 1, pixels: [227, 146, 166, 12, 145, 7, 208, 73, 4])
        XCTAssertEqual(GrayImage(rgb: edge).pixels, [172, 90, 106])   // 14-bit: 173, 89, 105
    }

    func testTheVectorAndPortableLoopsGiveTheOneFormulasBytes() {
        // Every pixel count from 0 to 100 (a vector's width, its remainders) and a 640-wide row plus 7, on
        // random colours and on all 256 levels of each channel with the others at their extremes.
        var generator = SystemRandomNumberGenerator()
        var colours = (0..<(647 * 3)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for channel in 0..<3 {
            for other: UInt8 in [0, 255] {
                for level in 0...255 {
                    var pixel = [other, other, other]
                    pixel[channel] = UInt8(level)
                    colours += pixel
                }
            }
        }
        let oracle = (0..<colours.count / 3).map { GrayImage.gray(red: colours[3 * $0], green: colours[3 * $0 + 1], blue: colours[3 * $0 + 2]) }
        for count in Array(0...100) + [647, colours.count / 3] {
            let rgb = RGBImage(width: count, height: 1, pixels: Array(colours.prefix(3 * count)))
            XCTAssertEqual(GrayImage(rgb: rgb).pixels, Array(oracle.prefix(count)), "\(count) pixels, dispatched (AVX2: \(emonet_pixels_avx2()))")
            var portable = [UInt8](repeating: 0, count: count)
            emonet_rgb_to_gray_portable(rgb.pixels, &portable, count)
            XCTAssertEqual(portable, Array(oracle.prefix(count)), "\(count) pixels, portable")
        }
    }

    func testGrayToRGBReplicatesChannels() {
        let rgb = RGBImage(gray: GrayImage(width: 2, height: 1, pixels: [7, 200]))
        XCTAssertEqual(rgb.pixels, [7, 7, 7, 200, 200, 200])
        XCTAssertEqual(GrayImage(rgb: rgb).pixels, [7, 200])
    }
}

final class BilinearResizeTests: XCTestCase {
    /// (source size, target size, checksum of OpenCV's result, its first six pixels) from
    /// `cv2.resize(pattern, (w, h), interpolation=cv2.INTER_LINEAR_EXACT)` with OpenCV 4.10.
    let openCV: [(Int, Int, Int, Int, Int, [UInt8])] = [
        (53, 41, 29, 23, 28381483, [51, 119, 181, 156, 68, 137]),
        (53, 41, 80, 61, 1510054711, [0, 18, 43, 67, 92, 116]),
        (53, 41, 53, 20, 72453043, [48, 85, 123, 160, 198, 101]),
        (53, 41, 17, 41, 30819493, [39, 155, 14, 129, 109, 104]),
        (640, 480, 582, 436, 1029153752183, [7, 47, 88, 129, 164, 197]),
        (7, 5, 3, 2, 2826, [93, 182, 78, 67, 161, 177]),
        (3, 3, 10, 10, 610088, [0, 0, 9, 20, 32, 42]),
    ]

    func testIsBitExactWithOpenCVInterLinearExact() {
        for (w, h, nw, nh, expected, head) in openCV {
            let out = testPattern(width: w, height: h).resizedBilinear(width: nw, height: nh)
            XCTAssertEqual(out.width, nw)
            XCTAssertEqual(out.height, nh)
            XCTAssertEqual(Array(out.pixels.prefix(6)), head, "\(w)x\(h) -> \(nw)x\(nh)")
            XCTAssertEqual(checksum(out), expected, "\(w)x\(h) -> \(nw)x\(nh)")
        }
    }

    func testHalvingAveragesPixelPairs() {
        // Exactly 2:1 puts every sample midway between two pixels: weights 128/128.
        let image = GrayImage(width: 4, height: 2, pixels: [0, 100, 10, 20, 0, 100, 10, 20])
        XCTAssertEqual(image.resizedBilinear(width: 2, height: 1).pixels, [50, 15])
    }

    func testSameSizeIsIdentityAndConstantStaysConstant() {
        let image = testPattern(width: 13, height: 9)
        XCTAssertEqual(image.resizedBilinear(width: 13, height: 9), image)
        let flat = GrayImage(width: 31, height: 17, pixels: [UInt8](repeating: 77, count: 31 * 17))
        XCTAssertTrue(flat.resizedBilinear(width: 48, height: 48).pixels.allSatisfy { $0 == 77 })
        XCTAssertTrue(flat.resizedBilinear(width: 5, height: 3).pixels.allSatisfy { $0 == 77 })
    }
}

final class CropAndDrawTests: XCTestCase {
    func testCropIsClampedToTheImage() {
        let image = testPattern(width: 10, height: 8)
        let crop = image.cropped(to: Rect(x: 7, y: -2, width: 6, height: 4))
        XCTAssertEqual(crop.width, 3)
        XCTAssertEqual(crop.height, 2)
        XCTAssertEqual(crop[0, 0], image[7, 0])
        XCTAssertEqual(crop[2, 1], image[9, 1])
        XCTAssertEqual(image.cropped(to: Rect(x: 20, y: 20, width: 5, height: 5)).pixels.count, 0)
        let rgb = RGBImage(gray: image).cropped(to: Rect(x: 1, y: 1, width: 2, height: 2))
        XCTAssertEqual(rgb.pixels[0], image[1, 1])
    }

    func testRectangleOutlineHasTheGivenThicknessAndIsClipped() {
        var image = RGBImage(width: 10, height: 10)
        image.strokeRectangle(Rect(x: 2, y: 2, width: 6, height: 5), color: .green, thickness: 2)
        func green(_ x: Int, _ y: Int) -> Bool { image.pixels[(y * 10 + x) * 3 + 1] == 255 }
        XCTAssertTrue(green(2, 2) && green(3, 3) && green(7, 6) && green(6, 5))
        XCTAssertFalse(green(4, 4))   // inside, beyond the 2-pixel border
        XCTAssertFalse(green(1, 1) || green(8, 7))   // outside
        image.strokeRectangle(Rect(x: -5, y: 8, width: 30, height: 10), color: .red, thickness: 1)
        XCTAssertEqual(image.pixels[(8 * 10 + 0) * 3], 255)
        var filled = RGBImage(width: 3, height: 3)
        filled.fill(Rect(x: 1, y: 1, width: 5, height: 5), color: .white)
        XCTAssertEqual(filled.pixels.filter { $0 == 255 }.count, 4 * 3)
    }
}
