// Training end to end on small data: the loss falls and accuracy beats chance, a seeded run is
// reproducible, resuming from a checkpoint continues bit for bit, configs reject typos.
@testable import Emotion
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class TrainingTests: XCTestCase {
    /// A synthetic 7-class set: class c is a bright square at one of seven places, plus noise.
    static func synthetic(count: Int, seed: UInt64, split: FERSplit) -> FERDataset {
        var r = SeededRandom(seed: seed)
        var d = FERDataset()
        for i in 0..<count {
            let label = i % 7
            var img = (0..<2304).map { _ in UInt8(60 + Int(r.uniform() * 60)) }
            let (cx, cy) = (6 + (label % 4) * 11, 8 + (label / 4) * 22)
            for y in cy..<(cy + 12) { for x in cx..<(cx + 12) { img[y * 48 + x] = 230 } }
            d.pixels += img
            d.labels.append(UInt8(label))
            d.splits.append(split)
        }
        return d
    }

    func config(epochs: Int, workers: Int = 1) -> TrainingConfig {
        var c = TrainingConfig()
        c.architecture = "tiny"
        c.epochs = epochs
        c.batchSize = 16
        c.learningRate = 0.05
        c.warmupEpochs = 0
        c.workers = workers
        c.augmentation.rotationDegrees = 5
        c.augmentation.shift = 2
        c.augmentation.erasing = 0
        c.augmentation.flip = false  // the classes are defined by position
        return c
    }

    func testTinyNetworkLearnsTheSyntheticTask() throws {
        let trainer = try Trainer(config: config(epochs: 4), train: Self.synthetic(count: 224, seed: 1, split: .training),
                                  validation: Self.synthetic(count: 70, seed: 2, split: .publicTest))
        var records: [EpochRecord] = []
        for _ in 0..<4 { records.append(trainer.runEpoch().record) }
        for r in records {
            print(String(format: "  epoch %d: train loss %.3f, validation accuracy %.1f%%", r.epoch, r.trainLoss, r.validationAccuracy * 100))
        }
        XCTAssertLessThan(records.last!.trainLoss, records.first!.trainLoss * 0.7, "loss did not fall")
        XCTAssertGreaterThan(records.last!.validationAccuracy, 0.8, "accuracy is not far above chance (14%)")
    }

    func testSeededRunsAreIdenticalAndResumeContinuesBitForBit() throws {
        let train = Self.synthetic(count: 96, seed: 3, split: .training)
        let validation = Self.synthetic(count: 28, seed: 4, split: .publicTest)
        var c = config(epochs: 3, workers: 2)
        c.architecture = "tiny"
        // Straight through: three epochs.
        let straight = try Trainer(config: c, train: train, validation: validation)
        for _ in 0..<3 { straight.runEpoch() }
        // One epoch, checkpoint through bytes, a fresh trainer restores and runs two more.
        let first = try Trainer(config: c, train: train, validation: validation)
        first.runEpoch()
        let bytes = first.checkpoint().encoded()
        let saved = try SafeTensors.decode(bytes, file: "ckpt")
        let (savedConfig, normalization) = try Trainer.config(ofCheckpoint: saved, file: "ckpt")
        XCTAssertEqual(savedConfig, c)
        let resumed = try Trainer(config: savedConfig, train: train, validation: validation, normalization: normalization)
        try resumed.restore(saved, file: "ckpt")
        XCTAssertEqual(resumed.epochsDone, 1)
        for _ in 0..<2 { resumed.runEpoch() }
        for ((name, a), (_, b)) in zip(straight.model.namedTensors, resumed.model.namedTensors) {
            XCTAssertEqual(a.values, b.values, "\(name) differs between a straight and a resumed run")
        }
        XCTAssertEqual(straight.history.map(\.trainLoss), resumed.history.map(\.trainLoss))
        // And a second straight run with the same seed is identical too.
        let again = try Trainer(config: c, train: train, validation: validation)
        for _ in 0..<3 { again.runEpoch() }
        XCTAssertEqual(again.model.namedTensors.map(\.tensor.values), straight.model.namedTensors.map(\.tensor.values))
    }

    func testResumingWithAnotherEpochCountReplansTheCosineToEndThere() throws {
        let data = Self.synthetic(count: 32, seed: 7, split: .training)
        let c = config(epochs: 10)
        let first = try Trainer(config: c, train: data, validation: data)
        first.runEpoch()
        let saved = try SafeTensors.decode(first.checkpoint().encoded(), file: "ckpt")
        var shorter = c
        shorter.epochs = 4
        let resumed = try Trainer(config: shorter, train: data, validation: data, normalization: first.normalization)
        try resumed.restore(saved, file: "ckpt")
        let planned = LearningRateSchedule.cosine(base: c.learningRate, minimum: c.minimumLearningRate, epochs: 4, warmup: 0)
        for epoch in 1..<4 { XCTAssertEqual(resumed.schedule.rate(epoch: epoch), planned.rate(epoch: epoch)) }
        XCTAssertEqual(resumed.schedule.rate(epoch: 4), c.minimumLearningRate, accuracy: 1e-9, "the cosine does not end at the new last epoch")
        XCTAssertLessThan(resumed.schedule.rate(epoch: 2), first.schedule.rate(epoch: 2), "the schedule was not replanned")
    }

    func testCheckpointsFromAnotherArchitectureAreRefused() throws {
        let data = Self.synthetic(count: 32, seed: 5, split: .training)
        let a = try Trainer(config: config(epochs: 1), train: data, validation: data)
        var other = config(epochs: 1)
        other.architecture = "vgg3"
        let b = try Trainer(config: other, train: data, validation: data)
        XCTAssertThrowsError(try b.restore(a.checkpoint(), file: "a.ckpt")) { error in
            XCTAssertTrue(error.localizedDescription.contains("a.ckpt"))
            XCTAssertTrue(error.localizedDescription.contains("architecture"))
        }
    }

    func testAWarmStartBeginsFromTheFilesWeightsAndRefusesAnotherArchitecture() throws {
        let data = Self.synthetic(count: 64, seed: 6, split: .training)
        let first = try Trainer(config: config(epochs: 1), train: data, validation: data)
        first.runEpoch()
        let file = try ModelFile.decode(first.modelFile().encoded(), file: "first.safetensors")
        var c = config(epochs: 1)
        c.seed = 9  // a different random initialisation, overwritten by the file
        let warm = try Trainer(config: c, train: data, validation: data)
        XCTAssertNotEqual(warm.model.namedTensors.map(\.tensor.values), first.model.namedTensors.map(\.tensor.values))
        try warm.initialize(from: file)
        for ((name, a), (_, b)) in zip(first.model.namedTensors, warm.model.namedTensors) {
            XCTAssertEqual(a.values, b.values, "\(name) was not taken from the file")
        }
        var other = config(epochs: 1)
        other.architecture = "vgg3"
        XCTAssertThrowsError(try Trainer(config: other, train: data, validation: data).initialize(from: file)) { error in
            XCTAssertTrue(error.localizedDescription.contains("first.safetensors"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("architecture"), error.localizedDescription)
        }
    }

    func testConfigFilesRejectUnknownKeysAndBadValues() {
        func rejects(_ json: String, _ fragment: String) {
            XCTAssertThrowsError(try TrainingConfig.decode(json: Data(json.utf8), file: "c.json")) { error in
                let m = error.localizedDescription
                XCTAssertTrue(m.contains("c.json") && m.contains(fragment), "'\(m)' lacks '\(fragment)'")
            }
        }
        rejects("{\"epoch\": 3}", "unknown key 'epoch'")
        rejects("{\"augmentation\": {\"flipp\": true}}", "augmentation.flipp")
        rejects("{\"epochs\": \"many\"}", "epochs")
        rejects("{\"optimizer\": \"rmsprop\"}", "rmsprop")
        rejects("{\"architecture\": \"resnet\"}", "resnet")
        rejects("[1, 2]", "not a JSON object")
        rejects("{\"teacherWeight\": 0.5}", "teachers")
        rejects("{\"teachers\": [\"t.safetensors\"], \"teacherWeight\": 1.5}", "teacherWeight")
        rejects("{\"teachers\": [\"t.safetensors\"], \"teacherTemperature\": 0}", "teacherTemperature")
        rejects("{\"teachers\": [\"t.safetensors\"], \"teacherTTA\": \"mirror\"}", "teacherTTA 'mirror'")
        rejects("{\"teacherTTA\": \"flip\"}", "teachers")
    }

    func testEveryNumberInAConfigIsCheckedAgainstItsRange() throws {
        func rejects(_ json: String, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try TrainingConfig.decode(json: Data(json.utf8), file: "c.json"), file: file, line: line) { error in
                let m = error.localizedDescription
                XCTAssertTrue(m.hasPrefix("c.json: ") && m.contains(fragment), "'\(m)' lacks '\(fragment)'", file: file, line: line)
            }
        }
        // stepSize 0 divided by zero in the schedule (a trap); the others trained on NaN or ran without end.
        rejects("{\"stepSize\": 0}", "stepSize is 0, expected 1...10000")
        rejects("{\"epochs\": 1000000000}", "epochs is 1000000000, expected 1...10000")
        rejects("{\"learningRate\": 1e30}", "learningRate is")
        rejects("{\"momentum\": 1.5}", "momentum is 1.5, expected [0.0, 0.999]")
        rejects("{\"weightDecay\": -1}", "weightDecay is -1.0")
        rejects("{\"warmupEpochs\": -2}", "warmupEpochs is -2")
        rejects("{\"stepGamma\": 0}", "stepGamma is 0.0, expected (0.0, 1.0]")
        rejects("{\"plateauFactor\": 2}", "plateauFactor is 2.0")
        rejects("{\"plateauPatience\": -1}", "plateauPatience is -1")
        rejects("{\"augmentation\": {\"shift\": 1000}}", "augmentation.shift is 1000.0, expected [0.0, 24.0]")
        rejects("{\"augmentation\": {\"erasing\": 2}}", "augmentation.erasing is 2.0")
        // The shipped recipes are all in range.
        for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.repositoryRoot.appendingPathComponent("models").path)
            where name.hasSuffix(".config.json") {
            let path = TestPaths.repositoryRoot.appendingPathComponent("models/\(name)").path
            XCTAssertNoThrow(try TrainingConfig.decode(json: Data(contentsOf: URL(fileURLWithPath: path)), file: path))
        }
    }

    func testACheckpointsConfigIsCheckedAsAConfigFileIs() throws {
        let data = Self.synthetic(count: 32, seed: 5, split: .training)
        let saved = try Trainer(config: config(epochs: 1), train: data, validation: data).checkpoint()
        var edited = saved
        var stored = try JSONSerialization.jsonObject(with: Data(saved.metadata["config"]!.utf8)) as! [String: Any]
        stored["stepSize"] = 0
        edited.metadata["config"] = String(decoding: try JSONSerialization.data(withJSONObject: stored), as: UTF8.self)
        XCTAssertThrowsError(try Trainer.config(ofCheckpoint: edited, file: "a.ckpt")) { error in
            XCTAssertEqual(error.localizedDescription, "a.ckpt: metadata 'config': stepSize is 0, expected 1...10000")
        }
        XCTAssertNoThrow(try Trainer.config(ofCheckpoint: saved, file: "a.ckpt"))
        let c = try? TrainingConfig.decode(json: Data("{\"epochs\": 3, \"augmentation\": {\"flip\": false}}".utf8), file: "c.json")
        XCTAssertEqual(c?.epochs, 3)
        XCTAssertEqual(c?.augmentation.flip, false)
        XCTAssertEqual(c?.augmentation.shift, AugmentationConfig().shift, "unset keys keep their defaults")
    }

    func testADistilledStudentLearnsTheTeachersAnswersRatherThanItsLabels() throws {
        let train = Self.synthetic(count: 224, seed: 1, split: .training)
        let validation = Self.synthetic(count: 70, seed: 2, split: .publicTest)
        let teacherRun = try Trainer(config: config(epochs: 4), train: train, validation: validation)
        for _ in 0..<4 { teacherRun.runEpoch() }
        XCTAssertGreaterThan(teacherRun.history.last!.validationAccuracy, 0.8)
        let teacher = try EmotionModel(file: ModelFile.decode(teacherRun.modelFile().encoded(), file: "teacher.safetensors"))
        // Every label is wrong: each image is labelled as the next class.
        var mislabelled = train
        mislabelled.labels = train.labels.map { ($0 + 1) % 7 }
        func student(weight: Float) throws -> Double {
            var c = config(epochs: 4)
            c.seed = 3
            c.teachers = ["teacher.safetensors"]
            c.teacherWeight = weight
            let s = try Trainer(config: c, train: mislabelled, validation: validation)
            try s.distill(from: [teacher])
            for _ in 0..<4 { s.runEpoch() }
            return s.history.last!.validationAccuracy
        }
        // All teacher: right answers, though no label is right.
        XCTAssertGreaterThan(try student(weight: 1), 0.8)
        // No teacher: the wrong labels are learnt.
        XCTAssertLessThan(try student(weight: 0), 0.2)
        var c = config(epochs: 1)
        c.teachers = ["other.safetensors"]
        XCTAssertThrowsError(try Trainer(config: c, train: train, validation: validation).distill(from: [teacher])) { error in
            XCTAssertTrue(error.localizedDescription.contains("teacher"), error.localizedDescription)
        }
    }

    func testTeachersSeeTheirOwnNormalisationTheTemperatureSoftensAndFlipAverages() throws {
        let data = Self.synthetic(count: 64, seed: 8, split: .training)
        let teacherRun = try Trainer(config: config(epochs: 1), train: data, validation: data)
        teacherRun.runEpoch()
        let teacher = try EmotionModel(file: ModelFile.decode(teacherRun.modelFile().encoded(), file: "teacher.safetensors"))
        var c = config(epochs: 1)
        c.teachers = ["teacher.safetensors"]
        c.teacherTemperature = 2
        let studentNormalization = Normalization(mean: 0.9, std: 0.05)  // far from the teacher's
        let student = try Trainer(config: c, train: data, validation: data, normalization: studentNormalization)
        try student.distill(from: [teacher])
        let n = 16, pixels = FERDataset.pixelsPerImage
        let studentInput = Tensor(shape: [n, 1, 48, 48]), teacherInput = Tensor(shape: [n, 1, 48, 48])
        for i in 0..<(n * pixels) {
            studentInput[i] = Float(data.pixels[i]) / 255
            teacherInput[i] = studentInput[i]
        }
        studentNormalization.apply(studentInput.data, count: n * pixels)
        teacher.normalization.apply(teacherInput.data, count: n * pixels)
        func taught(by student: Trainer) -> Tensor {
            let got = Tensor(shape: [n, 7])
            student.teacherProbabilities(studentInput, into: got, scratch: Tensor(shape: studentInput.shape),
                                         viewed: Tensor(shape: studentInput.shape), probabilities: Tensor(shape: [n, 7]))
            return got
        }
        func softened(_ input: Tensor) -> Tensor {
            let logits = teacher.network.forward(input, training: false).clone()
            for i in 0..<logits.count { logits[i] /= 2 }
            let expected = Tensor(shape: [n, 7])
            SoftmaxCrossEntropy.softmax(logits, into: expected)
            return expected
        }
        let got = taught(by: student), plain = softened(teacherInput)
        for i in 0..<plain.count { XCTAssertEqual(got[i], plain[i], accuracy: 1e-4, "probability \(i)") }

        // With teacherTTA "flip" the teacher's answer is the mean over the face and its mirror.
        c.teacherTTA = "flip"
        let flipStudent = try Trainer(config: c, train: data, validation: data, normalization: studentNormalization)
        try flipStudent.distill(from: [teacher])
        let mirroredInput = Tensor(shape: [n, 1, 48, 48])
        for i in 0..<(n * pixels) { mirroredInput[i] = teacherInput[i - i % 48 + 47 - i % 48] }
        let mirrored = softened(mirroredInput), flipped = taught(by: flipStudent)
        var moved = 0.0
        for i in 0..<plain.count {
            XCTAssertEqual(flipped[i], (plain[i] + mirrored[i]) / 2, accuracy: 1e-4, "flip probability \(i)")
            moved += Double(abs(flipped[i] - plain[i]))
        }
        XCTAssertGreaterThan(moved, 1e-3, "the mirror changed nothing, so this test shows nothing")
    }

    func testAugmentationOffIsTheIdentityAndFlipMirrors() {
        let source = (0..<2304).map { UInt8($0 % 251) }
        var out = [Float](repeating: 0, count: 2304)
        var r = SeededRandom(seed: 1)
        source.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                Augmenter.augment(s.baseAddress!, into: o.baseAddress!, config: .none, random: &r)
            }
        }
        XCTAssertLessThan(Numerics.maxDifference(out, source.map { Float($0) / 255 }), 1e-6, "augmentation off changed the image")
        var flipOnly = AugmentationConfig.none
        flipOnly.flip = true
        var sawMirror = false
        for seed in 0..<8 {
            var r = SeededRandom(seed: UInt64(seed))
            source.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in Augmenter.augment(s.baseAddress!, into: o.baseAddress!, config: flipOnly, random: &r) }
            }
            let mirrored = (0..<2304).map { Float(source[($0 / 48) * 48 + 47 - $0 % 48]) / 255 }
            if Numerics.maxDifference(out, mirrored) < 1e-6 { sawMirror = true } else {
                XCTAssertLessThan(Numerics.maxDifference(out, source.map { Float($0) / 255 }), 1e-6, "neither the image nor its mirror")
            }
        }
        XCTAssertTrue(sawMirror, "eight draws never flipped")
    }

    func testEvaluationMetricsOnAHandMadeCase() {
        // truth:     0 0 1 1 2 ; predicted: 0 1 1 1 0
        let report = EvaluationReport(truth: [0, 0, 1, 1, 2], predicted: [0, 1, 1, 1, 0], loss: 0, tta: .none)
        XCTAssertEqual(report.accuracy, 0.6, accuracy: 1e-12)
        XCTAssertEqual(report.confusion[0], [1, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(report.perClass[1].precision, 2.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(report.perClass[1].recall, 1, accuracy: 1e-12)
        XCTAssertEqual(report.perClass[0].f1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(report.perClass[2].f1, 0)

        // The text table's columns line up whatever the label's length: each row as wide as the header.
        let lines = report.table().split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let header = lines.firstIndex { $0.hasPrefix("class") }!
        let rows = lines[(header + 1)...].prefix(7)
        XCTAssertEqual(rows.map(\.count), [Int](repeating: lines[header].count, count: 7), rows.joined(separator: "\n"))
        XCTAssertTrue(rows.last!.hasPrefix("neutral   "))
    }
}
