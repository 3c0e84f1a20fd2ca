// Per-track exponential moving average of the emotion probabilities, so labels do not flicker.
// smoothed = alpha * latest + (1 - alpha) * previous; alpha = 1 turns smoothing off (raw results).
// The first observation of a track is taken as is. State lives only as long as its track.

public struct ProbabilitySmoother: Sendable {
    /// Weight of the newest frame, in (0, 1]; 1 means no smoothing.
    public let alpha: Float
    private var state: [Int: [Float]] = [:]

    public init(alpha: Float) {
        precondition(alpha > 0 && alpha <= 1, "smoothing alpha must be in (0, 1]")
        self.alpha = alpha
    }

    /// The smoothed probabilities of `track` after observing `probabilities`.
    public mutating func smooth(track: Int, _ probabilities: [Float]) -> [Float] {
        guard alpha < 1, var previous = state[track], previous.count == probabilities.count else {
            if alpha < 1 { state[track] = probabilities }
            return probabilities
        }
        let beta = 1 - alpha
        for k in previous.indices { previous[k] = alpha * probabilities[k] + beta * previous[k] }
        state[track] = previous
        return previous
    }

    /// Drops the state of tracks that no longer exist.
    public mutating func forget(_ tracks: [Int]) {
        for id in tracks { state.removeValue(forKey: id) }
    }

    /// Tracks with smoothing state (for tests).
    public var trackedIDs: Set<Int> { Set(state.keys) }
}
