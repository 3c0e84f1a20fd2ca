// The work done on one frame, in stage order: gray → detect (full frame every `detectEvery` frames,
// a search around the tracked faces in between, and a full one right after that search lost a face)
// → track → classify all faces in one batch (with their mirror images per `FaceViews`) → smooth.
// Two halves that may run on two queues, so frame n+1 is located while frame n is classified:
// `locate` (gray, detect, track; owns the tracker) and `classify` (classify, smooth; owns the smoother).
// Each half is called from one queue at a time and sees frames in order; `process` runs both.
// The result's faces are in detection order with stable track IDs; per-stage seconds are measured on
// MonotonicClock.
import Imaging

/// How the pipeline processes frames; every default is named here.
public struct PipelineConfiguration: Sendable {
    /// A full-frame detection every N processed frames (1 = every frame); in between, only around tracked faces.
    public var detectEvery: Int = 5
    /// EMA weight of the newest probabilities, (0, 1]; 1 = raw per-frame results.
    public var smoothing: Float = 0.4
    /// IoU needed to continue a track.
    public var matchThreshold: Double = 0.3
    /// Processed frames a track survives without being seen.
    public var maxMissedFrames: Int = 5
    /// Which views of each face are classified (the mean of a face and its mirror is more accurate).
    public var views: FaceViews = .alternate

    public init(detectEvery: Int = 5, smoothing: Float = 0.4, matchThreshold: Double = 0.3, maxMissedFrames: Int = 5,
                views: FaceViews = .alternate) {
        self.detectEvery = detectEvery
        self.smoothing = smoothing
        self.matchThreshold = matchThreshold
        self.maxMissedFrames = maxMissedFrames
        self.views = views
    }
}

/// A frame after the first half of processing: its faces found and tracked, not yet classified.
public struct LocatedFrame: @unchecked Sendable {
    public let frame: Frame
    let gray: GrayImage
    let faces: [FoundFace]
    let tracks: [Track]
    /// Tracks that ended on this frame (the smoother forgets them before smoothing it).
    let expired: [Int]
    let stageSeconds: [String: Double]
}

public final class FrameProcessor {
    public let configuration: PipelineConfiguration
    private let finder: FaceFinding
    private let classifier: FaceClassifying
    private var tracker: FaceTracker
    private var smoother: ProbabilitySmoother
    private var alternator = ViewAlternator()
    private var framesSinceFullDetection = Int.max / 2  // the first frame gets a full detection
    private var fullScans = 0
    private var poseScans = 0

    public init(finder: FaceFinding, classifier: FaceClassifying, configuration: PipelineConfiguration = .init()) {
        precondition(configuration.detectEvery >= 1, "detectEvery must be >= 1")
        self.finder = finder
        self.classifier = classifier
        self.configuration = configuration
        self.tracker = FaceTracker(matchThreshold: configuration.matchThreshold,
                                   maxMissedFrames: configuration.maxMissedFrames)
        self.smoother = ProbabilitySmoother(alpha: configuration.smoothing)
    }

    /// Detects, tracks and classifies the faces of `frame`. Throws only when the classifier does.
    public func process(_ frame: Frame) throws -> FrameResult {
        try classify(locate(frame))
    }

