// The off-screen overlay: boxes in their emotion's colour exactly on the faces, a label plate with text
// above each box, the video untouched elsewhere, bars and HUD where they are asked for.
import Display
import Emotion
import Imaging
import Pipeline
import XCTest

final class OffscreenOverlayTests: XCTestCase {
    private let background = RGBColor(red: OverlayFixtures.gray, green: OverlayFixtures.gray, blue: OverlayFixtures.gray)
    private let happy = Palette.color(for: .happy)
    private let sad = Palette.color(for: .sad)

    private func render(_ options: OverlayOptions, width: Int? = nil, height: Int? = nil) throws -> RGBImage {
        let overlay = try OffscreenOverlay()
        let f = OverlayFixtures.frame()
        let summary = PipelineSummary(framesCaptured: 100, framesProcessed: 90, framesDropped: 10, captureFPS: 30,
                                      processedFPS: 29.5, latencyP50: 0.021, latencyP95: 0.034)
        let image = try overlay.render(f.image, result: OverlayFixtures.result(), summary: summary, options: options,
                                       width: width, height: height)
        OverlayFixtures.saveIfAsked(image, name: "overlay-\(options.showHUD)-\(options.showBars)-\(image.width)x\(image.height)")
        return image
    }

    func testBoxesAreDrawnOnTheFacesInTheirEmotionColours() throws {
        let image = try render(OverlayOptions(showHUD: false))
        XCTAssertEqual(image.width, 320)
        // Every edge of the happy box is happy-coloured; inside and just outside is still the video.
        for (x, y) in [(100, 120), (179, 120), (140, 159), (101, 130)] {
            XCTAssertEqual(OverlayFixtures.pixel(image, x, y), happy, "happy box edge at \(x),\(y)")
        }
        for (x, y) in [(20, 200), (79, 200), (50, 229)] {
            XCTAssertEqual(OverlayFixtures.pixel(image, x, y), sad, "sad box edge at \(x),\(y)")
        }
        XCTAssertEqual(OverlayFixtures.pixel(image, 140, 120), background, "the face itself is not painted over")
        XCTAssertEqual(OverlayFixtures.pixel(image, 95, 120), background)
        XCTAssertEqual(OverlayFixtures.pixel(image, 10, 230), background)
    }

    func testEachFaceHasALabelPlateWithTextAboveItsBox() throws {
        let image = try render(OverlayOptions(showHUD: false))
        // The plate sits right above the box, starts at its left edge, and holds dark text strokes.
        let plate = Rect(x: 101, y: 64, width: 60, height: 14)
        XCTAssertGreaterThan(OverlayFixtures.share(of: happy, in: image, plate), 0.4, "plate background")
        XCTAssertGreaterThan(OverlayFixtures.otherPixels(in: image, plate, besides: happy, happy), 40, "text on the plate")
        XCTAssertGreaterThan(OverlayFixtures.share(of: sad, in: image, Rect(x: 21, y: 156, width: 40, height: 12)), 0.4)
        // Nothing is drawn above the plate.
        XCTAssertEqual(OverlayFixtures.share(of: background, in: image, Rect(x: 100, y: 40, width: 80, height: 16)), 1)
    }

    func testTheHUDAndBarsAppearOnlyWhenAskedFor() throws {
        let plain = try render(OverlayOptions(showHUD: false, showBars: false))
        let full = try render(OverlayOptions(showHUD: true, showBars: true))
        let hud = Rect(x: 8, y: 8, width: 120, height: 20)
        XCTAssertEqual(OverlayFixtures.share(of: background, in: plain, hud), 1)
        XCTAssertLessThan(OverlayFixtures.share(of: background, in: full, hud), 0.2, "HUD plate top-left")
        // Bars to the right of the happy box: its own row is the longest happy-coloured run.
        let bars = Rect(x: 182, y: 80, width: 120, height: 100)
        XCTAssertEqual(OverlayFixtures.share(of: happy, in: plain, bars), 0)
        XCTAssertGreaterThan(OverlayFixtures.share(of: happy, in: full, bars), 0.01)
    }

    func testTheVideoIsScaledToFitAndBoxesFollowIt() throws {
        // 320x240 into 800x400: scale 400/240, centred with 133 px bars left and right.
        let image = try render(OverlayOptions(showHUD: false), width: 800, height: 400)
        let layout = VideoLayout(videoWidth: 320, videoHeight: 240, outputWidth: 800, outputHeight: 400)
        XCTAssertEqual(layout.width, 533)
        let box = layout.map(Rect(x: 100, y: 80, width: 80, height: 80))
        XCTAssertEqual(OverlayFixtures.pixel(image, box.x, box.y + box.height / 2), happy)
        XCTAssertEqual(OverlayFixtures.pixel(image, 10, 200), RGBColor(red: 0, green: 0, blue: 0), "letterbox")
        XCTAssertEqual(OverlayFixtures.pixel(image, box.x + box.width / 2, box.y + box.height / 2), background)
    }
}
