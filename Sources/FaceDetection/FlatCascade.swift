// The cascade flattened for scanning at one integral-image row stride: every node carries its
// feature's corner offsets (relative to the window's top-left in the integral planes) and weights
// inline, so evaluating a window streams through one contiguous array. Values and operation order
// follow OpenCV's HaarEvaluator / LBPEvaluator and predictOrdered[Stump] / predictCategorical:
//   - stage thresholds are the file's value minus 1e-5 (float), stage sums accumulate in double;
//   - a Haar node's value is (w0*s0 + w1*s1 [+ w2*s2]) in float, times the window's float
//     variance-normalisation factor, compared `value < threshold`;
//   - an LBP node's value is an 8-bit code, tested against its category bit mask.
// Planes inside one buffer: sum at 0, squared sum at `planeSize`, tilted sum at 2*`planeSize`.

/// A Haar node with its feature inline. Offsets are in UInt32 elements from the window origin.
struct HaarNode {
    var o00: Int32, o01: Int32, o02: Int32, o03: Int32
    var o10: Int32, o11: Int32, o12: Int32, o13: Int32
    var o20: Int32, o21: Int32, o22: Int32, o23: Int32
    var w0: Float, w1: Float, w2: Float
    var threshold: Float
    /// Stumps: leaf values, widened to double once here (OpenCV adds them to a double sum).
    /// Trees: unused (see `leftChild`/`rightChild`).
    var leftValue: Double
    var rightValue: Double
    /// Trees: child node index (> 0) or -leaf (<= 0), relative to the tree.
    var leftChild: Int32
    var rightChild: Int32
}

/// An LBP node: 16 grid-corner offsets (4x4 points of the 3x3 cell grid).
struct LBPNode {
    var offsets: (Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32,
                  Int32, Int32, Int32, Int32, Int32, Int32, Int32, Int32)
    var leftChild: Int32
    var rightChild: Int32
    /// Index of this node's category mask in `FlatCascade.subsets`.
    var subsetStart: Int32
}

struct FlatStage {
    var threshold: Float
    /// Range of this stage's trees in `trees`.
    var firstTree: Int
    var treeCount: Int
}

struct FlatTree {
    var firstNode: Int
    var firstLeaf: Int
}

/// The evaluation-ready form of a cascade at a given plane layout.
final class FlatCascade: @unchecked Sendable {
    let featureType: HaarCascade.FeatureType
    let isStumpBased: Bool
    let windowWidth: Int
    let windowHeight: Int
    let stride: Int
    let planeSize: Int
    let needsTilted: Bool
    let stages: [FlatStage]
    let trees: [FlatTree]
    let haarNodes: [HaarNode]
    let lbpNodes: [LBPNode]
    let leaves: [Float]
    let subsets: [Int32]
    /// Corner offsets of the variance-normalisation rectangle (1, 1, w-2, h-2).
    let normOffsets: (Int, Int, Int, Int)
    let normArea: Double

    static let stageThresholdEpsilon: Float = 1e-5

    init(_ cascade: HaarCascade, stride: Int, planeSize: Int) {
        featureType = cascade.featureType
        isStumpBased = cascade.isStumpBased
        windowWidth = cascade.windowWidth
        windowHeight = cascade.windowHeight
        self.stride = stride
        self.planeSize = planeSize
        needsTilted = cascade.hasTiltedFeatures
        let nw = cascade.windowWidth - 2, nh = cascade.windowHeight - 2
        normOffsets = (stride + 1, stride + 1 + nw, (1 + nh) * stride + 1, (1 + nh) * stride + 1 + nw)
        normArea = Double(nw * nh)

        var stages: [FlatStage] = [], trees: [FlatTree] = [], haar: [HaarNode] = [], lbp: [LBPNode] = []
        var leaves: [Float] = [], subsets: [Int32] = []
        for stage in cascade.stages {
            stages.append(FlatStage(threshold: stage.threshold - FlatCascade.stageThresholdEpsilon,
                                    firstTree: trees.count, treeCount: stage.trees.count))
            for tree in stage.trees {
                trees.append(FlatTree(firstNode: cascade.featureType == .haar ? haar.count : lbp.count,
                                      firstLeaf: leaves.count))
                leaves.append(contentsOf: tree.leaves)
                for node in tree.nodes {
                    switch cascade.featureType {
                    case .haar:
                        var n = FlatCascade.haarNode(cascade.haarFeatures[node.featureIndex], stride: stride,
                                                     tiltedPlane: 2 * planeSize)
                        n.threshold = node.threshold
                        n.leftChild = Int32(node.left)
                        n.rightChild = Int32(node.right)
                        // For stumps (left 0, right -1) the leaves are the two values.
                        n.leftValue = Double(tree.leaves[max(0, -node.left)])
                        n.rightValue = Double(tree.leaves[max(0, -node.right)])
                        haar.append(n)
                    case .lbp:
                        let f = cascade.lbpFeatures[node.featureIndex]
                        var o = [Int32](repeating: 0, count: 16)
                        for j in 0..<4 { for i in 0..<4 {
                            o[j * 4 + i] = Int32((f.y + j * f.height) * stride + f.x + i * f.width)
                        } }
                        lbp.append(LBPNode(offsets: (o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7],
                                                     o[8], o[9], o[10], o[11], o[12], o[13], o[14], o[15]),
                                           leftChild: Int32(node.left), rightChild: Int32(node.right),
                                           subsetStart: Int32(subsets.count)))
                        subsets.append(contentsOf: node.subset)
                    }
                }
            }
        }
        self.stages = stages
        self.trees = trees
        haarNodes = haar
        lbpNodes = lbp
        self.leaves = leaves
        self.subsets = subsets
    }

    /// OpenCV's CV_SUM_OFS / CV_TILTED_OFS corner offsets for up to three rectangles (a missing
    /// third rectangle has weight 0, which the scanner tests, as OpenCV does).
    static func haarNode(_ f: HaarCascade.HaarFeature, stride: Int, tiltedPlane: Int) -> HaarNode {
        var o = [Int32](repeating: 0, count: 12)
        var w: [Float] = [0, 0, 0]
        for (k, r) in f.rects.enumerated() {
            w[k] = r.weight
            if f.tilted {
                o[4 * k] = Int32(tiltedPlane + r.x + stride * r.y)
                o[4 * k + 1] = Int32(tiltedPlane + r.x - r.height + stride * (r.y + r.height))
                o[4 * k + 2] = Int32(tiltedPlane + r.x + r.width + stride * (r.y + r.width))
                o[4 * k + 3] = Int32(tiltedPlane + r.x + r.width - r.height + stride * (r.y + r.width + r.height))
            } else {
                o[4 * k] = Int32(r.x + stride * r.y)
                o[4 * k + 1] = Int32(r.x + r.width + stride * r.y)
                o[4 * k + 2] = Int32(r.x + stride * (r.y + r.height))
                o[4 * k + 3] = Int32(r.x + r.width + stride * (r.y + r.height))
            }
        }
        return HaarNode(o00: o[0], o01: o[1], o02: o[2], o03: o[3], o10: o[4], o11: o[5], o12: o[6], o13: o[7],
                        o20: o[8], o21: o[9], o22: o[10], o23: o[11], w0: w[0], w1: w[1], w2: w[2],
                        threshold: 0, leftValue: 0, rightValue: 0, leftChild: 0, rightChild: 0)
    }
}
