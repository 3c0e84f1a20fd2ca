// `emonet model-info`: what a model file is (architecture, labels, training facts, cost).
import ArgumentParser
import Foundation
import NeuralNet

struct ModelInfo: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model-info", abstract: "Describe a model file: architecture, labels, cost, training facts.")

    @Argument(help: "A model file (.safetensors).")
    var model: String = ModelPaths.defaultModel

    func run() throws {
        try CLIErrors.reporting {
            let file = try ModelFile.read(path: model)
            print(file.summary())
        }
    }
}