    /// The first half: gray conversion, detection and tracking.
    public func locate(_ frame: Frame) -> LocatedFrame {
        var stages: [String: Double] = [:]
        var t0 = MonotonicClock.now()
        func lap(_ stage: String) {
            let t1 = MonotonicClock.now()
            stages[stage] = t1 - t0
            t0 = t1
        }

        let gray = frame.gray
        lap(PipelineStage.gray)

        let faces: [FoundFace]
        let regions = tracker.activeFaces
        // New faces appear at the next full detection; in between only tracked faces are looked for.
        // With full scans every frame, each runs the upright scan and one other in turn; otherwise the full scan
        // is upright and the other scans (turned, profile) take turns on the frame halfway to the next, so no
        // frame pays for both.
        let spread = configuration.detectEvery >= 2
        if framesSinceFullDetection >= configuration.detectEvery - 1 {
            faces = spread ? finder.locateUprightFaces(in: gray) : finder.locateFaces(in: gray, fullScan: fullScans)
            fullScans += 1
            framesSinceFullDetection = 0
        } else {
            var found = regions.isEmpty ? [] : finder.locateFaces(in: gray, around: regions)
            // A tracked face the regional search lost (it moved fast, or left) gets a full search next frame.
            framesSinceFullDetection = found.count < regions.count ? Int.max / 2 : framesSinceFullDetection + 1
            if spread && framesSinceFullDetection == configuration.detectEvery / 2 {
                // New faces at the other poses: those that are not a face already found.
                for face in finder.locateFaces(in: gray, poseScan: poseScans) where !found.contains(where: { Self.sameFace($0, face) }) {
                    found.append(face)
                }
                poseScans += 1
            }
            faces = found
        }
        lap(PipelineStage.detect)

        let (tracks, expired) = tracker.update(faces: faces)
        lap(PipelineStage.track)
        return LocatedFrame(frame: frame, gray: gray, faces: faces, tracks: tracks, expired: expired, stageSeconds: stages)
    }

    /// The second half: all faces of the frame classified in one batch, then smoothed per track.
    /// Throws only when the classifier does.
    public func classify(_ located: LocatedFrame) throws -> FrameResult {
        let t0 = MonotonicClock.now()
        smoother.forget(located.expired)
        alternator.forget(located.expired)
        let raw = try probabilities(located)
        var faces: [FaceResult] = []
        faces.reserveCapacity(raw.count)
        for (track, probabilities) in zip(located.tracks, raw) {
            faces.append(FaceResult(track: track.id, box: track.box,
                                    probabilities: smoother.smooth(track: track.id, probabilities),
                                    angle: track.angle, pose: track.pose))
        }
        var stages = located.stageSeconds
        let t1 = MonotonicClock.now()
        stages[PipelineStage.classify] = t1 - t0
        let frame = located.frame
        return FrameResult(frameIndex: frame.index, time: frame.time, faces: faces, stageSeconds: stages,
                           latency: t1 - frame.captureTime)
    }

    /// Each face's probabilities from the views `configuration.views` names, before smoothing.
    private func probabilities(_ located: LocatedFrame) throws -> [[Float]] {
        let boxes = located.faces.map(\.box), angles = located.faces.map(\.angle), n = boxes.count
        guard n > 0 else { return [] }
        let flags: [Bool]
        switch configuration.views {
        case .single: flags = [Bool](repeating: false, count: n)
        case .both: flags = [Bool](repeating: false, count: n) + [Bool](repeating: true, count: n)
        case .alternate: flags = located.tracks.map { alternator.mirrored(track: $0.id) }
        }
        let both = configuration.views == .both
        let raw = try classifier.classify(located.gray, faces: both ? boxes + boxes : boxes, angles: both ? angles + angles : angles,
                                          mirrored: flags)
        precondition(raw.count == flags.count, "classifier returned \(raw.count) results for \(flags.count) faces")
        switch configuration.views {
        case .single: return raw
        case .both: return (0..<n).map { i in zip(raw[i], raw[n + i]).map { ($0 + $1) / 2 } }
        case .alternate: return zip(located.tracks, raw).map { alternator.combine(track: $0.id, $1) }
        }
    }

    /// Forgets all tracks (e.g. after a seek or a source change).
    public func reset() {
        tracker.reset()
        smoother = ProbabilitySmoother(alpha: configuration.smoothing)
        alternator = ViewAlternator()
        framesSinceFullDetection = Int.max / 2
        fullScans = 0
        poseScans = 0
    }

    /// Whether two faces are one: either box holds the other's centre.
    static func sameFace(_ a: FoundFace, _ b: FoundFace) -> Bool {
        func holds(_ r: Rect, _ x: Int, _ y: Int) -> Bool { x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height }
        return holds(a.box, b.box.x + b.box.width / 2, b.box.y + b.box.height / 2)
            || holds(b.box, a.box.x + a.box.width / 2, a.box.y + a.box.height / 2)
    }
}
