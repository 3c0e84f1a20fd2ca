// The emotion model behind `emonet live`: where it is by default and how a missing one is explained.
import Emotion
import Foundation
import Pipeline

enum LiveModel {

    struct Missing: Error, LocalizedError {
        let path: String
        var errorDescription: String? {
            "model file \(path) not found: train one with `make train DATA=path/to/fer2013.csv` "
                + "(writes \(ModelPaths.relativeModel)) or pass --model PATH"
        }
    }

    /// The classifier for `path`; a missing file is a one-line error saying how to get a model.
    static func loadClassifier(path: String) throws -> FaceClassifying {
        guard FileManager.default.fileExists(atPath: path) else { throw Missing(path: path) }
        return try EmotionClassifier(path: path)
    }
}
