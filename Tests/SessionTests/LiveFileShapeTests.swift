// `emonet live --input FILE` keeps the file's shape, end to end (issue 19, item 6): without --size it plays
// and records the file at its own size, as `replay` reads it; with a --size of another shape the picture is
// fitted inside with black bars, so the faces found in it are the faces replay finds in the file, moved by
// the bar and nothing else. Clips are made here with ffmpeg; the face test uses ../shared's Pexels clip.
import Foundation
import Frames
import Imaging
import Session
import TestSupport
import XCTest

final class LiveFileShapeTests: XCTestCase {
    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("live-file-shape") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    private func emonet() throws -> String {
        let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for dir in [bin, bin.deletingLastPathComponent()] where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("emonet").path) {
            return dir.appendingPathComponent("emonet").path
        }
        throw XCTSkip("the emonet executable is not built next to the tests")
    }

    private func ffmpeg(_ arguments: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("ffmpeg is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        process.arguments = ["-nostdin", "-v", "error", "-y"] + arguments
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "ffmpeg \(arguments)")
    }

    /// Runs emonet headless to the end (model and cascade given); returns its stdout.
    @discardableResult
    private func run(_ arguments: [String]) throws -> String {
        let full = arguments + ["--model", try TestModel.path(), "--cascade", TestPaths.frontalFaceCascade]
        let process = Process(), out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: try emonet())
        process.arguments = full
        var env = ProcessInfo.processInfo.environment
        env.removeValue(forKey: "DISPLAY")
        env.removeValue(forKey: "WAYLAND_DISPLAY")
        process.environment = env
        process.currentDirectoryURL = directory
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        XCTAssertTrue(ChildTest.wait(process, timeout: 120), "emonet \(full) hung")
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        XCTAssertEqual(process.terminationStatus, 0, "emonet \(full): \(stderr)")
        return (try? String(contentsOf: out, encoding: .utf8)) ?? ""
    }

    /// Face boxes per frame index, from JSON lines (live's stdout, replay's results.jsonl).
    private func boxes(_ jsonLines: String) throws -> [Int: [Rect]] {
        var result: [Int: [Rect]] = [:]
        for line in jsonLines.split(separator: "\n") {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let faces = try XCTUnwrap(object["faces"] as? [[String: Any]])
            result[try XCTUnwrap(object["frame"] as? Int)] = faces.map {
                Rect(x: $0["x"] as! Int, y: $0["y"] as! Int, width: $0["width"] as! Int, height: $0["height"] as! Int)
            }
        }
        return result
    }

    private func iou(_ a: Rect, _ b: Rect) -> Double {
        let w = max(0, min(a.x + a.width, b.x + b.width) - max(a.x, b.x))
        let h = max(0, min(a.y + a.height, b.y + b.height) - max(a.y, b.y))
        let overlap = Double(w * h)
        return overlap / Double(a.width * a.height + b.width * b.height - w * h)
    }

    func testLiveRecordsAWideFileAtItsOwnSizeAndWithBarsInsideAnotherSize() throws {
        let clip = directory.appendingPathComponent("wide.mkv").path
        try ffmpeg(["-f", "lavfi", "-i", "color=c=white:size=320x180:rate=20", "-frames:v", "6", "-c:v", "ffv1", clip])
        let own = directory.appendingPathComponent("own").path
        try run(["live", "--input", clip, "--no-window", "--quiet", "--record", own])
        let ownSession = try SessionSource(directory: own)
        XCTAssertEqual([ownSession.width, ownSession.height], [320, 180], "recorded at the file's own size, as replay reads it")
        ownSession.close()

        let boxed = directory.appendingPathComponent("boxed").path
        try run(["live", "--input", clip, "--no-window", "--quiet", "--size", "320x240", "--record", boxed])
        let session = try SessionSource(directory: boxed)
        defer { session.close() }
        XCTAssertEqual([session.width, session.height], [320, 240])
        let image = try XCTUnwrap(try session.nextFrame()).image
        func brightness(row y: Int) -> Double {
            Double((0..<image.width * 3).reduce(0) { $0 + Int(image.pixels[y * image.width * 3 + $1]) }) / Double(image.width * 3)
        }
        // The recording stores JPEG frames: a bar is near black, the picture near white.
        for y in [2, 25, 215, 237] { XCTAssertLessThan(brightness(row: y), 30, "row \(y) is a bar") }
        for y in [40, 120, 200] { XCTAssertGreaterThan(brightness(row: y), 225, "row \(y) is the picture") }
    }

    func testFacesInAWideClipPlayedLiveIn4By3AreReplaysFacesMovedByTheBar() throws {
        // 2.5 s of the Pexels clip (640x360), lossless, so live and replay decode the same pixels.
        let pexels = try TestPaths.sharedFile("media/pyfeat_WolfgangLanger_Pexels.mp4")
        let clip = directory.appendingPathComponent("pexels.mkv").path
        try ffmpeg(["-i", pexels.path, "-an", "-frames:v", "60", "-c:v", "ffv1", clip])
        try run(["replay", clip, "--quiet", "--out", "replay"])
        let replayed = try boxes(try String(contentsOf: directory.appendingPathComponent("replay/results.jsonl"), encoding: .utf8))
        for (size, barHeight) in [(nil, 0), ("640x480", 60)] as [(String?, Int)] {
            // 640x360 inside 640x480: the same pixels, 60 rows lower; without --size, the file's own frame.
            let live = try boxes(try run(["live", "--input", clip, "--no-window"] + (size.map { ["--size", $0] } ?? [])))
            var overlaps: [Double] = []
            for (frame, liveBoxes) in live {
                guard let replayBoxes = replayed[frame] else { continue }
                for box in liveBoxes {
                    let inFile = Rect(x: box.x, y: box.y - barHeight, width: box.width, height: box.height)
                    overlaps.append(replayBoxes.map { iou(inFile, $0) }.max() ?? 0)
                }
            }
            let name = size.map { "live --size \($0)" } ?? "live"
            XCTAssertGreaterThan(overlaps.count, 20, "\(name) found faces in the frames replay found them in")
            let mean = overlaps.reduce(0, +) / Double(max(1, overlaps.count))
            print("\(name) vs replay: \(overlaps.count) faces, mean IoU \(String(format: "%.3f", mean))")
            XCTAssertGreaterThan(mean, 0.9, "a face \(name) finds is replay's face, moved by the bar and nothing else")
        }
    }
}
