// The classifier the product runs: faces (boxes in a gray frame) in, seven probabilities each out,
// all faces of a frame in one batch. Optional mirror test-time augmentation doubles the batch.
// Not thread-safe: one instance per processing queue (its buffers are reused call after call).
import Imaging
import NeuralNet

public final class EmotionClassifier {
    public let model: EmotionModel
    /// `.flip` averages each face with its mirror image (twice the work, usually a little more accurate).
    public var testTimeAugmentation: TestTimeAugmentation
    /// The model's network fused for inference (a snapshot of its weights at init).
    private let network: InferenceNetwork
    private let input = Tensor(shape: [0])
    private let probabilities = Tensor(shape: [0])
    private let crop = Tensor(shape: [FERDataset.side * FERDataset.side])

    /// `precision`: `.float32`, or the model's `precision(int8: true)`.
    public init(model: EmotionModel, testTimeAugmentation: TestTimeAugmentation = .none, workers: Int = 1,
                precision: InferencePrecision = .float32) {
        precondition(testTimeAugmentation != .crops, "crops TTA is for evaluation; live classification uses none or flip")
        self.model = model
        self.testTimeAugmentation = testTimeAugmentation
        network = InferenceNetwork(model.network, workers: workers, precision: precision)
    }

    public convenience init(path: String, testTimeAugmentation: TestTimeAugmentation = .none, workers: Int = 1) throws {
        self.init(model: try EmotionModel.read(path: path), testTimeAugmentation: testTimeAugmentation, workers: workers)
    }

    /// Seven probabilities (EmotionLabel order) for each face box of `image`.
    public func classify(_ image: GrayImage, faces: [Rect]) throws -> [[Float]] {
        try classify(image, faces: faces, mirrored: [Bool](repeating: false, count: faces.count))
    }

    /// As `classify(_:faces:)`, the crop of face i mirrored left to right first when `mirror[i]`.
    public func classify(_ image: GrayImage, faces: [Rect], mirrored mirror: [Bool]) throws -> [[Float]] {
        try classify(image, faces: faces, angles: [Double](repeating: 0, count: faces.count), mirrored: mirror)
    }

    /// As `classify(_:faces:mirrored:)` for faces found tilted: box i turned `angles[i]` degrees clockwise
    /// about its centre, its crop sampled along the turned box so the network sees the face upright
    /// (`FaceCrop.extract(_:box:angle:normalization:into:)`; angle 0 is the upright crop).
    public func classify(_ image: GrayImage, faces: [Rect], angles: [Double], mirrored mirror: [Bool]? = nil) throws -> [[Float]] {
        let mirror = mirror ?? [Bool](repeating: false, count: faces.count)
        precondition(mirror.count == faces.count && angles.count == faces.count, "one mirror flag and one angle per face")
        guard !faces.isEmpty else { return [] }
        let side = FERDataset.side, pixels = side * side, k = EmotionLabel.allCases.count
        let mirrored = testTimeAugmentation == .flip
        let n = faces.count * (mirrored ? 2 : 1)
        input.reshape([n, 1, side, side])
        for (i, box) in faces.enumerated() {
            FaceCrop.extract(image, box: box, angle: angles[i], normalization: model.normalization, into: crop.data)
            let face = UnsafePointer(crop.data)
            TestTimeAugmentation.copyView(face, into: input.data + i * pixels, side: side, dx: 0, dy: 0,
                                          mirror: mirror[i]) { $0 }
            if mirrored {
                TestTimeAugmentation.copyView(face, into: input.data + (faces.count + i) * pixels, side: side,
                                              dx: 0, dy: 0, mirror: !mirror[i]) { $0 }
            }
        }
        SoftmaxCrossEntropy.softmax(network.forward(input), into: probabilities)
        return (0..<faces.count).map { i in
            (0..<k).map { c in
                mirrored ? (probabilities[i * k + c] + probabilities[(faces.count + i) * k + c]) / 2 : probabilities[i * k + c]
            }
        }
    }
}
