// The classifier the pipeline benchmark uses: the real emotion model when one is given. Without a model
// the classify stage does no work (uniform probabilities) and the report says "no classifier", so such
// numbers are never mistaken for the full pipeline's.
import Emotion
import Foundation
import Imaging
import Pipeline

enum BenchClassifier {
    /// Uniform probabilities and no work: stands for "no classifier" and is labelled as such in the report.
    final class NotMeasured: FaceClassifying, @unchecked Sendable {
        func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
            faces.map { _ in [Float](repeating: 1.0 / 7, count: 7) }
        }
    }

    static func make(modelPath: String?, workers: Int) throws -> (classifier: FaceClassifying, isReal: Bool) {
        guard let modelPath else { return (NotMeasured(), false) }
        // EMONET_BENCH_PRECISION=int8 measures the model's int8 network (`--precision int8`).
        let model = try EmotionModel.read(path: modelPath)
        let int8 = ProcessInfo.processInfo.environment["EMONET_BENCH_PRECISION"] == "int8"
        return (EmotionClassifier(model: model, workers: workers, precision: try model.precision(int8: int8)), true)
    }
}
