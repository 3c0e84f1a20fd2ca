// Faces at an angle through the live path's finder (issue 19 items 1-2, 4): a video's full scans take turns
// through the multi-pose scans, a track is searched again at its own angle between full scans (so a head
// that tilts slowly stays one track), and the angle and pose reach the classifier and the result. The
// astronaut portrait from ../shared (skipped without it) is turned with ImageRotation.
import Emotion
import FaceDetection
import ImageIO
import Imaging
@testable import Pipeline
import TestSupport
import XCTest

final class TurnedFacesTests: XCTestCase {
    /// The live finder with the multi-pose search (no verifier: these tests are about the search).
    func multiPoseFinder() throws -> CascadeFaceFinder {
        let assets = TestPaths.repositoryRoot.appendingPathComponent("assets/cascades")
        let frontal = FaceDetector(cascade: try CascadeLocator.load(path: assets.appendingPathComponent("haarcascade_frontalface_default.xml").path))
        let profile = FaceDetector(cascade: try CascadeLocator.load(path: assets.appendingPathComponent("haarcascade_profileface.xml").path))
        return CascadeFaceFinder(detector: frontal, poseSearch: MultiPoseDetector(frontal: frontal, profile: profile))
    }

    /// The astronaut at 480x480 turned `degrees` clockwise about the frame's centre, in a frame of the same
    /// size (as a camera sees a head tilt: the frame does not grow).
    func astronaut(turned degrees: Double) throws -> GrayImage {
        let gray = try ImageFile.readGray(path: try TestPaths.sharedFile("media/skimage_astronaut.png").path)
            .resizedBilinear(width: 480, height: 480)
        return gray.uprightPatch(centerX: 240, centerY: 240, width: 480, height: 480, degrees: -degrees, fill: gray.meanValue)
    }

    func testAVideosFullScansTakeTurnsThroughThePoseScansAndAStillGetsThemAll() throws {
        let finder = try multiPoseFinder()
        let image = try astronaut(turned: 30)
        XCTAssertTrue(finder.findFaces(in: image).isEmpty, "the upright scan alone misses the face turned 30°")
        let all = finder.locateFaces(in: image)
        XCTAssertEqual(all.count, 1, "\(all)")
        XCTAssertEqual(all.first?.angle ?? 0, 30, accuracy: 15.1)
        let others = finder.poseSearch!.scanCount(finder.multiPoseParameters) - 1
        XCTAssertEqual(others, 6, "four turned angles and two profile sides")
        let perScan = (0..<others).map { finder.locateFaces(in: image, fullScan: $0) }
        let finding = perScan.indices.filter { !perScan[$0].isEmpty }
        XCTAssertFalse(finding.isEmpty, "one of the turns finds the face")
        XCTAssertLessThan(finding.count, others, "each video full scan runs only some of the scans")
        // The next round of turns repeats the first.
        XCTAssertEqual(finder.locateFaces(in: image, fullScan: others + finding[0]), perScan[finding[0]])
    }

    func testATurnedTrackIsFoundAgainAtItsAngleWhereTheUprightRegionalSearchLosesIt() throws {
        let finder = try multiPoseFinder()
        let image = try astronaut(turned: 30)
        let face = try XCTUnwrap(finder.locateFaces(in: image).first)
        XCTAssertTrue(finder.findFaces(in: image, around: [face.box]).isEmpty, "the upright regional search does not see it")
        let again = finder.locateFaces(in: image, around: [face])
        XCTAssertEqual(again.count, 1, "\(again)")
        XCTAssertEqual(again[0].angle, face.angle, accuracy: 15.1)
        XCTAssertGreaterThan(again[0].box.iou(face.box), 0.5, "\(again[0].box) vs \(face.box)")
    }

    func testAHeadThatTiltsSlowlyStaysOneTrackAndItsAngleReachesTheClassifierAndTheResult() throws {
        let finder = try multiPoseFinder()
        let classifier = AngleRecordingClassifier()
        // One full scan (the first frame), then only regional searches at each track's angle.
        let processor = FrameProcessor(finder: finder, classifier: classifier,
                                       configuration: PipelineConfiguration(detectEvery: 1000, smoothing: 1, views: .single))
        var tracks = Set<Int>(), angles: [Double] = []
        for (k, degrees) in stride(from: 0.0, through: 45, by: 5).enumerated() {
            let gray = try astronaut(turned: degrees)
            let rgb = RGBImage(gray: gray)
            let result = try processor.process(Frame(index: k, time: Double(k) / 30, image: rgb))
            XCTAssertEqual(result.faces.count, 1, "frame \(k) (\(degrees)°): \(result.faces)")
            guard let face = result.faces.first else { continue }
            tracks.insert(face.track)
            angles.append(face.angle)
            XCTAssertEqual(classifier.angles.last, [face.angle], "the crop is taken at the face's angle")
        }
        XCTAssertEqual(tracks.count, 1, "one track from upright to 45°")
        XCTAssertGreaterThanOrEqual(angles.last ?? 0, 30, "the track followed the tilt: \(angles)")
    }
}

/// A classifier that records the angles it is given (fixed probabilities).
private final class AngleRecordingClassifier: FaceClassifying {
    private(set) var angles: [[Double]] = []

    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
        try classify(image, faces: faces, angles: faces.map { _ in 0 }, mirrored: mirrored)
    }

    func classify(_ image: GrayImage, faces: [Rect], angles: [Double], mirrored: [Bool]) throws -> [[Float]] {
        self.angles.append(angles)
        return faces.map { _ in [0.1, 0, 0, 0.7, 0.1, 0, 0.1] }
    }
}
