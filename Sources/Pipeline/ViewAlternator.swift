// How `FaceViews.alternate` combines a track's two views; see FaceViews (in Frames) for why.

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
