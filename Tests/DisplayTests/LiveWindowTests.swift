// The real window under X: known frames and results are shown, the window is read back, and the boxes
// and labels must be where the faces are (scaled to the window). Without a display the tests re-run
// themselves under `xvfb-run`; with neither a display nor Xvfb they are skipped.
import Display
import Emotion
import Foundation
import Imaging
import Pipeline
import XCTest

final class LiveWindowTests: XCTestCase {
    /// Runs the test body here when there is a display, else in a child process under xvfb-run.
    private func needsDisplay(_ name: String) throws -> Bool {
        let env = ProcessInfo.processInfo.environment
        if env["DISPLAY"] != nil || env["WAYLAND_DISPLAY"] != nil { return true }
        guard let xvfb = ["/usr/bin/xvfb-run", "/bin/xvfb-run"].first(where: FileManager.default.isExecutableFile) else {
            throw XCTSkip("no display and no xvfb-run: window tests skipped")
        }
        let selector = "DisplayTests.LiveWindowTests/\(name.replacingOccurrences(of: "()", with: ""))"
        // Parallel test workers each start an Xvfb: random starting display numbers (and one retry) keep
        // two of them from racing for the same one.
        var output = "", status: Int32 = -1
        for _ in 0..<2 {
            (status, output) = try runUnderXvfb(xvfb, selector: selector)
            if status == 0 || !output.contains("Xvfb failed to start") { break }
        }
        XCTAssertTrue(output.contains("Executed 1 test"), "the child ran no test:\n\(output)")
        XCTAssertEqual(status, 0, "window test \(selector) under Xvfb failed:\n\(output)")
        return false
    }

    private func runUnderXvfb(_ xvfb: String, selector: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: xvfb)
        process.arguments = ["-a", "-n", String(Int.random(in: 100...900)), "-s", "-screen 0 1024x768x24",
                             CommandLine.arguments[0], selector]
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-xvfb-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        return (process.terminationStatus, output)
    }

    private let happy = Palette.color(for: .happy)
    private let background = RGBColor(red: OverlayFixtures.gray, green: OverlayFixtures.gray, blue: OverlayFixtures.gray)

    func testTheWindowShowsBoxesAndLabelsOnTheScaledVideo() throws {
        guard try needsDisplay(#function) else { return }
        let window = try LiveWindow(title: "EmoNet test", width: 640, height: 480)
        let summary = PipelineSummary(framesCaptured: 60, framesProcessed: 60, captureFPS: 30, processedFPS: 30,
                                      latencyP50: 0.02, latencyP95: 0.03)
        try window.show(OverlayFixtures.frame(), result: OverlayFixtures.result(), summary: summary)
        let shot = try window.capture()
        OverlayFixtures.saveIfAsked(shot, name: "window")
        XCTAssertEqual(shot.width, 640)
        XCTAssertEqual(shot.height, 480)
        // 320x240 video at 2x: the happy face (100,80,80x80) is at (200,160,160x160) in the window.
        for (x, y) in [(200, 240), (359, 240), (280, 160), (280, 319)] {
            XCTAssertEqual(OverlayFixtures.pixel(shot, x, y), happy, "box edge at \(x),\(y)")
        }
        XCTAssertEqual(OverlayFixtures.pixel(shot, 280, 240), background, "inside the box is the video")
        let plate = Rect(x: 202, y: 136, width: 100, height: 20)
        XCTAssertGreaterThan(OverlayFixtures.share(of: happy, in: shot, plate), 0.4, "label plate above the box")
        XCTAssertGreaterThan(OverlayFixtures.otherPixels(in: shot, plate, besides: happy, happy), 60, "label text")
        XCTAssertLessThan(OverlayFixtures.share(of: background, in: shot, Rect(x: 10, y: 10, width: 150, height: 20)), 0.2,
                          "HUD top-left")

        window.press("h")
        XCTAssertEqual(OverlayFixtures.share(of: background, in: try window.capture(), Rect(x: 10, y: 10, width: 150, height: 20)), 1,
                       "h hides the HUD")
    }

    func testTheWindowShowsTheIconFromAssets() throws {
        guard try needsDisplay(#function) else { return }
        let window = try LiveWindow(title: "EmoNet test", width: 160, height: 120)
        // The test bundle sits in the checkout's .build* folder, so its data root is the checkout.
        let path = try XCTUnwrap(window.iconPath, "no icon was set")
        XCTAssertTrue(path.hasSuffix("/" + LiveWindow.iconRelativePath), path)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path))
    }

    func testKeysScreenshotRecordAndQuit() throws {
        guard try needsDisplay(#function) else { return }
        let window = try LiveWindow(title: "EmoNet test", width: 400, height: 300)
        var screenshots: [RGBImage] = []
        var recording = false
        window.onScreenshot = { screenshots.append($0) }
        window.onRecordToggle = { recording.toggle(); return recording }
        try window.show(OverlayFixtures.frame(), result: OverlayFixtures.result())

        window.press("s")
        XCTAssertEqual(screenshots.count, 1)
        let shot = try XCTUnwrap(screenshots.first)
        XCTAssertEqual(shot.width, 320, "screenshots are at the video's own size")
        XCTAssertEqual(OverlayFixtures.pixel(shot, 100, 120), happy, "with the same overlay as the window")

        window.press("r")
        XCTAssertTrue(window.isRecording)
        window.press("r")
        XCTAssertFalse(window.isRecording)
        window.press(" ")
        XCTAssertTrue(window.isPaused)
        window.press("b")
        XCTAssertTrue(window.options.showBars)
        XCTAssertFalse(window.wantsToQuit)
        window.press("q")
        XCTAssertTrue(window.wantsToQuit)
    }

    func testTheEventLoopShowsPipelineResultsAndEndsWithTheStream() throws {
        guard try needsDisplay(#function) else { return }
        final class Frames: FrameSource, @unchecked Sendable {
            var index = 0
            var description: String { "test frames" }
            var width: Int { 320 }
            var height: Int { 240 }
            var framesPerSecond: Double { 50 }
            func nextFrame() throws -> Frame? {
                guard index < 10 else { return nil }
                Thread.sleep(forTimeInterval: 0.02)
                defer { index += 1 }
                return Frame(index: index, time: Double(index) / 50, image: OverlayFixtures.frame().image)
            }
            func cancel() {}
            func close() {}
        }
        final class Finder: FaceFinding, @unchecked Sendable {
            func findFaces(in image: GrayImage) -> [Rect] { [Rect(x: 100, y: 80, width: 80, height: 80)] }
            func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] { findFaces(in: image) }
        }
        final class Classifier: FaceClassifying, @unchecked Sendable {
            func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
                faces.map { _ in OverlayFixtures.probabilities(.happy, 0.9) }
            }
        }
        let sink = DisplaySink()
        let pipeline = LivePipeline(source: Frames(), processor: FrameProcessor(finder: Finder(), classifier: Classifier()),
                                    sinks: [sink])
        let window = try LiveWindow(title: "EmoNet test", width: 320, height: 240)
        pipeline.start()
        let quit = try window.run(sink: sink, stats: pipeline.stats)
        XCTAssertFalse(quit, "the loop ends by itself when the stream ends")
        XCTAssertTrue(pipeline.waitUntilFinished(timeout: 5))
        XCTAssertEqual(OverlayFixtures.pixel(try window.capture(), 100, 120), happy, "the last result is on screen")
    }
}
