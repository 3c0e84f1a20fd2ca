// End to end through the built `emonet` executable: help, the train → eval → resume round trip on
// a small synthetic FER-format CSV, and bad input giving one clear line and a non-zero exit.
import Foundation
import TestSupport
import XCTest

final class EmoNetCommandTests: XCTestCase {
    typealias Run = CommandRun

    var directory: URL!
    override func setUp() { directory = TestPaths.temporaryDirectory("emonet-cli") }
    override func tearDown() { try? FileManager.default.removeItem(at: directory) }

    func emonet(_ arguments: [String]) throws -> Run {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), arguments, in: directory))
    }

    /// A FER-format CSV: class c is a bright square at one of seven places on noise.
    func syntheticCSV(perClass: Int, validationPerClass: Int) -> String {
        var lines = ["emotion,pixels,Usage"]
        var state: UInt64 = 12345
        func noise() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return 60 + Int((state >> 33) % 60)
        }
        for (usage, count) in [("Training", perClass), ("PublicTest", validationPerClass)] {
            for i in 0..<(count * 7) {
                let label = i % 7
                let (cx, cy) = (6 + (label % 4) * 11, 8 + (label / 4) * 22)
                var pixels: [Int] = []
                for y in 0..<48 { for x in 0..<48 { pixels.append(x >= cx && x < cx + 12 && y >= cy && y < cy + 12 ? 230 : noise()) } }
                lines.append("\(label),\(pixels.map(String.init).joined(separator: " ")),\(usage)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    func write(_ text: String, _ name: String) -> String { TestPaths.write(text, named: name, in: directory) }

    func testHelpListsEveryCommand() throws {
        let run = try emonet(["--help"])
        XCTAssertEqual(run.status, 0)
        for command in ["live", "devices", "detect", "classify", "train", "eval", "average", "quantize", "curves", "model-info"] {
            XCTAssertTrue(run.stdout.contains("  \(command)"), "help does not list \(command)")
        }
    }

    func testTrainEvaluateAndResumeOnASmallDataset() throws {
        let data = write(syntheticCSV(perClass: 16, validationPerClass: 4), "fer.csv")
        let config = write("""
            {"architecture": "tiny", "epochs": 2, "batchSize": 16, "learningRate": 0.05, "warmupEpochs": 0, "workers": 1,
             "augmentation": {"flip": false, "erasing": 0}}
            """, "config.json")
        let train = try emonet(["train", "--data", data, "--config", config, "--out", "m.safetensors"])
        XCTAssertEqual(train.status, 0, train.stderr)
        for file in ["m.safetensors", "m.checkpoint.safetensors", "m.log.json", "m.curves.png"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent(file).path), "\(file) missing")
        }
        XCTAssertTrue(train.stderr.contains("epoch 2/2"), train.stderr)

        let eval = try emonet(["eval", "--data", data, "--model", "m.safetensors", "--json"])
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let report = try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(report?["count"] as? Int, 28)
        XCTAssertNotNil(report?["accuracy"] as? Double)
        XCTAssertEqual((report?["confusion"] as? [[Int]])?.count, 7)
        XCTAssertEqual((report?["per_class"] as? [Any])?.count, 7)

        let resumed = try emonet(["train", "--data", data, "--out", "m.safetensors", "--resume", "m.checkpoint.safetensors",
                                  "--epochs", "3"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("resuming after epoch 2"), resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("epoch 3/3"), resumed.stderr)
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("m.log.json"))) as? [Any]
        XCTAssertEqual(log?.count, 3)

        let info = try emonet(["model-info", "m.safetensors"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("labels"), info.stdout)
    }

    /// `quantize` writes a calibrated copy (the source untouched), which `eval --precision int8` runs; a model
    /// without a calibration is refused in int8 with one line that says how to make one.
    func testQuantizeWritesACalibratedCopyThatRunsInInt8() throws {
        let data = write(syntheticCSV(perClass: 16, validationPerClass: 4), "fer.csv")
        let config = write("""
            {"architecture": "tiny", "epochs": 1, "batchSize": 16, "warmupEpochs": 0, "workers": 1}
            """, "config.json")
        XCTAssertEqual(try emonet(["train", "--data", data, "--config", config, "--out", "m.safetensors"]).status, 0)
        try assertOneLineError(["eval", "--data", data, "--model", "m.safetensors", "--precision", "int8"],
                               mentions: ["m.safetensors", "no int8 calibration", "emonet quantize"])
        let source = try Data(contentsOf: directory.appendingPathComponent("m.safetensors"))
        let quantize = try emonet(["quantize", "--data", data, "--model", "m.safetensors", "--out", "m8.safetensors", "--images", "64"])
        XCTAssertEqual(quantize.status, 0, quantize.stderr)
        XCTAssertTrue(quantize.stdout.contains("1 convolutions calibrated on 64 Training images"), quantize.stdout)
        XCTAssertTrue(quantize.stdout.contains("PublicTest fp32 ") && quantize.stdout.contains(", int8 "), quantize.stdout)
        XCTAssertEqual(try Data(contentsOf: directory.appendingPathComponent("m.safetensors")), source, "the source is not touched")
        try assertOneLineError(["quantize", "--data", data, "--model", "m.safetensors", "--out", "m8.safetensors"],
                               mentions: ["m8.safetensors", "--force"])
        func accuracy(_ model: String, _ precision: String) throws -> Double {
            let run = try emonet(["eval", "--data", data, "--model", model, "--precision", precision, "--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return try XCTUnwrap(report?["accuracy"] as? Double)
        }
        XCTAssertEqual(try accuracy("m8.safetensors", "fp32"), try accuracy("m.safetensors", "fp32"), "the weights are the same")
        let int8 = try accuracy("m8.safetensors", "int8")
        XCTAssertTrue((0...1).contains(int8))
        let badPercentile = try emonet(["quantize", "--data", data, "--model", "m.safetensors", "--out", "x.safetensors", "--percentile", "50"])
        XCTAssertNotEqual(badPercentile.status, 0)
        XCTAssertTrue(badPercentile.stderr.contains("--percentile must be in 90...100 (found 50.0)"), badPercentile.stderr)
    }

    /// `--ferplus` blends a line-aligned vote file into the targets (and a misaligned one is refused before
    /// training); `--out` in a folder that does not exist yet creates it before the first epoch.
    func testTrainWithFERPlusVotesIntoANewFolder() throws {
        let csv = syntheticCSV(perClass: 4, validationPerClass: 1)
        let data = write(csv, "fer.csv")
        // FER+ columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
        let ferPlusColumn = [4, 5, 6, 1, 3, 2, 0]  // EmotionLabel order -> FER+ vote column
        var votes = ["Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"]
        for (i, line) in csv.split(separator: "\n").dropFirst().enumerated() {
            var counts = [Int](repeating: 0, count: 10)
            counts[ferPlusColumn[Int(String(line.prefix(1)))!]] = 8
            counts[0] += 2
            votes.append("\(line.hasSuffix("PublicTest") ? "PublicTest" : "Training"),fer\(i).png,\(counts.map(String.init).joined(separator: ","))")
        }
        let ferPlus = write(votes.joined(separator: "\n") + "\n", "fer2013new.csv")
        let config = write("""
            {"architecture": "tiny", "epochs": 1, "batchSize": 7, "warmupEpochs": 0, "workers": 1}
            """, "config.json")
        let run = try emonet(["train", "--data", data, "--ferplus", ferPlus, "--config", config, "--out", "new/folder/m.safetensors"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stderr.contains("targets: 0.50 FER+ votes"), run.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("new/folder/m.safetensors").path))
        let info = try emonet(["model-info", "new/folder/m.safetensors"])
        XCTAssertTrue(info.stdout.contains("fer2013new.csv"), "the model should record its FER+ file: \(info.stdout)")

        let short = write(votes.dropLast(2).joined(separator: "\n") + "\n", "short.csv")
        try assertOneLineError(["train", "--data", data, "--ferplus", short, "--config", config, "--out", "x.safetensors"],
                               mentions: ["short.csv", "line-aligned"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.checkpoint.safetensors").path))
    }

    /// A constant-rate run keeps every epoch's weights (`--keep-epochs`); `emonet average` averages them,
    /// recounts the statistics, evaluates, and records its sources; a model of another architecture is refused.
    func testKeptEpochsAverageIntoOneModel() throws {
        let data = write(syntheticCSV(perClass: 16, validationPerClass: 4), "fer.csv")
        let config = write("""
            {"architecture": "tiny", "epochs": 3, "batchSize": 16, "learningRate": 0.02, "schedule": "constant", "workers": 1,
             "augmentation": {"flip": false, "erasing": 0}}
            """, "config.json")
        let train = try emonet(["train", "--data", data, "--config", config, "--out", "run/m.safetensors", "--keep-epochs"])
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stderr.contains("epoch 3/3  lr 0.02000"), "a constant schedule keeps its rate: \(train.stderr)")
        for epoch in 1...3 {
            XCTAssertTrue(FileManager.default.fileExists(atPath: directory.appendingPathComponent("run/m.epoch\(epoch).safetensors").path))
        }
        let average = try emonet(["average", "run/m.epoch2.safetensors", "run/m.epoch3.safetensors", "--data", data,
                                  "--out", "avg.safetensors", "--recount-images", "64"])
        XCTAssertEqual(average.status, 0, average.stderr)
        XCTAssertTrue(average.stdout.contains("averaged 2 model(s) → avg.safetensors: PublicTest"), average.stdout)
        XCTAssertTrue(average.stdout.contains("run/m.epoch2.safetensors: epoch 2"), average.stdout)
        XCTAssertTrue(average.stdout.contains("recounted over 64 Training images"), average.stdout)
        let info = try emonet(["model-info", "avg.safetensors"])
        XCTAssertTrue(info.stdout.contains("averaged: [{\"epoch\":2,\"file\":\"run\\/m.epoch2.safetensors\""), info.stdout)
        XCTAssertTrue(info.stdout.contains("batchnorm_recount: 64 Training images"), info.stdout)
        XCTAssertTrue(info.stdout.contains("\"trainImages\":112"), "the training facts should count the Training split: \(info.stdout)")
        let eval = try emonet(["eval", "--data", data, "--model", "avg.safetensors"])
        XCTAssertEqual(eval.status, 0, eval.stderr)

        // `eval` with several --model scores the mean of their probabilities: a model twice is that model,
        // and by convexity two different models' mean has a log loss at most their mean loss (and equal to neither).
        func loss(_ models: [String]) throws -> Double {
            let run = try emonet(["eval", "--data", data, "--json"] + models.flatMap { ["--model", $0] })
            XCTAssertEqual(run.status, 0, run.stderr)
            let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
            return try XCTUnwrap(report?["loss"] as? Double)
        }
        let (two, three) = ("run/m.epoch2.safetensors", "run/m.epoch3.safetensors")
        let (l2, l3, both) = (try loss([two]), try loss([three]), try loss([two, three]))
        XCTAssertEqual(try loss([two, two]), l2, accuracy: 1e-6)
        XCTAssertLessThanOrEqual(both, (l2 + l3) / 2 + 1e-9)
        XCTAssertNotEqual(both, l2, accuracy: 1e-6)
        XCTAssertNotEqual(both, l3, accuracy: 1e-6)
        let ensemble = try emonet(["eval", "--data", data, "--model", two, "--model", three])
        XCTAssertTrue(ensemble.stdout.contains("\(two) + \(three) on PublicTest"), ensemble.stdout)

        let other = write("""
            {"architecture": "vgg3", "epochs": 1, "batchSize": 16, "workers": 1}
            """, "other.json")
        let otherModel = try emonet(["train", "--data", data, "--config", other, "--out", "other.safetensors", "--limit-per-class", "3"])
        XCTAssertEqual(otherModel.status, 0, otherModel.stderr)
        try assertOneLineError(["average", "run/m.epoch2.safetensors", "other.safetensors", "--data", data, "--out", "x.safetensors"],
                               mentions: ["other.safetensors", "architecture"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.safetensors").path))
    }

    /// One line on stderr, naming what was wrong, and exit status 1.
    /// A config within every range that still blows up (learning rate 10, momentum 0.999, weight decay 1): the
    /// loss is nan by epoch 2. The old code trapped (SIGILL) encoding that nan into the checkpoint's history.
    func testADivergedTrainingRunStopsWithOneLineBeforeWritingTheEpoch() throws {
        let data = write(syntheticCSV(perClass: 16, validationPerClass: 4), "fer.csv")
        let config = write("""
            {"architecture": "tiny", "epochs": 6, "batchSize": 16, "learningRate": 10, "momentum": 0.999, "weightDecay": 1,
             "schedule": "constant", "warmupEpochs": 0, "workers": 1, "augmentation": {"flip": false, "erasing": 0}}
            """, "config.json")
        let run = try emonet(["train", "--data", data, "--config", config, "--out", "m.safetensors"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let last = try XCTUnwrap(run.stderr.split(separator: "\n").last.map(String.init))
        XCTAssertTrue(last.hasPrefix("emonet: training diverged in epoch "), run.stderr)
        XCTAssertTrue(last.hasSuffix("nothing of that epoch was written, the files of the epochs before it are kept; lower learningRate and train again"), last)
        let epoch = try XCTUnwrap(Int(last.dropFirst("emonet: training diverged in epoch ".count).prefix { $0.isNumber }))
        let log = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("m.log.json"))) as? [[String: Any]]
        XCTAssertEqual(log?.count, epoch - 1, "the log holds the epochs before the diverged one")
        XCTAssertTrue(log?.allSatisfy { ($0["trainLoss"] as? Double)?.isFinite == true } ?? false)
        let info = try emonet(["model-info", "m.safetensors"])
        XCTAssertEqual(info.status, 0, "the best model of the epochs before is kept whole: \(info.stderr)")
        let resumed = try emonet(["train", "--data", data, "--out", "m.safetensors", "--resume", "m.checkpoint.safetensors",
                                  "--epochs", String(epoch - 1)])
        XCTAssertEqual(resumed.status, 0, "the last good checkpoint still resumes: \(resumed.stderr)")
    }

    func assertOneLineError(_ arguments: [String], mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try emonet(arguments)
        XCTAssertEqual(run.status, 1, "exit status for \(arguments)", file: file, line: line)
        let lines = run.stderr.split(separator: "\n").filter { !$0.hasPrefix("reading") }
        XCTAssertEqual(lines.count, 1, "expected one error line, got: \(run.stderr)", file: file, line: line)
        for f in fragments { XCTAssertTrue(run.stderr.contains(f), "'\(run.stderr)' lacks '\(f)'", file: file, line: line) }
    }

    func testTheShippedModelIsFoundFromAnyWorkingDirectory() throws {
        // The test's working directory is a fresh temporary one, with no models/ in it.
        let run = try emonet(["model-info"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let shipped = TestPaths.repositoryRoot.appendingPathComponent("models/emonet.safetensors").standardized.path
        XCTAssertTrue(run.stdout.hasPrefix(shipped + ": emonet-model"), run.stdout.prefix(200) + "")
    }

    func testOutOfRangeValuesInFilesAndOptionsAreOneClearLine() throws {
        // stepSize 0 divided by zero in the learning-rate schedule, after reading the whole dataset.
        let config = write("{\"architecture\": \"tiny\", \"epochs\": 1, \"schedule\": \"step\", \"stepSize\": 0}", "zero-step.json")
        try assertOneLineError(["train", "--data", write(syntheticCSV(perClass: 1, validationPerClass: 1), "d.csv"), "--config", config,
                                "--out", "x.safetensors"], mentions: ["zero-step.json", "stepSize is 0, expected 1...10000"])
        // A scale factor just above 1 is millions of pyramid levels: refused with its range.
        for factor in ["1.000001", "inf"] {
            let run = try emonet(["detect", "--scale-factor", factor, "x.png"])
            XCTAssertNotEqual(run.status, 0)
            XCTAssertTrue(run.stderr.contains("--scale-factor must be in 1.01...10.0"), run.stderr)
        }
    }

    func testBadInputGivesOneClearLine() throws {
        try assertOneLineError(["eval", "--data", "missing.csv", "--model", "missing.safetensors"], mentions: ["missing.safetensors", "no such file"])
        let garbage = write("not a model", "garbage.safetensors")
        try assertOneLineError(["model-info", garbage], mentions: ["garbage.safetensors"])
        let small = write("{\"architecture\": \"tiny\", \"epochs\": 1, \"batchSize\": 16, \"workers\": 1}", "small.json")
        let model = try emonet(["train", "--data", write(syntheticCSV(perClass: 3, validationPerClass: 1), "ok.csv"),
                                "--config", small, "--out", "ok.safetensors"])
        XCTAssertEqual(model.status, 0, model.stderr)
        let bad = write("emotion,pixels,Usage\n1,1 2 3,Training\n", "bad.csv")
        try assertOneLineError(["eval", "--data", bad, "--model", "ok.safetensors"], mentions: ["bad.csv", "line 2", "3 pixel values"])
        let config = write("{\"epochz\": 3}", "typo.json")
        try assertOneLineError(["train", "--data", bad, "--config", config, "--out", "x.safetensors"], mentions: ["typo.json", "epochz"])
    }
}
