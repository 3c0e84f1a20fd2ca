// FER+ votes: read into FER-2013's class order, malformed rows named by line, blended into training
// targets only when the two files are line-aligned, and the trainer actually learns from the blend.
import Emotion
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class FERPlusTests: XCTestCase {
    var dir: URL!

    override func setUp() { dir = TestPaths.temporaryDirectory("ferplus") }
    override func tearDown() { try? FileManager.default.removeItem(at: dir) }

    static let header = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF\n"

    func write(_ text: String, name: String = "votes.csv") -> String { TestPaths.write(text, named: name, in: dir) }

    func testVotesAreReadInFER2013ClassOrderAndNormalised() throws {
        let path = write(Self.header
            + "Training,fer0.png,2,8,0,0,0,0,0,0,0,0\n"        // neutral 2, happiness 8
            + "PublicTest,fer1.png,0,0,1,2,3,1,1,1,1,0\n"      // surprise 1 sad 2 anger 3 disgust 1 fear 1 (+ contempt, unknown)
            + "Training,fer2.png,0,0,0,0,0,0,0,2,0,8\n")       // only contempt and not-a-face
        let votes = try FERPlusVotes.read(path: path)
        XCTAssertEqual(votes.count, 3)
        XCTAssertEqual(votes.splits, [.training, .publicTest, .training])
        // EmotionLabel order: angry, disgust, fear, happy, sad, surprise, neutral.
        XCTAssertEqual(votes.distribution(0).map(Array.init), [0, 0, 0, 0.8, 0, 0, 0.2])
        let eighths: [Float] = [3, 1, 1, 0, 2, 1, 0].map { $0 / 8 }
        XCTAssertEqual(votes.distribution(1).map(Array.init), eighths)
        XCTAssertNil(votes.distribution(2), "a row with no vote for the seven classes has no distribution")
        let training = try FERPlusVotes.read(path: path, splits: [.training])
        XCTAssertEqual(training.count, 2)
        XCTAssertNil(training.distribution(1))
    }

    func testMalformedVoteFilesAreRejectedWithLineAndReason() {
        func rejects(_ text: String, _ fragments: [String]) {
            let path = write(text)
            XCTAssertThrowsError(try FERPlusVotes.read(path: path)) { error in
                let m = error.localizedDescription
                XCTAssertTrue(m.contains(path), "'\(m)' does not name the file")
                for f in fragments { XCTAssertTrue(m.contains(f), "'\(m)' lacks '\(f)'") }
            }
        }
        let good = "Training,a.png,10,0,0,0,0,0,0,0,0,0\n"
        rejects(Self.header + good + "Training,b.png,1,2,3\n", ["line 3", "5 comma-separated fields, expected 12"])
        rejects(Self.header + "Training,b.png,1,-2,0,0,0,0,0,0,0,0\n", ["line 2", "'-2'", "column 4"])
        rejects(Self.header + "Training,b.png,1,x,0,0,0,0,0,0,0,0\n", ["line 2", "'x'"])
        rejects(Self.header + "Validation,b.png,1,0,0,0,0,0,0,0,0,0\n", ["line 2", "Usage 'Validation'"])
        rejects("emotion,pixels,Usage\n" + good, ["header", "neutral,happiness"])
        rejects("", ["empty"])
        rejects(Self.header, ["no rows"])
    }

    func testBlendedTargetsMixVotesAndLabelAndRequireAlignedFiles() throws {
        var data = TrainingTests.synthetic(count: 3, seed: 1, split: .training)
        data.labels = [3, 4, 0]
        let votes = try FERPlusVotes.read(path: write(Self.header
            + "Training,a.png,2,8,0,0,0,0,0,0,0,0\n"
            + "Training,b.png,5,0,0,5,0,0,0,0,0,0\n"
            + "Training,c.png,0,0,0,0,0,0,0,0,0,10\n"))
        let t = try votes.softTargets(for: data, weight: 0.5, file: "votes.csv")
        XCTAssertEqual(Array(t[0..<7]), [0, 0, 0, 0.9, 0, 0, 0.1])     // label happy + votes 0.8 happy / 0.2 neutral
        XCTAssertEqual(Array(t[7..<14]), [0, 0, 0, 0, 0.75, 0, 0.25])  // label sad + votes 0.5 sad / 0.5 neutral
        XCTAssertEqual(Array(t[14..<21]), [1, 0, 0, 0, 0, 0, 0], "no usable vote: the label alone")
        let votesOnly = try votes.softTargets(for: data, weight: 1, file: "votes.csv")
        XCTAssertEqual(Array(votesOnly[7..<14]), [0, 0, 0, 0, 0.5, 0, 0.5])

        var shorter = data
        shorter.labels.removeLast(); shorter.splits.removeLast(); shorter.pixels.removeLast(2304)
        XCTAssertThrowsError(try votes.softTargets(for: shorter, weight: 0.5, file: "votes.csv")) { error in
            XCTAssertTrue(error.localizedDescription.contains("votes.csv") && error.localizedDescription.contains("line-aligned"))
        }
        var otherSplit = data
        otherSplit.splits[1] = .publicTest
        XCTAssertThrowsError(try votes.softTargets(for: otherSplit, weight: 0.5, file: "votes.csv")) { error in
            XCTAssertTrue(error.localizedDescription.contains("line 3"), error.localizedDescription)
        }
    }

    func testConfigsAcceptTheFERPlusKeysAndOlderConfigsStillRead() throws {
        let c = try TrainingConfig.decode(json: Data("{\"ferPlusVotes\": \"v.csv\", \"ferPlusWeight\": 0.3}".utf8), file: "c.json")
        XCTAssertEqual(c.ferPlusVotes, "v.csv")
        XCTAssertEqual(c.ferPlusWeight, 0.3)
        XCTAssertThrowsError(try TrainingConfig.decode(json: Data("{\"ferPlusWeight\": 0.3}".utf8), file: "c.json")) { error in
            XCTAssertTrue(error.localizedDescription.contains("ferPlusVotes"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TrainingConfig.decode(json: Data("{\"ferPlusVotes\": \"v.csv\", \"ferPlusWeight\": 1.5}".utf8), file: "c.json"))
        // A checkpoint's stored config from before these keys existed (JSONDecoder, not the merging reader).
        var old = try JSONSerialization.jsonObject(with: Data(TrainingConfig().jsonString().utf8)) as! [String: Any]
        old.removeValue(forKey: "ferPlusVotes"); old.removeValue(forKey: "ferPlusWeight")
        let decoded = try JSONDecoder().decode(TrainingConfig.self, from: JSONSerialization.data(withJSONObject: old))
        XCTAssertNil(decoded.ferPlusVotes)
    }

    func testTrainingFollowsTheSoftTargets() throws {
        // Same data, seed and schedule; the targets put 0.9 of each image's mass on the next class. A
        // trainer that ignored the soft targets would learn the labels; this one must learn the shift.
        let train = TrainingTests.synthetic(count: 224, seed: 1, split: .training)
        var soft = train
        soft.softTargets = []
        for label in train.labels {
            var row = [Float](repeating: 0.1 / 6, count: 7)
            row[(Int(label) + 1) % 7] = 0.9
            soft.softTargets! += row
        }
        var c = TrainingConfig()
        c.architecture = "tiny"; c.epochs = 4; c.batchSize = 16; c.learningRate = 0.05; c.warmupEpochs = 0; c.workers = 1
        c.augmentation = .none; c.labelSmoothing = 0
        let validation = TrainingTests.synthetic(count: 70, seed: 2, split: .publicTest)
        let trainer = try Trainer(config: c, train: soft, validation: validation)
        for _ in 0..<4 { trainer.runEpoch() }
        let net = trainer.model
        let input = Tensor(shape: [70, 1, 48, 48])
        for i in 0..<70 * 2304 { input.data[i] = Float(validation.pixels[i]) / 255 }
        trainer.normalization.apply(input.data, count: 70 * 2304)
        let logits = net.forward(input, training: false)
        var shifted = 0
        for i in 0..<70 {
            var best = 0
            for k in 1..<7 where logits[i * 7 + k] > logits[i * 7 + best] { best = k }
            if best == (Int(validation.labels[i]) + 1) % 7 { shifted += 1 }
        }
        XCTAssertGreaterThan(shifted, 56, "the network should predict the soft targets' class for most images (\(shifted)/70)")
    }
}
