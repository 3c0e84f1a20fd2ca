// Video files as frame sources: YUV4MPEG2 read natively (header, chroma layouts, colours, truncation),
// other containers through FFmpeg (its libraries in this process, or an ffmpeg subprocess: both decoders
// are tested, and must give the same frames), and one-line errors naming the file.
@testable import Capture
import Foundation
import Imaging
import Pipeline
import TestSupport
import XCTest

final class VideoFileTests: XCTestCase {
    private var directory: URL!

    override func setUp() {
        directory = TestPaths.temporaryDirectory("emonet-video")
    }

    override func tearDown() {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A 4x2 4:2:0 y4m whose frame k has luma 16 + 100k in the left half and 235 in the right, neutral chroma.
    private func writeY4M(frames: Int, truncateLast: Bool = false) throws -> String {
        var data = Data("YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\n".utf8)
        for k in 0..<frames {
            data.append(Data("FRAME\n".utf8))
            let luma: [UInt8] = [UInt8(16 + 100 * k), UInt8(16 + 100 * k), 235, 235, UInt8(16 + 100 * k), UInt8(16 + 100 * k), 235, 235]
            let chroma: [UInt8] = [128, 128, 128, 128]  // 2x1 Cb then 2x1 Cr
            data.append(contentsOf: truncateLast && k == frames - 1 ? Array(luma.prefix(5)) : luma + chroma)
        }
        let url = directory.appendingPathComponent("clip.y4m")
        try data.write(to: url)
        return url.path
    }

    func testAY4MFileGivesItsFramesWithTheirTimesAndColours() throws {
        let source = try VideoFile.open(path: try writeY4M(frames: 2), paced: false)
        XCTAssertTrue(source is Y4MFileSource)
        XCTAssertEqual(source.width, 4)
        XCTAssertEqual(source.height, 2)
        XCTAssertEqual(source.framesPerSecond, 25)
        XCTAssertTrue(source.description.hasSuffix("clip.y4m (4x2 YUV4MPEG2 C420jpeg @ 25 fps)"), source.description)
        let first = try XCTUnwrap(source.nextFrame())
        let second = try XCTUnwrap(source.nextFrame())
        XCTAssertNil(try source.nextFrame(), "end of file")
        XCTAssertEqual(first.index, 0)
        XCTAssertEqual(second.time, 0.04, accuracy: 1e-9)
        // Limited-range BT.601: Y 16 is black, Y 235 is white, Y 116 is 116.4 gray.
        XCTAssertEqual(Array(first.image.pixels[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(first.image.pixels[9..<12]), [255, 255, 255])
        XCTAssertEqual(Array(second.image.pixels[0..<3]), [116, 116, 116])
        source.close()
    }

    func testATruncatedY4MFrameIsAnErrorNamingTheFileAndFrame() throws {
        let path = try writeY4M(frames: 2, truncateLast: true)
        let source = try VideoFile.open(path: path, paced: false)
        XCTAssertNotNil(try source.nextFrame())
        XCTAssertThrowsError(try source.nextFrame()) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read video \(path): frame 1 is truncated (5 of 12 bytes)")
        }
    }

    func testAHugeFrameSizeInTheHeaderIsRefusedBeforeAnythingIsAllocated() throws {
        // The header make fuzz found: W+133333333333 made the reader ask for terabytes.
        let path = NSTemporaryDirectory() + "emonet-huge-\(UUID().uuidString).y4m"
        FileManager.default.createFile(atPath: path, contents: Data("YUV4MPEG2 W+133333333333 H16 F30:1\nFRAME\n".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try Y4MFileSource(path: path, paced: false)) { error in
            let message = error.localizedDescription
            XCTAssertTrue(message.contains(path) && message.contains("16384-pixel limit"), message)
        }
    }

    func testAFewByteFileDeclaringAHugeFrameFailsBeforeAllocatingIt() throws {
        // 16384x16384 is within the per-side limit: 400 MB of planes and 3.2 GB of RGB buffers were
        // allocated before the reader noticed that the file holds 3 bytes of frame data.
        let path = NSTemporaryDirectory() + "emonet-lying-\(UUID().uuidString).y4m"
        FileManager.default.createFile(atPath: path, contents: Data("YUV4MPEG2 W16384 H16384 F30:1 C420jpeg\nFRAME\nabc".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let peak = PeakMemory.residentBytes()
        let source = try Y4MFileSource(path: path, paced: false)
        XCTAssertThrowsError(try source.nextFrame()) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read video \(path): frame 0 is truncated: the header declares "
                           + "16384x16384 frames of 402653184 bytes, the file holds 3 more")
        }
        XCTAssertLessThan(PeakMemory.residentBytes() - peak, 64 << 20, "the declared frame was allocated")
        // A header with no frame behind it is simply an empty video, with nothing allocated either.
        FileManager.default.createFile(atPath: path, contents: Data("YUV4MPEG2 W16384 H16384 F30:1 C420jpeg\n".utf8))
        XCTAssertNil(try Y4MFileSource(path: path, paced: false).nextFrame())
    }

    func testAMissingFileIsNamed() {
        XCTAssertThrowsError(try VideoFile.open(path: "/nonexistent/clip.y4m")) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read video /nonexistent/clip.y4m: no such file")
        }
    }

    func testAPacedFileIsReleasedAtItsFrameRate() throws {
        let source = try VideoFile.open(path: try writeY4M(frames: 2), paced: true)
        let start = MonotonicClock.now()
        _ = try source.nextFrame()
        _ = try source.nextFrame()
        XCTAssertGreaterThanOrEqual(MonotonicClock.now() - start, 0.035, "the second frame waits 1/25 s")
    }

    private func requireFFmpeg() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
    }

    /// `frames` frames of FFmpeg's generated video `input` (a lavfi source such as "testsrc=size=64x48:rate=10")
    /// encoded into `name` in the test's directory, FFV1 unless `codec` says otherwise; the path and ffmpeg's status.
    private func ffmpegClip(_ name: String, of input: String, frames: Int,
                            codec: [String] = ["-c:v", "ffv1"]) -> (path: String, status: Int32) {
        let clip = directory.appendingPathComponent(name).path
        let status = EmulatedCamera.run("/usr/bin/ffmpeg", ["-v", "error", "-f", "lavfi", "-i", input,
                                                           "-frames:v", "\(frames)"] + codec + [clip])
        return (clip, status)
    }

    func testOtherVideoIsDecodedThroughFFmpeg() throws {
        try requireFFmpeg()
        let (clip, status) = ffmpegClip("clip.mkv", of: "color=c=red:size=64x48:rate=10", frames: 5)
        XCTAssertEqual(status, 0)
        let opened = try VideoFile.open(path: clip, paced: false)
        XCTAssertEqual((opened as? FFmpegFileSource)?.decoder, VideoDecoder.preferred)
        opened.close()
        for decoder in VideoDecoder.allCases {
            let source = try FFmpegFileSource(path: clip, paced: false, decoder: decoder)
            XCTAssertEqual(source.width, 64)
            XCTAssertEqual(source.height, 48)
            XCTAssertEqual(source.framesPerSecond, 10)
            let via = decoder == .libraries ? "libav" : "ffmpeg"
            XCTAssertTrue(source.description.hasSuffix("clip.mkv (64x48 via \(via) @ 10 fps)"), source.description)
            var frames: [Frame] = []
            while let frame = try source.nextFrame() { frames.append(frame) }
            source.close()
            XCTAssertEqual(frames.map(\.index), [0, 1, 2, 3, 4], "\(decoder)")
            XCTAssertEqual(frames[4].time, 0.4, accuracy: 1e-9)
            let pixel = Array(frames[2].image.pixels[0..<3])
            XCTAssertGreaterThan(pixel[0], 240)
            XCTAssertLessThan(pixel[1], 15)
            XCTAssertLessThan(pixel[2], 15)
        }
    }

    func testFFmpegsLibrariesAreUsedWhereFFmpegIsInstalled() throws {
        // The ffmpeg package brings the libraries (its dependencies); a build that found their headers loads them.
        try requireFFmpeg()
        XCTAssertNil(VideoDecoder.librariesLoad, "FFmpeg is installed, so its libraries should load")
        setenv("EMONET_DECODER", "program", 1)
        defer { unsetenv("EMONET_DECODER") }
        XCTAssertEqual(VideoDecoder.preferred, .program, "$EMONET_DECODER chooses the decoder")
    }

    func testBothDecodersGiveTheSameFramesOfARotatedAnamorphicH264Clip() throws {
        try requireFFmpeg()
        // 160x120 stored with 3:2 pixels (shown 240x120) and a display matrix turning it a quarter clockwise:
        // shown 120x240, as the ffmpeg program writes it. Fitted into 64x64: pillarboxed 32x64.
        let (stored, status) = ffmpegClip("stored.mp4", of: "testsrc=size=160x120:rate=25", frames: 12,
                                          codec: ["-vf", "setsar=3/2", "-c:v", "libx264", "-pix_fmt", "yuv420p"])
        guard status == 0 else { throw XCTSkip("this ffmpeg cannot encode H.264 (libx264)") }
        let clip = directory.appendingPathComponent("turned.mp4").path  // the display matrix is written on a remux
        XCTAssertEqual(EmulatedCamera.run("/usr/bin/ffmpeg", ["-v", "error", "-i", stored, "-c", "copy",
                                                              "-metadata:s:v:0", "rotate=90", clip]), 0)
        for size in [nil, (width: 64, height: 64)] as [(width: Int, height: Int)?] {
            var decoded: [[RGBImage]] = []
            for decoder in VideoDecoder.allCases {
                let source = try FFmpegFileSource(path: clip, size: size, paced: false, decoder: decoder)
                XCTAssertEqual([source.width, source.height], size.map { [$0.width, $0.height] } ?? [120, 240], "\(decoder)")
                XCTAssertEqual(source.framesPerSecond, 25)
                var images: [RGBImage] = []
                while let frame = try source.nextFrame() { images.append(frame.image) }
                source.close()
                XCTAssertEqual(images.count, 12, "\(decoder)")
                decoded.append(images)
            }
            XCTAssertTrue(decoded[0] == decoded[1], "the libraries and the program must give the same pixels (size \(String(describing: size)))")
            if let size {  // the bars: black columns left and right of a 32-wide picture
                let row = decoded[0][0].pixels[(size.height / 2 * size.width * 3)...].prefix(size.width * 3)
                XCTAssertEqual(Array(row.prefix(3 * 15)), [UInt8](repeating: 0, count: 45))
                XCTAssertGreaterThan(row.dropFirst(3 * 16).prefix(3 * 32).map(Int.init).reduce(0, +), 3 * 32 * 20, "the picture between the bars")
            }
        }
    }

    func testAGraySourceGivesTheGrayOfTheColourFramesWithEitherDecoderAndAnyThreadCount() throws {
        try requireFFmpeg()
        // Colourful and moving, an odd width (rows not a multiple of any vector), scaled into a size with bars.
        let (clip, status) = ffmpegClip("colour.mp4", of: "testsrc2=size=157x90:rate=25", frames: 10,
                                        codec: ["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        guard status == 0 else { throw XCTSkip("this ffmpeg cannot encode H.264 (libx264)") }
        for size in [nil, (width: 101, height: 77)] as [(width: Int, height: Int)?] {
            for decoder in VideoDecoder.allCases {
                let colour = try FFmpegFileSource(path: clip, size: size, paced: false, decoder: decoder)
                var expected: [GrayImage] = []
                while let frame = try colour.nextFrame() { expected.append(GrayImage(rgb: frame.image)) }
                colour.close()
                XCTAssertEqual(expected.count, 10)
                for threads in [0, 1] {
                    let gray = try FFmpegFileSource(path: clip, size: size, paced: false, colour: false, threads: threads, decoder: decoder)
                    var frames: [GrayImage] = []
                    while let frame = try gray.nextFrame() {
                        guard case .gray(let image) = frame.pixels else { return XCTFail("\(decoder): a colour frame from a gray source") }
                        frames.append(image)
                    }
                    gray.close()
                    XCTAssertTrue(frames == expected, "\(decoder), \(threads) threads, size \(String(describing: size)): gray frames differ")
                }
            }
        }
    }

    func testAVideoDeclaringMoreThanTheSideLimitIsRefusedBeforeItsBuffersAreAllocated() throws {
        // The container's size sizes the frame buffers; 20000x2 stands for a forged header (ffv1 allows it).
        try requireFFmpeg()
        let (clip, status) = ffmpegClip("wide.mkv", of: "color=c=gray:size=20000x2:rate=10", frames: 1)
        XCTAssertEqual(status, 0)
        XCTAssertThrowsError(try VideoFile.open(path: clip, paced: false)) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read video \(clip): frame size 20000x2 is over the 16384-pixel limit per side")
        }
    }

    func testAFileFFmpegCannotReadIsReportedWithItsMessage() throws {
        try requireFFmpeg()
        let path = directory.appendingPathComponent("not-a-video.mp4").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        for decoder in VideoDecoder.allCases {
            XCTAssertThrowsError(try FFmpegFileSource(path: path, decoder: decoder)) { error in
                XCTAssertTrue(error.localizedDescription.hasPrefix("cannot read video \(path): "), error.localizedDescription)
            }
        }
    }

    func testCancelStopsAnFFmpegDecodeAtOnce() throws {
        try requireFFmpeg()
        let (clip, _) = ffmpegClip("long.mkv", of: "testsrc=size=64x48:rate=10", frames: 100)
        for decoder in VideoDecoder.allCases {
            let source = try FFmpegFileSource(path: clip, paced: true, decoder: decoder)
            XCTAssertNotNil(try source.nextFrame())
            source.cancel()
            XCTAssertNil(try source.nextFrame(), "\(decoder)")
            source.close()
        }
    }

    func testADamagedVideoDecodesUpToTheDamageAndReportsIt() throws {
        try requireFFmpeg()
        // H.264 with its index first (faststart), then cut: FFmpeg decodes the start (the program exits 0).
        let (clip, status) = ffmpegClip("whole.mp4", of: "testsrc=size=160x120:rate=10", frames: 60,
                                        codec: ["-c:v", "libx264", "-g", "10", "-pix_fmt", "yuv420p", "-movflags", "+faststart"])
        guard status == 0 else { throw XCTSkip("this ffmpeg cannot encode H.264 (libx264)") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: clip))
        let cut = directory.appendingPathComponent("cut.mp4").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        for decoder in VideoDecoder.allCases {
            let whole = try FFmpegFileSource(path: clip, paced: false, decoder: decoder)
            XCTAssertEqual(whole.durationSeconds ?? 0, 6, accuracy: 0.05)
            var count = 0
            while try whole.nextFrame() != nil { count += 1 }
            whole.close()
            XCTAssertEqual(count, 60, "\(decoder)")
            XCTAssertNil(whole.decodeError, "\(decoder)")
            let damaged = try FFmpegFileSource(path: cut, paced: false, decoder: decoder)
            var decoded = 0
            while try damaged.nextFrame() != nil { decoded += 1 }
            damaged.close()
            XCTAssertGreaterThan(decoded, 0, "\(decoder)")
            XCTAssertLessThan(decoded, 60, "\(decoder)")
            XCTAssertNotNil(damaged.decodeError, "the damage must be reported (\(decoder))")
        }
    }

    func testFFmpegStreamSummaryLinesAreParsed() {
        let raw = "Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), "
            + "640x360 [SAR 1:1 DAR 16:9], q=2-31, 165888 kb/s, 30 fps, 30 tbn (default)"
        let s = FFmpegLog.parseStream(Substring(raw))
        XCTAssertEqual(s?.width, 640)
        XCTAssertEqual(s?.height, 360)
        XCTAssertEqual(s?.fps, 30)
        let ntsc = FFmpegLog.parseStream("Stream #0:0: Video: rawvideo (RGB[24] / 0x18424752), rgb24, 1920x1080, 29.97 fps, 1k tbn")
        XCTAssertEqual(ntsc?.fps ?? 0, 29.97, accuracy: 1e-9)
        XCTAssertEqual(FFmpegLog.parseStream("Stream #0:0: Video: rawvideo, rgb24, 320x240, 25 tbr, 90k tbn")?.fps, 25)
        XCTAssertNil(FFmpegLog.parseStream("Stream #0:1: Audio: mp3, 44100 Hz, stereo, fltp, 383 kb/s"))
        XCTAssertEqual(FFmpegLog.parseDuration("00:01:02.50"), 62.5)
        XCTAssertNil(FFmpegLog.parseDuration("N/A"))
    }
}
