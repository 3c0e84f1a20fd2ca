// A model trained by PyTorch (scripts/train_torch.py) and exported in our format is scored by our engine
// as PyTorch scores it: Fixtures/torch_export.safetensors is such a model (tiny, 3 CPU epochs) and
// Fixtures/torch_export.json holds PyTorch's PublicTest accuracy for it and its prediction for the first
// 300 faces (no pixels; the script's --parity-fixture regenerates both). The scoring tests need ../shared.
import Emotion
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class TorchExportTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let modelPath = fixtures.appendingPathComponent("torch_export.safetensors").path

    /// What PyTorch made of the exported model (the JSON train_torch.py --parity-fixture writes).
    struct TorchScores: Decodable {
        var architecture, split: String
        /// The split's size, how many PyTorch classified right, and that as a fraction.
        var count, correct: Int
        var accuracy: Double
        /// PyTorch's answers for the first `faces`, and how many of them it got right (pins the data without
        /// holding its labels).
        var faces, correctInFaces: Int
        var predicted: [Int]
        var probabilities: [[Float]]
    }

    static func torchScores() throws -> TorchScores {
        let data = try Data(contentsOf: fixtures.appendingPathComponent("torch_export.json"))
        return try JSONDecoder().decode(TorchScores.self, from: data)
    }

    func testTheExportedModelLoadsAsThePresetItNamesWithTheEnginesMetadata() throws {
        let scores = try Self.torchScores()
        let model = try EmotionModel.read(path: Self.modelPath)
        XCTAssertEqual(model.file.spec, Architectures.named(scores.architecture), "the script builds another network than the preset")
        XCTAssertEqual(model.normalization.mean, 0.508, accuracy: 0.01, "not normalised as measured on the Training split")
        XCTAssertEqual(model.normalization.std, 0.255, accuracy: 0.01)
        let facts = try XCTUnwrap(model.trainingFacts, "metadata 'training' does not decode as TrainingFacts")
        XCTAssertEqual(facts.config.architecture, scores.architecture)
        XCTAssertEqual(facts.trainImages, 28_709)
        XCTAssertEqual(facts.validationAccuracy, scores.accuracy, accuracy: 1e-9, "the file's best accuracy is not the one PyTorch scored")
        XCTAssertNoThrow(try facts.config.validate(file: "torch_export.safetensors: metadata 'training'"))
    }

    func testTheEngineScoresPublicTestAsPyTorchDoes() throws {
        let data = try TestPaths.sharedFile("data/fer2013/fer2013-train-publictest.csv.gz")
        let scores = try Self.torchScores()
        let model = try EmotionModel.read(path: Self.modelPath)
        model.network.workers = 2
        let validation = try FERDataset.read(path: data.path, splits: [FERSplit(rawValue: scores.split)!])
        XCTAssertEqual(validation.count, scores.count, "not the PublicTest PyTorch scored")

        let probabilities = Evaluator.probabilities(model: model.network, dataset: validation, normalization: model.normalization)
        let report = Evaluator.report(probabilities: probabilities, dataset: validation, tta: .none)
        let k = EmotionLabel.allCases.count
        // The first largest probability, as Evaluator.report and torch.argmax take it.
        let ours = (0..<scores.faces).map { i in (1..<k).reduce(0) { probabilities[i * k + $1] > probabilities[i * k + $0] ? $1 : $0 } }
        let mismatches = zip(ours, scores.predicted).filter { $0 != $1 }.count
        let correctInFaces = zip(ours, validation.labels).filter { $0 == Int($1) }.count
        print(String(format: "  PublicTest accuracy: PyTorch %.2f%%, ours %.2f%%; %d of %d predictions differ",
                     scores.accuracy * 100, report.accuracy * 100, mismatches, scores.faces))
        XCTAssertEqual(report.accuracy * 100, scores.accuracy * 100, accuracy: 0.1, "more than 0.1 points from PyTorch's accuracy")
        XCTAssertEqual(mismatches, 0, "predictions differ from PyTorch's on \(mismatches) of the first \(scores.faces) faces")
        XCTAssertEqual(correctInFaces, scores.correctInFaces, "right on other faces of the first \(scores.faces) than PyTorch")
        // Both sides are float32 with different summation orders (and the engine folds batch norm into the
        // convolutions for inference): probabilities agree to about 1e-6; 1e-5 leaves room without hiding a layout slip.
        assertClose(Array(probabilities.prefix(scores.faces * k)), scores.probabilities.flatMap { $0 }, tolerance: 1e-5,
                    "probabilities of the first \(scores.faces) faces")
    }

    /// Its argument checks run before torch is imported, so plain python3 exercises them.
    func testTheScriptRefusesBadArgumentsAndAnEarlierRunsFilesInOneLine() throws {
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/train_torch.py").path
        let folder = TestPaths.temporaryDirectory("train-torch")
        defer { try? FileManager.default.removeItem(at: folder) }
        let earlier = TestPaths.write("an earlier run's model", named: "emonet.safetensors", in: folder)
        let data = TestPaths.write("emotion,pixels,Usage\n", named: "fer.csv", in: folder)
        let cases: [(arguments: [String], message: String)] = [
            (["--data", data, "--out", earlier], "already exists: pass --force to replace it"),
            (["--data", data, "--out", "\(folder.path)/new.safetensors", "--epochs", "0"], "--epochs is 0, expected 1...10000"),
            (["--data", data, "--out", "\(folder.path)/new.safetensors", "--arch", "vgg5"], "invalid choice: 'vgg5'"),
            (["--resume", "\(folder.path)/run.torch-checkpoint.pt", "--lr", "0.1"], "--lr cannot change"),
            (["--data", data, "--write-arrays", data], "is an input of this run; it is never written over"),
            (["--data", data, "--out", "\(folder.path)/new.safetensors", "--teacher-weight", "0.3"],
             "--teacher-weight is set but --teachers is not"),
            (["--data", data, "--out", "\(folder.path)/new.safetensors", "--teachers", "\(folder.path)/absent.safetensors"],
             "--teachers: \(folder.path)/absent.safetensors: no such file"),
            (["--data", data, "--out", earlier, "--teachers", earlier, "--force"], "a model cannot teach itself"),
            (["--evaluate", earlier], "--evaluate needs --data FER.csv[.gz] or --arrays FILE.npz[.xz]"),
            (["--evaluate", earlier, "--data", data, "--out", earlier], "--evaluate MODEL... takes only"),
        ]
        for (arguments, message) in cases {
            let run = try BuiltCommand.run(BuiltCommand.process("/usr/bin/env", ["python3", script] + arguments), timeout: 60)
            if run.status == 127 { throw XCTSkip("no python3 on the PATH") }
            XCTAssertEqual(run.status, 1, "\(arguments)")
            XCTAssertTrue(run.stderr.hasPrefix("train_torch.py: ") && run.stderr.contains(message), "\(arguments): \(run.stderr)")
            XCTAssertEqual(run.stderr.split(separator: "\n").count, 1, "\(arguments): not one line: \(run.stderr)")
        }
        XCTAssertEqual(try String(contentsOfFile: earlier, encoding: .utf8), "an earlier run's model", "the earlier run's file was touched")
    }

    /// The project's venv Python with torch (`make .venv/.ready`), else a skip: `make test` installs no torch.
    static func torchPython() throws -> String {
        let python = TestPaths.repositoryRoot.appendingPathComponent(".venv/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python),
              (try? BuiltCommand.run(BuiltCommand.process(python, ["-c", "import torch"]), timeout: 120))?.status == 0 else {
            throw XCTSkip("no .venv with torch (make .venv/.ready installs it)")
        }
        return python
    }

    /// --evaluate reads a model file of ours back into PyTorch (the teachers' path): the exported fixture must
    /// score what PyTorch scored when it wrote it, and an ensemble of that model twice must score the same.
    func testTheScriptReadsOurModelFileBackAndScoresItAsWhenItWroteIt() throws {
        let data = try TestPaths.sharedFile("data/fer2013/fer2013-train-publictest.csv.gz")
        let python = try Self.torchPython()
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/train_torch.py").path
        let run = try BuiltCommand.run(BuiltCommand.process(python, [script, "--evaluate", Self.modelPath, Self.modelPath,
                                                                     "--data", data.path, "--device", "cpu", "--threads", "2"]), timeout: 600)
        XCTAssertEqual(run.status, 0, run.stderr)
        struct Report: Decodable {
            struct Scores: Decodable { var none, flip: Double }
            var publicTest: Int
            var models: [Scores]
            var ensemble: Scores
        }
        let report = try JSONDecoder().decode(Report.self, from: Data(run.stdout.utf8))
        let scores = try Self.torchScores()
        XCTAssertEqual(report.publicTest, scores.count)
        XCTAssertEqual(report.models.count, 2)
        XCTAssertEqual(report.models[0].none, scores.accuracy, accuracy: 0.5 / Double(scores.count),
                       "the model read back does not score what PyTorch scored when it wrote it")
        XCTAssertEqual(report.ensemble.none, report.models[0].none, accuracy: 1e-12, "the mean of one model twice is that model")
        XCTAssertEqual(report.ensemble.flip, report.models[0].flip, accuracy: 1e-12)
        XCTAssertNotEqual(report.models[0].flip, report.models[0].none, "the flip views changed nothing: were they used?")
    }

    /// A student distilled from a teacher (both tiny, one epoch on a few random faces, CPU) is written with the
    /// distillation in its training facts, and the engine reads it and accepts those facts.
    func testADistilledStudentRecordsItsTeachersInFactsTheEngineAccepts() throws {
        let python = try Self.torchPython()
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/train_torch.py").path
        let folder = TestPaths.temporaryDirectory("train-torch-distil")
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SystemRandomNumberGenerator()
        var csv = "emotion,pixels,Usage\n"
        for row in 0..<160 {
            let pixels = (0..<(48 * 48)).map { _ in String(UInt8.random(in: 0...255, using: &generator)) }.joined(separator: " ")
            csv += "\(row % 7),\(pixels),\(row < 128 ? "Training" : "PublicTest")\n"
        }
        let data = TestPaths.write(csv, named: "fer.csv", in: folder)
        let teacher = folder.appendingPathComponent("teacher.safetensors").path
        let student = folder.appendingPathComponent("student.safetensors").path
        let common = ["--data", data, "--arch", "tiny", "--epochs", "1", "--batch", "32", "--device", "cpu", "--threads", "2"]
        let first = try BuiltCommand.run(BuiltCommand.process(python, [script, "--out", teacher] + common), timeout: 300)
        XCTAssertEqual(first.status, 0, first.stderr)
        let second = try BuiltCommand.run(BuiltCommand.process(python, [script, "--out", student, "--teachers", teacher,
                                                                        "--teacher-weight", "0.7"] + common), timeout: 300)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("distilling from 1 teachers (weight 0.7"), second.stderr)
        let model = try EmotionModel.read(path: student)
        let facts = try XCTUnwrap(model.trainingFacts, "metadata 'training' does not decode as TrainingFacts")
        XCTAssertEqual(facts.config.teachers, [teacher])
        XCTAssertEqual(facts.config.teacherWeight, 0.7)
        XCTAssertEqual(facts.config.teacherTTA, "flip")
        XCTAssertNoThrow(try facts.config.validate(file: "student.safetensors: metadata 'training'"))
    }

    /// The script writes each preset's architecture itself (it must run where Swift is not): every one
    /// must be the network Architectures builds. Skipped where no python3 is on the PATH.
    func testTheScriptDescribesEveryPresetAsArchitecturesDoes() throws {
        let script = TestPaths.repositoryRoot.appendingPathComponent("scripts/train_torch.py").path
        for (name, _) in Architectures.presets {
            let run = try BuiltCommand.run(BuiltCommand.process("/usr/bin/env", ["python3", script, "--print-spec", name]), timeout: 60)
            if run.status == 127 { throw XCTSkip("no python3 on the PATH") }
            XCTAssertEqual(run.status, 0, "train_torch.py --print-spec \(name): \(run.stderr)")
            let spec = try ModelSpec.from(json: run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
            XCTAssertEqual(spec, Architectures.named(name), "train_torch.py builds \(name) differently")
            XCTAssertEqual(run.stdout.trimmingCharacters(in: .newlines), Architectures.named(name)!.jsonString(),
                           "\(name): the script's JSON is not ModelSpec.jsonString()'s")
        }
    }
}
