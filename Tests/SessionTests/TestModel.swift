// A random-weight emotion model file for tests that run the real classifier (the shipped model may not
// exist yet, and the pipeline must never be skipped for that): untrained, but the same file format,
// loading path and compute as a trained one. Written once per process into the temporary directory.
import Emotion
import Foundation

enum TestModel {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [String: String] = [:]

    /// The path of a random-weight model of `architecture` ("tiny" for speed).
    static func path(architecture: String = "tiny") throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let path = paths[architecture] { return path }
        var config = TrainingConfig()
        config.architecture = architecture
        config.epochs = 1
        config.workers = 1
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-test-\(architecture)-\(getpid()).safetensors").path
        try Trainer.untrainedModelFile(config: config).write(path: path)
        paths[architecture] = path
        return path
    }
}
