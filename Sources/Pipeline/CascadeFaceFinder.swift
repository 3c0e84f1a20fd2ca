// The real face detector behind the pipeline's FaceFinding protocol, tuned for real time:
// full-frame searches run on a copy scaled down to at most `detectionWidth` pixels wide (boxes are
// scaled back), regional searches run at full resolution around the tracked faces, where they are cheap,
// on both cores when several faces are tracked.
import Dispatch
import FaceDetection
import Foundation
import Imaging

public final class CascadeFaceFinder: FaceFinding, @unchecked Sendable {
    public let detector: FaceDetector
    /// Parameters of full-frame searches, in the scaled-down frame's pixels.
    public let parameters: DetectionParameters
    /// Parameters of regional searches (the window sizes are set around each tracked face).
    public let regionParameters: DetectionParameters
    public let detectionWidth: Int
    /// Threads for regional searches when several faces are tracked.
    public let regionThreads: Int

    /// Live defaults: scale step 1.2, 4 neighbours, faces from 24 px in a frame scaled to 320 px wide
    /// (48 px in a 640x480 frame), two threads.
    public init(detector: FaceDetector,
                parameters: DetectionParameters = DetectionParameters(scaleFactor: 1.2, minNeighbors: 4,
                                                                      minSize: PixelSize(24), threads: 2),
                regionParameters: DetectionParameters = DetectionParameters(scaleFactor: 1.1, minNeighbors: 3),
                detectionWidth: Int = 320, regionThreads: Int = 2) {
        precondition(detectionWidth >= 32, "detectionWidth must be at least 32")
        self.detector = detector
        self.parameters = parameters
        self.regionParameters = regionParameters
        self.detectionWidth = detectionWidth
        self.regionThreads = max(1, regionThreads)
    }

    public func findFaces(in image: GrayImage) -> [Rect] {
        guard image.width > detectionWidth else { return detector.detect(image, parameters: parameters).map(\.box) }
        let scale = Double(image.width) / Double(detectionWidth)
        let height = max(1, Int((Double(image.height) / scale).rounded()))
        let small = image.resizedBilinear(width: detectionWidth, height: height)
        let sx = Double(image.width) / Double(detectionWidth), sy = Double(image.height) / Double(height)
        return detector.detect(small, parameters: parameters).map { d in
            Rect(x: Int((Double(d.box.x) * sx).rounded()), y: Int((Double(d.box.y) * sy).rounded()),
                 width: Int((Double(d.box.width) * sx).rounded()), height: Int((Double(d.box.height) * sy).rounded()))
        }
    }

    /// Regions are shared out between `regionThreads` threads (each region is a separate small scan);
    /// results from neighbouring regions that overlap (IoU > 0.5) are merged as the detector does.
    public func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] {
        let threads = min(regionThreads, regions.count)
        guard threads > 1 else { return detector.detect(in: image, around: regions, parameters: regionParameters).map(\.box) }
        let parts = RegionResults(count: threads)
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            let mine = stride(from: t, to: regions.count, by: threads).map { regions[$0] }
            parts.store(detector.detect(in: image, around: mine, parameters: regionParameters), at: t)
        }
        var found: [Detection] = []
        for d in parts.all {
            if let i = found.firstIndex(where: { $0.box.iou(d.box) > 0.5 }) {
                if d.neighbors > found[i].neighbors { found[i] = d }
            } else {
                found.append(d)
            }
        }
        return found.map(\.box)
    }
}

/// Per-thread result slots for concurrentPerform (each thread writes only its own slot, under a lock).
private final class RegionResults: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[Detection]]

    init(count: Int) { slots = Array(repeating: [], count: count) }

    func store(_ detections: [Detection], at index: Int) {
        lock.lock()
        slots[index] = detections
        lock.unlock()
    }

    var all: [Detection] {
        lock.lock()
        defer { lock.unlock() }
        return slots.flatMap { $0 }
    }
}
