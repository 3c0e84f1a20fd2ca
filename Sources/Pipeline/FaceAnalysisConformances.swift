// The real emotion classifier behind the pipeline's FaceClassifying protocol: its API already matches
// (all faces of a frame in one batch, seven probabilities each, crops along turned boxes). It is not
// thread-safe, which suits the pipeline: one instance lives on the serial processing queue. (The
// detector side is CascadeFaceFinder.)
import Emotion
import Imaging

extension EmotionClassifier: FaceClassifying {
    public func classify(_ image: GrayImage, faces: [Rect], angles: [Double], mirrored: [Bool]) throws -> [[Float]] {
        try classify(image, faces: faces, angles: angles, mirrored: Optional(mirrored))
    }
}
