// Test doubles for sessions: a synthetic camera (a textured scene with a bright moving square, so JPEG
// really loses detail), a face finder that thresholds the pixels, and a classifier whose probabilities
// depend on the exact pixel values inside each box — so any difference between the pixels the live run
// processed and those a replay decodes shows up in the results.
import Foundation
import Imaging
import Pipeline
import TestSupport
import XCTest

/// Frames 0..<count of a 160x120 scene; `fps` > 0 paces them like a camera; count nil = endless.
final class SyntheticCamera: FrameSource, @unchecked Sendable {
    private let ticker: FrameTicker

    init(count: Int?, fps: Double = 0) {
        ticker = FrameTicker(count: count, fps: fps)
    }

    var description: String { "synthetic camera (160x120)" }
    var width: Int { 160 }
    var height: Int { 120 }
    var framesPerSecond: Double { ticker.fps > 0 ? ticker.fps : 30 }

    static func image(_ index: Int) -> RGBImage {
        var image = RGBImage(width: 160, height: 120)
        for y in 0..<120 {
            for x in 0..<160 {
                let i = (y * 160 + x) * 3
                let v = UInt8(40 + ((x * 7 + y * 13 + index * 3) % 50))  // texture JPEG cannot keep exactly
                image.pixels[i] = v
                image.pixels[i + 1] = v &+ 10
                image.pixels[i + 2] = v &+ 20
            }
        }
        let box = square(index)
        for y in box.y..<(box.y + box.height) {
            for x in box.x..<(box.x + box.width) {
                let i = (y * 160 + x) * 3
                let v = UInt8(200 + (x * y + index) % 40)
                image.pixels[i] = v; image.pixels[i + 1] = v; image.pixels[i + 2] = v
            }
        }
        return image
    }

    static func square(_ index: Int) -> Rect {
        Rect(x: 20 + (index * 3) % 90, y: 30 + (index % 7), width: 36, height: 36)
    }

    func nextFrame() throws -> Frame? {
        guard let index = ticker.take() else { return nil }
        ticker.wait(for: index)
        return Frame(index: index, time: Double(index) / framesPerSecond, image: Self.image(index))
    }

    func cancel() { ticker.cancel() }

    func close() {}
}

/// Finds the bounding box of bright (> 180) pixels: one "face", or none.
final class BrightRegionFinder: FaceFinding, @unchecked Sendable {
    func findFaces(in image: GrayImage) -> [Rect] {
        var x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1
        for y in 0..<image.height {
            for x in 0..<image.width where image[x, y] > 180 {
                x0 = min(x0, x); y0 = min(y0, y); x1 = max(x1, x); y1 = max(y1, y)
            }
        }
        return x1 < 0 ? [] : [Rect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)]
    }

    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] { findFaces(in: image) }
}

/// Seven probabilities from the exact pixel sum inside each box.
final class PixelHashClassifier: FaceClassifying, @unchecked Sendable {
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
        faces.map { box in
            var sum = 0
            for y in box.y..<(box.y + box.height) { for x in box.x..<(box.x + box.width) { sum += Int(image[x, y]) } }
            let logits = (0..<7).map { k in Float(sin(Double(sum) * 0.001 * Double(k + 1))) }
            let e = logits.map { Foundation.exp($0) }
            let total = e.reduce(0, +)
            return e.map { $0 / total }
        }
    }
}

extension FrameResult {
    /// The JSON line without the latency, which measures the machine rather than the result.
    var lineWithoutLatency: String {
        jsonLine.replacingOccurrences(of: #""latency_ms":[0-9.eE+-]+,"#, with: "", options: .regularExpression)
    }
}

/// A processor with the pixel-sensitive doubles and the given settings.
func makeProcessor(detectEvery: Int = 3, smoothing: Float = 0.5) -> FrameProcessor {
    FrameProcessor(finder: BrightRegionFinder(), classifier: PixelHashClassifier(),
                   configuration: PipelineConfiguration(detectEvery: detectEvery, smoothing: smoothing))
}

/// Runs this test binary again on one test, in a child process; returns it running.
enum ChildTest {
    static var isChild: Bool { ProcessInfo.processInfo.environment["EMONET_SESSION_CHILD"] != nil }

    static func start(_ testCase: XCTestCase, _ name: String, environment: [String: String], log: URL) throws -> Process {
        var env = ProcessInfo.processInfo.environment
        env["EMONET_SESSION_CHILD"] = "1"
        for (key, value) in environment { env[key] = value }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
        process.arguments = ["SessionTests.\(String(describing: type(of: testCase)))/\(name)"]
        process.environment = env
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Waits at most `timeout` seconds for `process`; false (and the child terminated) if it hung.
    static func wait(_ process: Process, timeout: Double) -> Bool { BuiltCommand.wait(process, timeout: timeout) }
}
