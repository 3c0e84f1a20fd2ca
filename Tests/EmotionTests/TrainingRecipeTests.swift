// The shipped model's recipe (models/emonet.recipe.json), which `make train STAGE=k` replays from a clone:
// every stage's config is one the trainer accepts, every stage starts from outputs of stages before it
// (so nothing it names has to come from outside runs/), and its last stage is how the shipped model says
// it was trained.
import Emotion
import Foundation
import TestSupport
import XCTest

final class TrainingRecipeTests: XCTestCase {
    let recipePath = TestPaths.repositoryRoot.appendingPathComponent("models/emonet.recipe.json").path

    struct Stage {
        var name: String
        var out: String
        var config: TrainingConfig
        var keepEpochs: Bool
        var stopAfterEpoch: Int?
        var averageEpochs: [Int]
        var averageOut: String?
        var shipped: Bool

        /// Every file the stage leaves in runs/ for later stages.
        var outputs: Set<String> {
            let stem = String(out.dropLast(".safetensors".count))
            var files: Set<String> = [out]
            if keepEpochs { files.formUnion((1...(stopAfterEpoch ?? config.epochs)).map { "\(stem).epoch\($0).safetensors" }) }
            if let averageOut { files.insert(averageOut) }
            return files
        }
    }

    func readRecipe() throws -> (object: [String: Any], stages: [Stage]) {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: recipePath), "\(recipePath) is missing")
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["format"] as? String, "emonet-recipe")
        XCTAssertEqual(object["version"] as? Int, 1)
        let list = try XCTUnwrap(object["stages"] as? [[String: Any]])
        let stages = try list.map { entry -> Stage in
            let name = try XCTUnwrap(entry["stage"] as? String)
            let raw = try XCTUnwrap(entry["config"] as? [String: Any], "stage \(name) has no config")
            let config = try TrainingConfig.decode(json: try JSONSerialization.data(withJSONObject: raw), file: "recipe stage \(name)")
            try config.validate(file: "recipe stage \(name)")
            let average = entry["average"] as? [String: Any]
            return Stage(name: name, out: try XCTUnwrap(entry["out"] as? String), config: config,
                         keepEpochs: entry["keepEpochs"] as? Bool ?? false, stopAfterEpoch: entry["stopAfterEpoch"] as? Int,
                         averageEpochs: average?["epochs"] as? [Int] ?? [], averageOut: average?["out"] as? String,
                         shipped: entry["shipped"] as? Bool ?? true)
        }
        return (object, stages)
    }

    func testEveryStageIsAConfigTheTrainerAcceptsWritingUnderRuns() throws {
        let stages = try readRecipe().stages
        XCTAssertEqual(stages.filter(\.shipped).map(\.name), ["1", "2", "3", "4", "6", "7", "9", "10"], "the shipped model's lineage, in order")
        XCTAssertEqual(Set(stages.map(\.out)).count, stages.count, "two stages write the same model")
        for stage in stages {
            XCTAssertTrue(stage.out.hasPrefix("runs/stage") || stage.out.hasPrefix("runs/\(stage.name)/"), "stage \(stage.name) writes \(stage.out)")
            if let stop = stage.stopAfterEpoch { XCTAssertLessThanOrEqual(stop, stage.config.epochs, "stage \(stage.name)") }
            if !stage.averageEpochs.isEmpty {
                XCTAssertTrue(stage.keepEpochs, "stage \(stage.name) averages epochs it does not keep")
                XCTAssertTrue(stage.averageEpochs.allSatisfy { 1...stage.config.epochs ~= $0 }, "stage \(stage.name) averages \(stage.averageEpochs)")
            }
        }
    }

    func testEachStageStartsFromWhatAnEarlierStageWrites() throws {
        let stages = try readRecipe().stages
        var written = Set<String>()
        for stage in stages {
            for input in [stage.config.initialWeights].compactMap({ $0 }) + (stage.config.teachers ?? []) {
                XCTAssertTrue(written.contains(input), "stage \(stage.name) starts from \(input), which no earlier stage writes")
            }
            written.formUnion(stage.outputs)
        }
        let stage1 = try XCTUnwrap(stages.first)
        XCTAssertNil(stage1.config.initialWeights, "stage 1 starts from random weights")
    }

    func testTheLastStageIsHowTheShippedModelSaysItWasTrained() throws {
        let (object, stages) = try readRecipe()
        let last = try XCTUnwrap(stages.last(where: \.shipped))
        XCTAssertEqual(object["shipped"] as? String, last.averageOut, "the recipe's shipped model is its last stage's average")
        let model = try EmotionModel.read(path: TestPaths.repositoryRoot.appendingPathComponent("models/emonet.safetensors").path)
        var trained = try XCTUnwrap(model.trainingFacts?.config, "the shipped model has no training config")
        // The run named its inputs where that sitting kept them; the recipe names them as stage 9's output.
        trained.initialWeights = last.config.initialWeights
        trained.teachers = last.config.teachers
        XCTAssertEqual(trained, last.config)
        XCTAssertEqual(model.trainingFacts?.epochs, last.config.epochs)
        // Its int8 calibration is the recipe's last step (`emonet quantize`), with the recipe's settings.
        let int8 = try XCTUnwrap(object["int8"] as? [String: Any], "the recipe has no int8 step")
        let calibration = try XCTUnwrap(model.int8Calibration, "the shipped model carries no int8 calibration")
        XCTAssertEqual(calibration.images, int8["images"] as? Int)
        XCTAssertEqual(calibration.percentile, int8["percentile"] as? Double)
        XCTAssertEqual(calibration.activationScales.count, 6, "vgg4s: every convolution after the first")
    }
}
