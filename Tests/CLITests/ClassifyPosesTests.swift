// `emonet classify --poses multi`: a face turned 30° is found, cropped along its turned box and gets the
// label and (nearly) the probabilities of the upright face; the JSON says each face's angle and pose;
// `--poses` is one option, declared once, that detect, classify, live and replay share.
import Foundation
import TestSupport
import XCTest

extension EmoNetCommandTests {
    /// The shared photo turned `degrees` clockwise by ffmpeg's rotate filter (canvas grown to hold it all).
    private func turnedCopy(of photo: String, degrees: Int) throws -> String {
        let turned = directory.appendingPathComponent("turned-\(degrees).png").path
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let a = "\(degrees)*PI/180"
        ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-i", photo, "-vf", "rotate=\(a):ow=rotw(\(a)):oh=roth(\(a))", turned]
        do { try ffmpeg.run() } catch { throw XCTSkip("needs ffmpeg") }
        ffmpeg.waitUntilExit()
        guard ffmpeg.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not rotate the photo") }
        return turned
    }

    private func classifiedFaces(_ arguments: [String]) throws -> [[String: Any]] {
        let run = try emonet(["classify", "--json"] + arguments)
        XCTAssertEqual(run.status, 0, run.stderr)
        let reports = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]], run.stdout)
        return reports.flatMap { ($0["faces"] as? [[String: Any]]) ?? [] }
    }

    private func probabilities(_ face: [String: Any]) -> [String: Double] {
        ((face["probabilities"] as? [String: Any]) ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    func testAFaceTurned30DegreesClassifiedWithPosesMultiGetsTheUprightFacesLabelAndProbabilities() throws {
        let photo = try TestPaths.sharedFile("media/skimage_astronaut.png").path
        guard FileManager.default.fileExists(atPath: "/usr/share/opencv4/haarcascades/haarcascade_profileface.xml") else {
            throw XCTSkip("needs Debian's opencv-data")
        }
        let turned = try turnedCopy(of: photo, degrees: 30)
        XCTAssertTrue(try classifiedFaces(["--poses", "frontal", "--no-verify", turned]).isEmpty, "the frontal search misses the turned face")

        // The default search is multi-pose, verified: the same as --poses multi.
        let upright = try classifiedFaces(["--poses", "multi", photo])
        let found = try classifiedFaces([turned])
        XCTAssertEqual(upright.count, 1, "\(upright)")
        XCTAssertEqual(found.count, 1, "\(found)")
        guard let face = upright.first, let tilted = found.first else { return }
        XCTAssertEqual(face["angle"] as? Double, 0)
        XCTAssertEqual(tilted["angle"] as? Double ?? 0, 30, accuracy: 15)
        XCTAssertEqual(tilted["pose"] as? String, "frontal")
        XCTAssertEqual(tilted["label"] as? String, face["label"] as? String, "the same top label as upright")
        let p = probabilities(face), q = probabilities(tilted)
        XCTAssertEqual(p.count, 7)
        let distance = p.keys.map { abs(p[$0]! - (q[$0] ?? 0)) }.reduce(0, +)
        print(String(format: "L1 distance of the turned face's probabilities to the upright face's: %.3f", distance))
        // Measured with the shipped model, flip TTA: 0.046 cropped along the turned box, 0.166 with an upright crop of it.
        XCTAssertLessThan(distance, 0.1, "probabilities of the turned face, \(q), against upright, \(p)")
    }

    func testClassifyWithPosesMultiGivesUprightFacesTheirFrontalBoxAndLabelPlusAngleAndPose() throws {
        let photo = try TestPaths.sharedFile("media/skimage_astronaut.png").path
        guard FileManager.default.fileExists(atPath: "/usr/share/opencv4/haarcascades/haarcascade_profileface.xml") else {
            throw XCTSkip("needs Debian's opencv-data")
        }
        let frontal = try classifiedFaces(["--poses", "frontal", "--no-verify", photo])
        let multi = try classifiedFaces([photo])
        XCTAssertEqual(frontal.count, 1)
        XCTAssertEqual(multi.count, 1)
        guard let f = frontal.first, let m = multi.first else { return }
        XCTAssertEqual(Set(f.keys), ["x", "y", "width", "height", "label", "confidence", "probabilities"], "--poses frontal: the JSON of earlier releases")
        XCTAssertEqual(Set(m.keys), ["x", "y", "width", "height", "angle", "pose", "label", "confidence", "probabilities"])
        XCTAssertEqual(m["pose"] as? String, "frontal")
        for key in ["x", "y", "width", "height"] { XCTAssertEqual(m[key] as? Int, f[key] as? Int, key) }
        XCTAssertEqual(m["label"] as? String, f["label"] as? String)
        XCTAssertEqual(probabilities(m), probabilities(f), "an upright face is cropped exactly as before")
    }

    func testPosesIsOneSharedOptionOfDetectClassifyLiveAndReplay() throws {
        func posesHelp(_ command: String) throws -> String {
            let run = try emonet([command, "--help"])
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.optionHelp("--poses <poses>")
        }
        let detect = try posesHelp("detect"), classify = try posesHelp("classify")
        XCTAssertFalse(detect.isEmpty, "detect has --poses")
        XCTAssertEqual(detect, classify, "one declaration, one help text")
        for command in ["detect", "classify"] {
            let run = try emonet([command, "--poses", "sideways", "x.png"])
            XCTAssertNotEqual(run.status, 0)
            XCTAssertTrue(run.stderr.contains("--poses"), run.stderr)
        }
        XCTAssertEqual(try posesHelp("live"), detect, "live takes the same option")
        XCTAssertEqual(try posesHelp("replay"), detect, "and replay")
        let live = try emonet(["live", "--poses", "sideways", "--input", "x.mp4", "--no-window"])
        XCTAssertNotEqual(live.status, 0)
        XCTAssertTrue(live.stderr.contains("--poses"), live.stderr)
    }
}
