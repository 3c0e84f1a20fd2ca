// What the pipeline needs from a face detector and an emotion classifier, as two small protocols so the
// pipeline can be tested with doubles; the real detector and classifier conform in FaceAnalysisConformances.swift.
// A face may be found turned in the image plane (`FoundFace.angle`) or in profile (`pose`); finders that
// search upright frontal faces only implement the `[Rect]` methods and get upright faces from the defaults.
import Imaging

/// A face a finder found: its box before turning, the angle it is turned by and its pose.
public struct FoundFace: Sendable, Equatable {
    public var box: Rect
    /// Degrees, clockwise on screen: `box` turned this much about its centre holds the face.
    public var angle: Double
    public var pose: FacePose

    public init(box: Rect, angle: Double = 0, pose: FacePose = .frontal) {
        self.box = box
        self.angle = angle
        self.pose = pose
    }
}

/// Finds faces in a gray frame.
public protocol FaceFinding: AnyObject {
    /// Every face in the whole frame.
    func findFaces(in image: GrayImage) -> [Rect]
    /// Faces near `regions` (the tracked boxes of the previous frame), a cheaper search between full ones.
    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect]
    /// Every face in the whole frame, at any angle and pose the finder searches.
    func locateFaces(in image: GrayImage) -> [FoundFace]
    /// The `fullScan`-th full scan of a video (0, 1, ...): a finder may spread an expensive search over
    /// several full scans (each face found by the latest ones, new faces within a few).
    func locateFaces(in image: GrayImage, fullScan: Int) -> [FoundFace]
    /// The full scan of a video whose other scans are spread over the frames between full scans
    /// (`locateFaces(in:poseScan:)`): for a multi-pose finder its upright scan alone.
    func locateUprightFaces(in image: GrayImage) -> [FoundFace]
    /// The `poseScan`-th of a multi-pose finder's other scans (turned angles, profiles) alone, taking turns, on
    /// a frame between full scans; none for a finder that has no other scans.
    func locateFaces(in image: GrayImage, poseScan: Int) -> [FoundFace]
    /// Faces near the tracked faces of the previous frame, each searched at its own angle and pose.
    func locateFaces(in image: GrayImage, around tracked: [FoundFace]) -> [FoundFace]
}

extension FaceFinding {
    public func locateFaces(in image: GrayImage) -> [FoundFace] {
        findFaces(in: image).map { FoundFace(box: $0) }
    }

    public func locateFaces(in image: GrayImage, around tracked: [FoundFace]) -> [FoundFace] {
        findFaces(in: image, around: tracked.map(\.box)).map { FoundFace(box: $0) }
    }

    public func locateFaces(in image: GrayImage, fullScan: Int) -> [FoundFace] {
        locateFaces(in: image)
    }

    public func locateUprightFaces(in image: GrayImage) -> [FoundFace] {
        locateFaces(in: image)
    }

    public func locateFaces(in image: GrayImage, poseScan: Int) -> [FoundFace] { [] }
}

/// Classifies faces into the seven emotions.
public protocol FaceClassifying: AnyObject {
    /// Seven probabilities (in `EmotionLabel` order) per face box, all faces in one batch; the crop of
    /// face i is mirrored left to right first when `mirrored[i]` (one flag per face).
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]]
    /// As `classify(_:faces:mirrored:)` for faces turned `angles[i]` degrees: the crop is taken along the
    /// turned box, so the network sees the face upright.
    func classify(_ image: GrayImage, faces: [Rect], angles: [Double], mirrored: [Bool]) throws -> [[Float]]
}

extension FaceClassifying {
    /// Every face as seen.
    public func classify(_ image: GrayImage, faces: [Rect]) throws -> [[Float]] {
        try classify(image, faces: faces, mirrored: [Bool](repeating: false, count: faces.count))
    }

    /// A classifier that knows no angles sees every face upright.
    public func classify(_ image: GrayImage, faces: [Rect], angles: [Double], mirrored: [Bool]) throws -> [[Float]] {
        try classify(image, faces: faces, mirrored: mirrored)
    }
}
