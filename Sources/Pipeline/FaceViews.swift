// Which views of each face the pipeline classifies. A network trained with flip augmentation is
// a little more accurate on the mean of a face and its mirror image (flip test-time augmentation),
// but classifying both doubles the work per face. `alternate` gets the same mean for a still face at
// the cost of one view per frame: each track's face is classified as seen on one frame and mirrored on
// the next, and each frame's answer is the mean of the track's latest answer for either view.

/// The views of each face that the pipeline classifies.
public enum FaceViews: String, CaseIterable, Codable, Sendable {
    /// The face as seen, every frame.
    case single
    /// The face and its mirror image, every frame: flip TTA at twice the classifier's work.
    case both
    /// The face and its mirror on alternate frames, each answer the mean of the latest of each view:
    /// flip TTA for a still face at one classification per face per frame.
    case alternate
}

/// The per-track memory behind `FaceViews.alternate`: which view comes next, and the latest
/// probabilities of each view. State lives only as long as its track.
struct ViewAlternator {
    private var frames: [Int: Int] = [:]
    private var latest: [Int: [[Float]?]] = [:]  // [as seen, mirrored]

    /// Whether `track`'s face is classified mirrored on this frame (every second frame of the track).
    func mirrored(track: Int) -> Bool { (frames[track] ?? 0) % 2 == 1 }

    /// Takes this frame's probabilities of `track` (of the view `mirrored(track:)` named) and returns the
    /// mean of the latest probabilities of either view; a track's first frame is returned as is.
    mutating func combine(track: Int, _ probabilities: [Float]) -> [Float] {
        let view = mirrored(track: track) ? 1 : 0
        var views = latest[track] ?? [nil, nil]
        views[view] = probabilities
        latest[track] = views
        frames[track, default: 0] += 1
        guard let other = views[1 - view], other.count == probabilities.count else { return probabilities }
        return zip(probabilities, other).map { ($0 + $1) / 2 }
    }

    /// Drops the state of tracks that no longer exist.
    mutating func forget(_ tracks: [Int]) {
        for id in tracks {
            frames.removeValue(forKey: id)
            latest.removeValue(forKey: id)
        }
    }
}
