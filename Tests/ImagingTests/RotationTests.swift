// Turning an image in its plane: the canvas holds the whole turned image, points map both ways, and
// pixels land where the mapping says.
import Imaging
import XCTest

final class RotationTests: XCTestCase {
    func testTheCanvasHoldsTheWholeTurnedImage() {
        XCTAssertEqual(ImageRotation(sourceWidth: 640, sourceHeight: 480, degrees: 0).width, 640)
        XCTAssertEqual(ImageRotation(sourceWidth: 640, sourceHeight: 480, degrees: 0).height, 480)
        let quarter = ImageRotation(sourceWidth: 640, sourceHeight: 480, degrees: 90)
        XCTAssertEqual([quarter.width, quarter.height], [480, 640])
        let diagonal = ImageRotation(sourceWidth: 640, sourceHeight: 480, degrees: 45, scale: 0.5)
        // 0.5 * (640 + 480) * cos 45° = 395.98
        XCTAssertEqual([diagonal.width, diagonal.height], [396, 396])
    }

    func testPointsMapToTheCanvasAndBackToWhereTheyCameFrom() {
        for degrees in [-45.0, -30, -15, 0, 15, 30, 45, 90, 137] {
            let r = ImageRotation(sourceWidth: 320, sourceHeight: 200, degrees: degrees, scale: 0.7)
            for (x, y) in [(0.0, 0.0), (160, 100), (319.5, 12.25), (3, 199)] {
                let c = r.canvasPoint(x: x, y: y)
                let back = r.sourcePoint(x: c.x, y: c.y)
                XCTAssertEqual(back.x, x, accuracy: 1e-9, "\(degrees)°")
                XCTAssertEqual(back.y, y, accuracy: 1e-9, "\(degrees)°")
                // Every source point lands on the canvas.
                XCTAssertTrue(c.x >= -1e-9 && c.y >= -1e-9 && c.x <= Double(r.width) + 1e-9 && c.y <= Double(r.height) + 1e-9)
            }
            // The centre stays the centre.
            let centre = r.canvasPoint(x: 160, y: 100)
            XCTAssertEqual(centre.x, Double(r.width) / 2, accuracy: 1e-9)
            XCTAssertEqual(centre.y, Double(r.height) / 2, accuracy: 1e-9)
        }
    }

    func testAPositiveAngleTurnsContentClockwiseOnScreen() {
        // A point right of the centre moves below it when turned 90° clockwise (y points down).
        let r = ImageRotation(sourceWidth: 101, sourceHeight: 101, degrees: 90)
        let p = r.canvasPoint(x: 90.5, y: 50.5)
        XCTAssertEqual(p.x, 50.5, accuracy: 1e-9)
        XCTAssertEqual(p.y, 90.5, accuracy: 1e-9)
    }

    func testTurningByAQuarterMovesEveryPixelExactly() {
        var source = GrayImage(width: 5, height: 3)
        for i in source.pixels.indices { source.pixels[i] = UInt8(10 * i + 1) }
        let turned = source.rotated(degrees: 90)
        XCTAssertEqual([turned.width, turned.height], [3, 5])
        // Clockwise: source (x, y) goes to canvas (height - 1 - y, x).
        for y in 0..<3 {
            for x in 0..<5 { XCTAssertEqual(turned[2 - y, x], source[x, y], "source (\(x), \(y))") }
        }
    }

    func testCanvasPixelsOutsideTheSourceTakeTheFill() {
        let source = GrayImage(width: 40, height: 40, pixels: [UInt8](repeating: 200, count: 1600))
        let turned = source.rotated(degrees: 45, fill: 7)
        XCTAssertEqual(turned[0, 0], 7)
        XCTAssertEqual(turned[turned.width / 2, turned.height / 2], 200)
    }

    func testMirroringTwiceGivesTheImageBack() {
        var image = GrayImage(width: 7, height: 4)
        for i in image.pixels.indices { image.pixels[i] = UInt8(i * 3) }
        XCTAssertEqual(image.mirrored()[0, 1], image[6, 1])
        XCTAssertEqual(image.mirrored().mirrored(), image)
    }
}

extension RotationTests {
    func testTheUprightPatchOfAnUnturnedBoxIsItsCrop() {
        var image = GrayImage(width: 30, height: 20)
        for i in image.pixels.indices { image.pixels[i] = UInt8((i * 7) % 251) }
        let patch = image.uprightPatch(centerX: 12, centerY: 9, width: 10, height: 8, degrees: 0)
        XCTAssertEqual(patch, image.cropped(to: Rect(x: 7, y: 5, width: 10, height: 8)))
    }

    func testTheUprightPatchUndoesTheBoxsTurn() {
        // A bright bar along the top of a box: turned 90° clockwise it runs down the right side; the patch
        // along the turned box shows it on top again.
        var image = GrayImage(width: 41, height: 41)
        for y in 12..<16 { for x in 10..<31 { image[x, y] = 255 } }
        let turned = image.rotated(degrees: 90)
        let patch = turned.uprightPatch(centerX: 20.5, centerY: 20.5, width: 21, height: 21, degrees: 90)
        let upright = image.uprightPatch(centerX: 20.5, centerY: 20.5, width: 21, height: 21, degrees: 0)
        XCTAssertEqual(patch, upright)
        XCTAssertEqual(patch[10, 3], 255)
        XCTAssertEqual(patch[18, 10], 0)
    }
}
