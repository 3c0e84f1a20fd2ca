// One frame's work: full detection every N frames and regional search in between, one classifier batch
// per frame with all faces, stable track IDs and smoothing in the results.
import Emotion
import Imaging
import Pipeline
import XCTest

final class FrameProcessorTests: XCTestCase {
    private func frame(_ index: Int) -> Frame { Frame(index: index, time: Double(index), image: RGBImage(width: 16, height: 16)) }

    func testFullDetectionRunsEveryNFramesAndRegionalSearchInBetween() throws {
        let face = Rect(x: 2, y: 2, width: 8, height: 8)
        let finder = ScriptedFinder { _ in [face] }
        let processor = FrameProcessor(finder: finder, classifier: FixedClassifier(),
                                       configuration: PipelineConfiguration(detectEvery: 3))
        for i in 0..<7 { _ = try processor.process(frame(i)) }
        XCTAssertEqual(finder.calls.map(\.full), [true, false, false, true, false, false, true])
        XCTAssertEqual(finder.calls[1].regions, [face], "the regional search looks around the tracked face")
    }

    func testAFaceLostByTheRegionalSearchTriggersAFullDetectionOnTheNextFrame() throws {
        let a = Rect(x: 2, y: 2, width: 8, height: 8), b = Rect(x: 40, y: 2, width: 8, height: 8)
        // Call 0 (full): two faces; call 1 (regional): only one of them; then both again.
        let finder = ScriptedFinder { call in call == 1 ? [a] : [a, b] }
        let processor = FrameProcessor(finder: finder, classifier: FixedClassifier(),
                                       configuration: PipelineConfiguration(detectEvery: 10))
        for i in 0..<4 { _ = try processor.process(frame(i)) }
        XCTAssertEqual(finder.calls.map(\.full), [true, false, true, false])
    }

    func testAllFacesOfAFrameAreClassifiedInOneBatchWithStableTrackIDs() throws {
        let boxes = [Rect(x: 0, y: 0, width: 40, height: 40), Rect(x: 100, y: 0, width: 40, height: 40),
                     Rect(x: 200, y: 0, width: 40, height: 40)]
        let classifier = FixedClassifier { k in
            var p = [Float](repeating: 0, count: 7)
            p[k] = 1  // face k of a batch gets label k: angry, disgust, fear
            return p
        }
        let processor = FrameProcessor(finder: ScriptedFinder { _ in boxes }, classifier: classifier,
                                       configuration: PipelineConfiguration(detectEvery: 1, smoothing: 1))
        let first = try processor.process(frame(0))
        let second = try processor.process(frame(1))
        XCTAssertEqual(classifier.batchSizes, [3, 3])
        XCTAssertEqual(first.faces.map(\.box), boxes)
        XCTAssertEqual(first.faces.map(\.label), [.angry, .disgust, .fear])
        XCTAssertEqual(second.faces.map(\.track), first.faces.map(\.track))
        XCTAssertEqual(Set(first.faces.map(\.track)).count, 3)
        XCTAssertEqual(second.frameIndex, 1)
        XCTAssertEqual(Set(second.stageSeconds.keys), Set(PipelineStage.all))
    }

    func testSmoothingBlendsAcrossFramesOfTheSameTrack() throws {
        var call = 0
        let classifier = FixedClassifier { _ in
            var p = [Float](repeating: 0, count: 7)
            p[call == 0 ? EmotionLabel.sad.rawValue : EmotionLabel.happy.rawValue] = 1
            return p
        }
        let face = Rect(x: 0, y: 0, width: 10, height: 10)
        let processor = FrameProcessor(finder: ScriptedFinder { _ in [face] }, classifier: classifier,
                                       configuration: PipelineConfiguration(detectEvery: 1, smoothing: 0.4, views: .single))
        let first = try processor.process(frame(0))
        call = 1
        let second = try processor.process(frame(1))
        XCTAssertEqual(first.faces[0].label, .sad)
        XCTAssertEqual(second.faces[0].probabilities[EmotionLabel.happy.rawValue], 0.4, accuracy: 1e-6)
        XCTAssertEqual(second.faces[0].probabilities[EmotionLabel.sad.rawValue], 0.6, accuracy: 1e-6)
        XCTAssertEqual(second.faces[0].label, .sad, "one happy frame does not flip a smoothed sad face")
    }

