// What the pipeline needs from a face detector and an emotion classifier, as two small protocols so the
// pipeline can be tested with doubles; the real detector and classifier conform in FaceAnalysisConformances.swift.
import Imaging

/// Finds faces in a gray frame.
public protocol FaceFinding: AnyObject {
    /// Every face in the whole frame.
    func findFaces(in image: GrayImage) -> [Rect]
    /// Faces near `regions` (the tracked boxes of the previous frame), a cheaper search between full ones.
    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect]
}

/// Classifies faces into the seven emotions.
public protocol FaceClassifying: AnyObject {
    /// Seven probabilities (in `EmotionLabel` order) per face box, all faces in one batch; the crop of
    /// face i is mirrored left to right first when `mirrored[i]` (one flag per face).
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]]
}

extension FaceClassifying {
    /// Every face as seen.
    public func classify(_ image: GrayImage, faces: [Rect]) throws -> [[Float]] {
        try classify(image, faces: faces, mirrored: [Bool](repeating: false, count: faces.count))
    }
}
