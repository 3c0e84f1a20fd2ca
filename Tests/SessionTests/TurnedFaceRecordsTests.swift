// A face's angle and pose in what the live path writes (issue 19 item 1): the JSON line and the CSV row
// carry them, results written before they existed still compare equal to an upright frontal replay, and a
// session records which poses it searched and whether faces were verified (older sessions: frontal, off).
import Foundation
import Frames
import Imaging
@testable import Session
import TestSupport
import XCTest

final class TurnedFaceRecordsTests: XCTestCase {
    let probabilities: [Float] = [0.1, 0, 0, 0.7, 0.1, 0, 0.1]

    func testTheJSONLineAndTheCSVRowCarryTheAngleAndThePose() throws {
        let result = FrameResult(frameIndex: 3, time: 0.1, faces: [
            FaceResult(track: 1, box: Rect(x: 10, y: 20, width: 30, height: 30), probabilities: probabilities, angle: -30, pose: .frontal),
            FaceResult(track: 2, box: Rect(x: 50, y: 20, width: 40, height: 40), probabilities: probabilities, angle: 0, pose: .left),
        ])
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(result.jsonLine.utf8)) as? [String: Any])
        let faces = try XCTUnwrap(object["faces"] as? [[String: Any]])
        XCTAssertEqual(faces[0]["angle"] as? Double, -30)
        XCTAssertEqual(faces[0]["pose"] as? String, "frontal")
        XCTAssertEqual(faces[1]["pose"] as? String, "left")
        let header = ResultsWriter.csvHeader.split(separator: ",").map(String.init)
        let rows = ResultsWriter.csvRows(result).map { $0.split(separator: ",").map(String.init) }
        let angle = try XCTUnwrap(header.firstIndex(of: "angle")), pose = try XCTUnwrap(header.firstIndex(of: "pose"))
        XCTAssertEqual(rows[0][angle], "-30")
        XCTAssertEqual(rows[1][pose], "left")
        XCTAssertEqual(rows[0].count, header.count)
    }

    func testResultsWrittenBeforeAnglesExistedCompareEqualToAnUprightFrontalReplay() throws {
        let dir = TestPaths.temporaryDirectory("old-results").path
        let face = FaceResult(track: 1, box: Rect(x: 10, y: 20, width: 30, height: 30), probabilities: probabilities)
        let now = FrameResult(frameIndex: 0, time: 0, faces: [face]).jsonLine
        let old = now.replacingOccurrences(of: #""angle":0,"pose":"frontal","#, with: "")
        XCTAssertNotEqual(old, now, "the old line has no angle and pose")
        try (old + "\n").write(toFile: dir + "/recorded.jsonl", atomically: true, encoding: .utf8)
        try (now + "\n").write(toFile: dir + "/replayed.jsonl", atomically: true, encoding: .utf8)
        XCTAssertTrue(try ResultsComparison.compare(recorded: dir + "/recorded.jsonl", replayed: dir + "/replayed.jsonl").isExact)
        // A face found turned is a difference.
        let turned = FrameResult(frameIndex: 0, time: 0, faces: [FaceResult(track: 1, box: face.box, probabilities: probabilities, angle: 30)])
        try (turned.jsonLine + "\n").write(toFile: dir + "/turned.jsonl", atomically: true, encoding: .utf8)
        let comparison = try ResultsComparison.compare(recorded: dir + "/recorded.jsonl", replayed: dir + "/turned.jsonl")
        XCTAssertFalse(comparison.isExact)
        XCTAssertTrue(comparison.firstDifference?.contains("angle") ?? false, comparison.line)
    }

    func testASessionRecordsItsPosesAndVerifierAndOlderSessionsReadAsFrontalUnverified() throws {
        let settings = SessionSettings(detectEvery: 5, smoothing: 0.4, matchThreshold: 0.3, maxMissedFrames: 5, detector: "d",
                                       views: .alternate, poses: "multi", verified: true)
        let decoded = try JSONDecoder().decode(SessionSettings.self, from: try JSONEncoder().encode(settings))
        XCTAssertEqual(decoded, settings)
        let old = #"{"detect_every":5,"smoothing":0.4,"match_threshold":0.3,"max_missed_frames":5,"detector":"d"}"#
        let older = try JSONDecoder().decode(SessionSettings.self, from: Data(old.utf8))
        XCTAssertEqual(older.poses, "frontal")
        XCTAssertFalse(older.verified)
        let recorded = RecordReplayTests.manifest()
        XCTAssertTrue(recorded.differences(replayingWith: recorded.model, cascade: recorded.cascade, settings: settings)
            .contains { $0.contains("poses") }, "a replay searching other poses says so")
    }
}