    /// `alternate` classifies each track's face as seen, then mirrored, by turns (a new track starts as seen)
    /// and answers the mean of the latest of each view; `both` classifies both every frame; `single` never mirrors.
    func testMirroredViewsAlternatePerTrackOrComeInPairs() throws {
        func onehot(_ label: EmotionLabel) -> [Float] { (0..<7).map { $0 == label.rawValue ? 1 : 0 } }
        let a = Rect(x: 0, y: 0, width: 8, height: 8), b = Rect(x: 100, y: 0, width: 8, height: 8)
        func run(_ views: FaceViews) throws -> (FixedClassifier, [FrameResult]) {
            let classifier = FixedClassifier { _ in onehot(.sad) }
            classifier.whenMirrored = onehot(.happy)  // this "network" sees the mirror image as happy
            let processor = FrameProcessor(finder: ScriptedFinder { call in call == 0 ? [a] : [a, b] }, classifier: classifier,
                                           configuration: PipelineConfiguration(detectEvery: 1, smoothing: 1, views: views))
            return (classifier, try (0..<3).map { try processor.process(frame($0)) })
        }
        let happy = EmotionLabel.happy.rawValue, sad = EmotionLabel.sad.rawValue

        let (alternating, results) = try run(.alternate)
        XCTAssertEqual(alternating.mirrorFlags, [[false], [true, false], [false, true]])
        XCTAssertEqual(results[0].faces[0].probabilities, onehot(.sad), "a track's first frame is its one view")
        XCTAssertEqual(results[1].faces[0].probabilities[happy], 0.5)
        XCTAssertEqual(results[1].faces[0].probabilities[sad], 0.5)
        XCTAssertEqual(results[1].faces[1].probabilities, onehot(.sad), "the new track starts as seen")
        XCTAssertEqual(results[2].faces.map { $0.probabilities[happy] }, [0.5, 0.5])

        let (pairs, both) = try run(.both)
        XCTAssertEqual(pairs.batchSizes, [2, 4, 4], "each face and its mirror in one batch")
        XCTAssertEqual(pairs.mirrorFlags[1], [false, false, true, true])
        XCTAssertEqual(both[0].faces[0].probabilities[happy], 0.5)
        XCTAssertEqual(both[1].faces.map { $0.probabilities[sad] }, [0.5, 0.5])

        let (plain, single) = try run(.single)
        XCTAssertEqual(plain.mirrorFlags, [[false], [false, false], [false, false]])
        XCTAssertEqual(single[2].faces.map(\.label), [.sad, .sad])
    }

    func testNoFacesMeansNoClassifierCall() throws {
        let classifier = FixedClassifier()
        let processor = FrameProcessor(finder: ScriptedFinder { _ in [] }, classifier: classifier)
        let result = try processor.process(frame(0))
        XCTAssertTrue(result.faces.isEmpty)
        XCTAssertTrue(classifier.batchSizes.isEmpty)
    }

    func testTheJSONLineHasTheDocumentedShape() throws {
        let face = FaceResult(track: 3, box: Rect(x: 1, y: 2, width: 30, height: 40),
                              probabilities: [0.05, 0, 0.05, 0.8, 0.05, 0, 0.05])
        let line = FrameResult(frameIndex: 12, time: 0.4, faces: [face], latency: 0.0123).jsonLine
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        XCTAssertEqual(object["frame"] as? Int, 12)
        XCTAssertEqual(object["time"] as? Double, 0.4)
        let faces = try XCTUnwrap(object["faces"] as? [[String: Any]])
        XCTAssertEqual(faces.count, 1)
        XCTAssertEqual(faces[0]["track"] as? Int, 3)
        XCTAssertEqual(faces[0]["x"] as? Int, 1)
        XCTAssertEqual(faces[0]["height"] as? Int, 40)
        XCTAssertEqual(faces[0]["label"] as? String, "happy")
        XCTAssertEqual(faces[0]["confidence"] as? Double, 0.8)
        let probabilities = try XCTUnwrap(faces[0]["probabilities"] as? [String: Double])
        XCTAssertEqual(Set(probabilities.keys), Set(EmotionLabel.names))
        XCTAssertEqual(probabilities["happy"], 0.8)
        XCTAssertFalse(line.contains("\n"))
    }
}
