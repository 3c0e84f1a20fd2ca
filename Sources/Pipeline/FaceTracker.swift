// Keeps face identities across frames by greedy IoU matching.
// Invariants: a track ID is never reused; a detection matches at most one track and vice versa;
// pairs are matched best IoU first, and only at IoU >= `matchThreshold`; a track that goes unmatched
// for more than `maxMissedFrames` consecutive frames expires.
import Imaging

/// One face followed across frames.
public struct Track: Sendable, Equatable {
    public let id: Int
    /// The box of its latest detection (before turning by `angle`).
    public var box: Rect
    /// Its latest detection's angle (degrees, clockwise) and pose: the regional search looks for the face
    /// there next, and the crop is taken along the turned box.
    public var angle: Double = 0
    public var pose: FacePose = .frontal
    /// Consecutive frames without a matching detection (0 when seen in the latest frame).
    public var missedFrames: Int
    /// Frames in which it was seen.
    public var hits: Int
}

/// Greedy IoU tracker: call `update(with:)` once per processed frame with that frame's detections.
public struct FaceTracker: Sendable {
    public let matchThreshold: Double
    public let maxMissedFrames: Int
    public private(set) var tracks: [Track] = []
    private var nextID = 1

    public init(matchThreshold: Double = 0.3, maxMissedFrames: Int = 5) {
        precondition(matchThreshold > 0 && matchThreshold <= 1, "IoU threshold must be in (0, 1]")
        precondition(maxMissedFrames >= 0, "maxMissedFrames must be >= 0")
        self.matchThreshold = matchThreshold
        self.maxMissedFrames = maxMissedFrames
    }

    /// Matches `detections` to tracks; returns one track per detection (same order) and the IDs that expired.
    public mutating func update(with detections: [Rect]) -> (tracks: [Track], expired: [Int]) {
        update(faces: detections.map { FoundFace(box: $0) })
    }

    /// As `update(with:)` for faces found at an angle or in profile: a track takes its face's angle and pose.
    /// Matching is by IoU of the boxes before turning (same centre and size as the turned boxes).
    public mutating func update(faces: [FoundFace]) -> (tracks: [Track], expired: [Int]) {
        let detections = faces.map(\.box)
        // All candidate pairs above the threshold, best first; ties broken by order for determinism.
        var pairs: [(iou: Double, track: Int, detection: Int)] = []
        for (t, track) in tracks.enumerated() {
            for (d, box) in detections.enumerated() {
                let iou = track.box.iou(box)
                if iou >= matchThreshold { pairs.append((iou, t, d)) }
            }
        }
        pairs.sort { $0.iou != $1.iou ? $0.iou > $1.iou : ($0.track, $0.detection) < ($1.track, $1.detection) }

        var trackOfDetection = [Int?](repeating: nil, count: detections.count)
        var trackTaken = [Bool](repeating: false, count: tracks.count)
        for pair in pairs where !trackTaken[pair.track] && trackOfDetection[pair.detection] == nil {
            trackTaken[pair.track] = true
            trackOfDetection[pair.detection] = pair.track
        }

        for t in tracks.indices where !trackTaken[t] { tracks[t].missedFrames += 1 }
        var result: [Track] = []
        result.reserveCapacity(detections.count)
        for (d, box) in detections.enumerated() {
            if let t = trackOfDetection[d] {
                tracks[t].box = box
                tracks[t].angle = faces[d].angle
                tracks[t].pose = faces[d].pose
                tracks[t].missedFrames = 0
                tracks[t].hits += 1
                result.append(tracks[t])
            } else {
                let track = Track(id: nextID, box: box, angle: faces[d].angle, pose: faces[d].pose, missedFrames: 0, hits: 1)
                nextID += 1
                tracks.append(track)
                result.append(track)
            }
        }
        let expired = tracks.filter { $0.missedFrames > maxMissedFrames }.map(\.id)
        if !expired.isEmpty { tracks.removeAll { $0.missedFrames > maxMissedFrames } }
        return (result, expired)
    }

    /// Boxes of the live tracks, the regions a cheaper between-detections search looks around.
    public var activeBoxes: [Rect] { tracks.map(\.box) }

    /// The live tracks as faces (box, angle, pose), for a search at each track's own angle.
    public var activeFaces: [FoundFace] { tracks.map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) } }

    public mutating func reset() {
        tracks.removeAll()
    }
}
