// Integral images against brute-force sums, including the 45° tilted one, and no overflow on a
// 4K white frame (its squared sum, about 2^41, needs 64 bits).
@testable import Imaging
import XCTest

final class IntegralImageTests: XCTestCase {
    func randomImage(width: Int, height: Int, seed: UInt64) -> GrayImage {
        var state = seed
        let pixels = (0..<(width * height)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    func testSumsMatchBruteForceForEveryRectangle() {
        let image = randomImage(width: 9, height: 7, seed: 1)
        let integral = IntegralImage(image)
        XCTAssertEqual(integral.width, 10)
        XCTAssertEqual(integral.height, 8)
        XCTAssertTrue(integral.sum[0..<10].allSatisfy { $0 == 0 }, "first row is padding")
        for y in 0..<7 { for x in 0..<9 { for h in 1...(7 - y) { for w in 1...(9 - x) {
            var s: Int64 = 0, q: Int64 = 0
            for yy in y..<(y + h) { for xx in x..<(x + w) { let v = Int64(image[xx, yy]); s += v; q += v * v } }
            let r = Rect(x: x, y: y, width: w, height: h)
            XCTAssertEqual(integral.sum(of: r), s)
            XCTAssertEqual(integral.squaredSum(of: r), q)
        } } } }
    }

    func testTiltedIntegralMatchesItsDefinition() {
        for (w, h, seed) in [(9, 7, UInt64(2)), (4, 11, 3), (13, 3, 4), (1, 1, 5)] {
            let image = randomImage(width: w, height: h, seed: seed)
            let integral = IntegralImage(image, tilted: true)
            for y in 0...h { for x in 0...w {
                XCTAssertEqual(integral.tiltedSum[y * (w + 1) + x], IntegralImage.tiltedBrute(image, x, y), "T(\(x),\(y)) \(w)x\(h)")
            } }
        }
        // cv2.integral3 on the test pattern (9x7), first rows of the tilted output.
        let pattern = testPattern(width: 9, height: 7)
        let t = IntegralImage(pattern, tilted: true).tiltedSum
        XCTAssertEqual(Array(t[10..<15]), [0, 0, 37, 74, 111])
        XCTAssertEqual(Array(t[20..<25]), [0, 128, 240, 389, 538])
    }

    func testTiltedRectangleSum() {
        // OpenCV's tilted rectangle (x 3, y 1, width 2, height 2) covers this 8-pixel diamond
        // (found with cv2.integral3 by lighting one pixel at a time).
        let footprint = [(2, 1), (1, 2), (2, 2), (3, 2), (1, 3), (2, 3), (3, 3), (2, 4)]
        let image = randomImage(width: 8, height: 8, seed: 9)
        let integral = IntegralImage(image, tilted: true)
        let expected = footprint.reduce(Int64(0)) { $0 + Int64(image[$1.0, $1.1]) }
        XCTAssertEqual(integral.tiltedSum(of: Rect(x: 3, y: 1, width: 2, height: 2)), expected)
    }

    func testFourKWhiteFrameDoesNotOverflow() {
        let w = 3840, h = 2160
        let image = GrayImage(width: w, height: h, pixels: [UInt8](repeating: 255, count: w * h))
        let integral = IntegralImage(image)
        XCTAssertEqual(integral.sum.last, 255 * Int64(w * h))
        XCTAssertEqual(integral.squaredSum.last, 255 * 255 * Int64(w * h))
        XCTAssertGreaterThan(integral.squaredSum.last!, Int64(UInt32.max), "the case 32 bits cannot hold")
        XCTAssertEqual(integral.squaredSum(of: Rect(x: w - 24, y: h - 24, width: 24, height: 24)), 255 * 255 * 576)
    }
}
