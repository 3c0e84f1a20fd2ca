// The seven emotions are a value the whole frame path carries (results, the overlay, logs), so
// `EmotionLabel` lives in Frames, below this module; the classifier, trainer and datasets name it here as
// before, and `import Emotion` still brings it.
@_exported import enum Frames.EmotionLabel
