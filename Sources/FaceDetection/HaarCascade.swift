// A boosted cascade of Haar or LBP features, as trained by OpenCV and stored in its
// `opencv-cascade-classifier` XML format. This is the model as written in the file (values, no
// evaluation state); CascadeXMLReader builds it, FlatCascade turns it into the arrays the scanner
// reads. Invariants checked on load: every feature lies inside the window, every node refers to an
// existing feature, child node or leaf, and children come after their parent (no cycles).

/// An OpenCV cascade classifier model (HAAR or LBP features, stumps or deeper trees).
public struct HaarCascade: Sendable {
    /// What the cascade's features measure.
    public enum FeatureType: String, Sendable { case haar = "HAAR", lbp = "LBP" }

    /// A weighted upright or 45°-tilted rectangle of a Haar feature, in window pixels.
    public struct WeightedRect: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
        public var weight: Float
    }

    /// A Haar-like feature: the weighted sum of up to three rectangle sums.
    public struct HaarFeature: Sendable, Equatable {
        public var rects: [WeightedRect]
        public var tilted: Bool
    }

    /// An LBP feature: a 3x3 grid of cells of size `width` x `height` whose top-left is (x, y).
    public struct LBPFeature: Sendable, Equatable {
        public var x: Int, y: Int, width: Int, height: Int
    }

    /// A decision node. `left`/`right` > 0 index another node of the same tree; <= 0 is leaf `-index`.
    /// Ordered features go left when `value < threshold`; categorical (LBP) features go left when
    /// their code's bit is set in `subset`.
    public struct Node: Sendable, Equatable {
        public var featureIndex: Int
        public var threshold: Float
        public var subset: [Int32]
        public var left: Int
        public var right: Int
    }

    /// A weak classifier: a decision tree with `nodes.count + 1` leaves.
    public struct Tree: Sendable, Equatable {
        public var nodes: [Node]
        public var leaves: [Float]
    }

    /// A stage: the sum of its trees' leaves must reach `threshold` for a window to go on.
    public struct Stage: Sendable, Equatable {
        /// The threshold as written in the file (OpenCV subtracts 1e-5 when it loads it; so do we, later).
        public var threshold: Float
        public var trees: [Tree]
    }

    public var featureType: FeatureType
    /// The detection window size the cascade was trained on (e.g. 24x24).
    public var windowWidth: Int
    public var windowHeight: Int
    /// Number of categories of categorical features (256 for LBP, 0 for Haar).
    public var categoryCount: Int
    public var stages: [Stage]
    /// Filled for `.haar`.
    public var haarFeatures: [HaarFeature]
    /// Filled for `.lbp`.
    public var lbpFeatures: [LBPFeature]

    /// True when every tree is a single node (a stump), as in the frontal face cascades.
    public var isStumpBased: Bool { stages.allSatisfy { $0.trees.allSatisfy { $0.nodes.count == 1 } } }

    /// True when some Haar feature uses 45°-rotated rectangles (needs the tilted integral image).
    public var hasTiltedFeatures: Bool { haarFeatures.contains { $0.tilted } }

    /// Parses cascade XML (the contents of an OpenCV cascade file).
    public init(xml bytes: [UInt8]) throws {
        self = try CascadeXMLReader.read(bytes)
    }

    /// Parses cascade XML from a string.
    public init(xml text: String) throws {
        try self.init(xml: Array(text.utf8))
    }

    init(featureType: FeatureType, windowWidth: Int, windowHeight: Int, categoryCount: Int,
         stages: [Stage], haarFeatures: [HaarFeature], lbpFeatures: [LBPFeature]) {
        self.featureType = featureType
        self.windowWidth = windowWidth
        self.windowHeight = windowHeight
        self.categoryCount = categoryCount
        self.stages = stages
        self.haarFeatures = haarFeatures
        self.lbpFeatures = lbpFeatures
    }
}
