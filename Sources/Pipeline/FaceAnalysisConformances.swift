// The real emotion classifier behind the pipeline's FaceClassifying protocol: its API already matches
// (all faces of a frame in one batch, seven probabilities each). It is not thread-safe, which suits the
// pipeline: one instance lives on the serial processing queue. (The detector side is CascadeFaceFinder.)
import Emotion

extension EmotionClassifier: FaceClassifying {}
