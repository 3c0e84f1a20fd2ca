// Which views of each face the pipeline classifies. A network trained with flip augmentation is
// a little more accurate on the mean of a face and its mirror image (flip test-time augmentation),
// but classifying both doubles the work per face. `alternate` gets the same mean for a still face at
// the cost of one view per frame: each track's face is classified as seen on one frame and mirrored on
// the next, and each frame's answer is the mean of the track's latest answer for either view.
// The setting lives here because sessions record it; the pipeline's ViewAlternator does the alternating.

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
