// Test doubles for capture tests: a face finder that finds bright blobs (the emulated camera's "faces"),
// a classifier that says happy; the sink that records results is TestSupport's CollectingSink.
import Foundation
import Imaging
import Pipeline
import TestSupport

/// Bounding boxes of 4-connected pixels brighter than 150 covering at least 100 pixels, top to bottom.
final class BrightBlobFinder: FaceFinding, @unchecked Sendable {
    func findFaces(in image: GrayImage) -> [Rect] {
        let w = image.width, h = image.height
        var seen = [Bool](repeating: false, count: w * h)
        var boxes: [Rect] = []
        var stack: [Int] = []
        for start in 0..<(w * h) where !seen[start] && image.pixels[start] > 150 {
            var x0 = w, y0 = h, x1 = -1, y1 = -1, count = 0
            stack.append(start)
            seen[start] = true
            while let p = stack.popLast() {
                let x = p % w, y = p / w
                count += 1
                x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)]
                where nx >= 0 && ny >= 0 && nx < w && ny < h && !seen[ny * w + nx] && image.pixels[ny * w + nx] > 150 {
                    seen[ny * w + nx] = true
                    stack.append(ny * w + nx)
                }
            }
            if count >= 100 { boxes.append(Rect(x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1)) }
        }
        return boxes
    }

    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] { findFaces(in: image) }
}

final class HappyClassifier: FaceClassifying, @unchecked Sendable {
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
        faces.map { _ in [0.02, 0.01, 0.02, 0.9, 0.02, 0.01, 0.02] }
    }
}

/// The shared test sink (TestSupport), under the name these tests use.
typealias RecordingSink = CollectingSink

/// A live pipeline from `source` through `finder` and HappyClassifier (full detection every 3 frames)
/// into `sink`, run until the sink holds `frames` results or `seconds` have passed, then asked to stop.
/// The caller checks how it finished.
func runPipeline(from source: FrameSource, finder: FaceFinding, into sink: RecordingSink,
                 untilFrames frames: Int, orSeconds seconds: Double, polling interval: Double) -> LivePipeline {
    let processor = FrameProcessor(finder: finder, classifier: HappyClassifier(),
                                   configuration: PipelineConfiguration(detectEvery: 3))
    let pipeline = LivePipeline(source: source, processor: processor, sinks: [sink])
    pipeline.start()
    let deadline = Date().addingTimeInterval(seconds)
    while sink.count < frames && Date() < deadline { Thread.sleep(forTimeInterval: interval) }
    pipeline.stop()
    return pipeline
}
