// A video file keeps its picture's shape on every path (issue 19, item 6): read at its own size, or, when a
// size is asked for, scaled to fit inside it with black bars, never stretched; non-square pixels are made
// square. The clips are made here with ffmpeg (the tests skip without it): white pictures, so a bar is
// a band of black rows or columns and a stretched picture has none.
@testable import Capture
import Foundation
import Frames
import Imaging
import TestSupport
import XCTest

final class VideoFileShapeTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("video-shape") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func requireFFmpeg() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
    }

    /// A white clip of `size` (ffmpeg's WxH), 3 frames at 10 fps, with `filters` applied (e.g. "setsar=4/3").
    private func whiteClip(_ name: String, size: String, filters: String = "null") throws -> String {
        try requireFFmpeg()
        let path = directory.appendingPathComponent(name).path
        let codec = name.hasSuffix(".y4m") ? ["-pix_fmt", "yuv420p"] : ["-c:v", "ffv1"]
        let status = EmulatedCamera.run("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", "color=c=white:size=\(size):rate=10",
                                                           "-frames:v", "3", "-vf", filters] + codec + [path])
        XCTAssertEqual(status, 0, "ffmpeg could not write \(name)")
        return path
    }

    private func firstFrame(_ source: FrameSource) throws -> RGBImage {
        defer { source.close() }
        return try XCTUnwrap(try source.nextFrame()).image
    }

    /// The mean brightness (0...255) of row `y`, or of column `x`.
    private func row(_ image: RGBImage, _ y: Int) -> Double {
        Double((0..<image.width * 3).reduce(0) { $0 + Int(image.pixels[y * image.width * 3 + $1]) }) / Double(image.width * 3)
    }

    private func column(_ image: RGBImage, _ x: Int) -> Double {
        Double((0..<image.height).reduce(0) { sum, y in
            sum + (0..<3).reduce(0) { $0 + Int(image.pixels[(y * image.width + x) * 3 + $1]) }
        }) / Double(image.height * 3)
    }

    func testAWideVideoIsReadAtItsOwnSizeOrFittedInto4By3WithBarsAboveAndBelowNotStretched() throws {
        let clip = try whiteClip("wide.mkv", size: "320x180")
        let own = try VideoFile.open(path: clip, paced: false)
        XCTAssertEqual([own.width, own.height], [320, 180], "no size asked for: the file's own")
        own.close()
        // 320x180 inside 320x240: the picture keeps 320x180, with 30 black rows above and below.
        let source = try VideoFile.open(path: clip, paced: false, size: (320, 240))
        XCTAssertEqual([source.width, source.height], [320, 240])
        let image = try firstFrame(source)
        XCTAssertEqual([image.width, image.height], [320, 240])
        for y in [0, 10, 28, 211, 229, 239] { XCTAssertLessThan(row(image, y), 20, "row \(y) is a bar") }
        for y in [31, 120, 208] { XCTAssertGreaterThan(row(image, y), 235, "row \(y) is the picture") }
    }

    func testANarrowVideoFittedInto16By9GetsBarsLeftAndRight() throws {
        // 240x240 inside 320x180: scaled to 180x180, with 70 black columns on each side.
        let source = try VideoFile.open(path: try whiteClip("square.mkv", size: "240x240"), paced: false, size: (320, 180))
        let image = try firstFrame(source)
        XCTAssertEqual([image.width, image.height], [320, 180])
        for x in [0, 40, 68, 251, 280, 319] { XCTAssertLessThan(column(image, x), 20, "column \(x) is a bar") }
        for x in [72, 160, 247] { XCTAssertGreaterThan(column(image, x), 235, "column \(x) is the picture") }
    }

    func testAY4MFittedIntoAnotherShapeGetsBarsToo() throws {
        let clip = try whiteClip("wide.y4m", size: "320x180")
        let own = try VideoFile.open(path: clip, paced: false)
        XCTAssertTrue(own is Y4MFileSource, "without a size a .y4m is read natively")
        XCTAssertEqual([own.width, own.height], [320, 180])
        own.close()
        let fitted = try VideoFile.open(path: clip, paced: false, size: (320, 240))
        let image = try firstFrame(fitted)
        XCTAssertEqual([image.width, image.height], [320, 240])
        XCTAssertLessThan(row(image, 5), 20)
        XCTAssertGreaterThan(row(image, 120), 235)
    }

    func testAVideoWithNonSquarePixelsIsReadInTheShapeItIsShown() throws {
        // 320x240 stored, pixels 4:3 wide: shown 426x240 (16:9), as a player shows it.
        let clip = try whiteClip("anamorphic.mkv", size: "320x240", filters: "setsar=4/3")
        let source = try VideoFile.open(path: clip, paced: false)
        XCTAssertEqual([source.width, source.height], [426, 240])
        let image = try firstFrame(source)
        XCTAssertEqual([image.width, image.height], [426, 240])
        // ffprobe, asked when ffmpeg's log cannot be read, reports the same shape.
        let probed = try FFmpegFileSource.probe(path: clip, ffprobe: "/usr/bin/ffprobe")
        XCTAssertEqual([probed.width, probed.height], [426, 240])
    }

    func testAY4MWithNonSquarePixelsIsReadThroughFFmpegInTheShapeItIsShown() throws {
        let clip = try whiteClip("anamorphic.y4m", size: "320x240", filters: "setsar=4/3")
        let source = try VideoFile.open(path: clip, paced: false)
        XCTAssertTrue(source is FFmpegFileSource)
        XCTAssertEqual([source.width, source.height], [426, 240])
        source.close()
    }
}
