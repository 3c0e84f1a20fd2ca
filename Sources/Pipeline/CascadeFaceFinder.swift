// The real face detector behind the pipeline's FaceFinding protocol, tuned for real time:
// searches run on a copy scaled down to at most `detectionWidth` pixels wide (boxes are scaled back):
// a full scan every few frames, and in between scans of small regions around the tracked faces, on both
// cores when several faces are tracked. With a `poseSearch` the full scans find faces turned in the
// plane and in profile too (CascadeFaceFinder+Poses.swift), and regions are searched at each track's own
// angle and pose; with a `verifier` every face of a full scan must pass the face / not-face check.
import Dispatch
import Emotion
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
    /// A regional search looks within each tracked box grown by `regionMargin` of its size on every side,
    /// for faces between size/`regionSizeRange` and size·`regionSizeRange`.
    public let regionMargin: Double
    public let regionSizeRange: Double
    /// The multi-pose search of full scans (nil: upright frontal faces only, the search of `findFaces(in:)`).
    public let poseSearch: MultiPoseDetector?
    /// The false-face check of full scans' faces (nil: every face the cascade finds is kept). Used under
    /// `verifierLock`: one finder may serve several runs at once (a batch's jobs).
    public let verifier: FaceVerifier?
    let verifierLock = NSLock()
    /// Turned and profile frames of the multi-pose search, as a fraction of the scaled-down frame.
    public let poseScale: Double

    /// The live path's full-scan and regional-scan parameters (see `init`).
    public static let defaultParameters = DetectionParameters(scaleFactor: 1.2, minNeighbors: 4, minSize: PixelSize(24), threads: 2)
    public static let defaultRegionParameters = DetectionParameters(scaleFactor: 1.1, minNeighbors: 3)

    /// Live defaults: scale step 1.2, 4 neighbours, faces from 24 px in a frame scaled to 320 px wide
    /// (48 px in a 640x480 frame), two threads. Regional searches: scale step 1.1, 3 neighbours, within
    /// 0.3 of the face's size around it, sizes within 1.3x. A margin of 0.5 (the earlier setting) scans
    /// about 1.5x the windows for the same tracks on the ../shared/media clips; narrowing the sizes to
    /// 1.2x lost the single-face clip's face twice (too few neighbouring hits), so they stay at 1.3x.
    public init(detector: FaceDetector,
                parameters: DetectionParameters = CascadeFaceFinder.defaultParameters,
                regionParameters: DetectionParameters = CascadeFaceFinder.defaultRegionParameters,
                detectionWidth: Int = 320, regionThreads: Int = 2,
                regionMargin: Double = 0.3, regionSizeRange: Double = 1.3,
                poseSearch: MultiPoseDetector? = nil, verifier: FaceVerifier? = nil, poseScale: Double = 1) {
        precondition(detectionWidth >= 32, "detectionWidth must be at least 32")
        self.detector = detector
        self.parameters = parameters
        self.regionParameters = regionParameters
        self.detectionWidth = detectionWidth
        self.regionThreads = max(1, regionThreads)
        self.regionMargin = regionMargin
        self.regionSizeRange = regionSizeRange
        self.poseSearch = poseSearch
        self.verifier = verifier
        self.poseScale = poseScale
    }

    public func findFaces(in image: GrayImage) -> [Rect] {
        let (small, sx, sy) = scaledDown(image)
        return detector.detect(small, parameters: parameters).map { scaleUp($0.box, sx, sy) }
    }

    /// The frame at most `detectionWidth` wide, and the factors that map its pixels back.
    func scaledDown(_ image: GrayImage) -> (GrayImage, Double, Double) {
        guard image.width > detectionWidth else { return (image, 1, 1) }
        let height = max(1, Int((Double(image.height) * Double(detectionWidth) / Double(image.width)).rounded()))
        return (image.resizedBilinear(width: detectionWidth, height: height),
                Double(image.width) / Double(detectionWidth), Double(image.height) / Double(height))
    }

    func scaleUp(_ r: Rect, _ sx: Double, _ sy: Double) -> Rect {
        Rect(x: Int((Double(r.x) * sx).rounded()), y: Int((Double(r.y) * sy).rounded()),
             width: Int((Double(r.width) * sx).rounded()), height: Int((Double(r.height) * sy).rounded()))
    }

    func scaleDown(_ r: Rect, _ sx: Double, _ sy: Double) -> Rect {
        Rect(x: Int((Double(r.x) / sx).rounded()), y: Int((Double(r.y) / sy).rounded()),
             width: Int((Double(r.width) / sx).rounded()), height: Int((Double(r.height) / sy).rounded()))
    }

    /// Regions are shared out between `regionThreads` threads (each region is a separate small scan).
    public func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] {
        // The same scaled-down frame as full searches: a quarter of the pixels, and faces stay well above
        // the cascade's 24 px window at live sizes.
        let (small, sx, sy) = scaledDown(image)
        let scaled = regions.map { scaleDown($0, sx, sy) }
        let threads = min(regionThreads, scaled.count)
        let parts = RegionResults(count: max(threads, 1))
        if threads <= 1 {
            parts.store(detector.detect(in: small, around: scaled, parameters: regionParameters,
                                                 margin: regionMargin, sizeRange: regionSizeRange), at: 0)
        } else {
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                let mine = stride(from: t, to: scaled.count, by: threads).map { scaled[$0] }
                parts.store(detector.detect(in: small, around: mine, parameters: regionParameters,
                                                     margin: regionMargin, sizeRange: regionSizeRange), at: t)
            }
        }
        // Overlapping results of neighbouring regions are merged as the detector does (IoU > 0.5).
        var found: [Detection] = []
        for d in parts.all {
            if let i = found.firstIndex(where: { $0.box.iou(d.box) > 0.5 }) {
                if d.neighbors > found[i].neighbors { found[i] = d }
            } else {
                found.append(d)
            }
        }
        return found.map { scaleUp($0.box, sx, sy) }
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
