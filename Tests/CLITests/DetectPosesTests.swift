// `emonet detect --poses`: frontal (the default) prints OpenCV's boxes as before, multi adds each
// face's angle and pose and finds a face the upright scan misses.
import Foundation
import TestSupport
import XCTest

extension EmoNetCommandTests {
    func testDetectFindsATurnedFaceOnlyWithPosesMulti() throws {
        let photo = try TestPaths.sharedFile("media/skimage_astronaut.png").path
        guard FileManager.default.fileExists(atPath: "/usr/share/opencv4/haarcascades/haarcascade_profileface.xml") else {
            throw XCTSkip("needs Debian's opencv-data")
        }
        // The astronaut turned 30° clockwise, written as PNG by ffmpeg's rotate filter.
        let turned = directory.appendingPathComponent("turned.png").path
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        ffmpeg.arguments = ["ffmpeg", "-v", "error", "-y", "-i", photo, "-vf", "rotate=30*PI/180:ow=rotw(30*PI/180):oh=roth(30*PI/180)", turned]
        do { try ffmpeg.run() } catch { throw XCTSkip("needs ffmpeg") }
        ffmpeg.waitUntilExit()
        guard ffmpeg.terminationStatus == 0 else { throw XCTSkip("ffmpeg could not rotate the photo") }

        let frontal = try emonet(["detect", "--json", turned])
        XCTAssertEqual(frontal.status, 0, frontal.stderr)
        let frontalFaces = try faces(frontal.stdout)
        XCTAssertTrue(frontalFaces.isEmpty, "the upright scan misses the turned face: \(frontalFaces)")

        let multi = try emonet(["detect", "--poses", "multi", "--json", turned])
        XCTAssertEqual(multi.status, 0, multi.stderr)
        let found = try faces(multi.stdout)
        XCTAssertEqual(found.count, 1, multi.stdout)
        XCTAssertEqual(found.first?["pose"] as? String, "frontal")
        XCTAssertEqual(found.first?["angle"] as? Double ?? 0, 30, accuracy: 15)

        // Upright, the default output has no angle or pose: the same JSON as before.
        let upright = try faces(try emonet(["detect", "--json", photo]).stdout)
        XCTAssertEqual(upright.count, 1)
        XCTAssertNil(upright.first?["angle"])
        XCTAssertEqual(Set(upright.first?.keys.map { $0 } ?? []), ["x", "y", "width", "height", "neighbors"])
    }

    func testDetectRejectsAnUnknownPose() throws {
        let run = try emonet(["detect", "--poses", "sideways", "x.png"])
        XCTAssertNotEqual(run.status, 0)
        XCTAssertTrue(run.stderr.contains("--poses"), run.stderr)
    }

    private func faces(_ json: String) throws -> [[String: Any]] {
        let reports = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]], json)
        return reports.flatMap { ($0["faces"] as? [[String: Any]]) ?? [] }
    }
}
