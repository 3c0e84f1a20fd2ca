// The numbers people read: time on screen per track, the share of each emotion, the overall
// distribution, and CSV rows that match the JSON lines.
import Emotion
import Imaging
import Pipeline
@testable import Session
import XCTest

final class SummaryTests: XCTestCase {
    private func face(_ track: Int, _ label: EmotionLabel) -> FaceResult {
        var p = [Float](repeating: 0.05, count: 7)
        p[label.rawValue] = 0.7
        return FaceResult(track: track, box: Rect(x: 1, y: 2, width: 30, height: 40), probabilities: p)
    }

    func testTimeOnScreenAndEmotionShares() {
        let summary = ResultsSummary(maxFrameDuration: 0.5)
        // 10 frames at 10 fps; track 1 in all (happy 6, sad 4), track 2 in frames 0...3 (angry); then a
        // 5 s pause before frame 10, which must count as at most 0.5 s.
        for k in 0..<10 {
            var faces = [face(1, k < 6 ? .happy : .sad)]
            if k < 4 { faces.append(face(2, .angry)) }
            summary.add(FrameResult(frameIndex: k, time: Double(k) / 10, faces: faces))
        }
        summary.add(FrameResult(frameIndex: 10, time: 5.9, faces: [face(1, .happy)]))
        let tracks = summary.tracks()
        XCTAssertEqual(tracks.map(\.track), [1, 2])
        XCTAssertEqual(tracks[0].frames, 11)
        XCTAssertEqual(tracks[0].secondsOnScreen, 0.9 + 0.5 + 0.1, accuracy: 1e-9)  // 9 steps, the capped pause, the last frame
        XCTAssertEqual(tracks[1].secondsOnScreen, 0.4, accuracy: 1e-9)
        XCTAssertEqual(tracks[0].shares[EmotionLabel.happy.rawValue], 7.0 / 11, accuracy: 1e-9)
        XCTAssertEqual(tracks[0].dominant, .happy)
        XCTAssertEqual(tracks[1].dominant, .angry)

        let json = summary.json(input: "clip", pipeline: nil)
        XCTAssertEqual(json["frames"] as? Int, 11)
        let overall = json["overall"] as! [String: Any]
        XCTAssertEqual(overall["face_observations"] as? Int, 15)
        let share = overall["share"] as! [String: Double]
        XCTAssertEqual(share["angry"]!, 4.0 / 15, accuracy: 1e-4)
        XCTAssertEqual(share.values.reduce(0, +), 1, accuracy: 1e-3)
        XCTAssertTrue(summary.lines().contains { $0.contains("track 1: 1.5 s on screen") }, summary.lines().joined(separator: "\n"))
        XCTAssertEqual(summary.timelineTracks().map(\.secondsOnScreen), [tracks[0].secondsOnScreen, tracks[1].secondsOnScreen])
    }

    func testAnEmptyRunSummarisesToZeros() {
        let summary = ResultsSummary()
        XCTAssertTrue(summary.tracks().isEmpty)
        let json = summary.json(input: "none", pipeline: nil)
        XCTAssertEqual(json["frames"] as? Int, 0)
        XCTAssertEqual(summary.timeline(title: "t").render(width: 300, height: 200).width, 300)
    }

    func testCSVRowsCarryTheBoxProbabilitiesAndLabel() {
        let result = FrameResult(frameIndex: 7, time: 0.2333333, faces: [face(3, .surprise)])
        let rows = ResultsWriter.csvRows(result)
        XCTAssertEqual(rows, ["7,0.2333,3,1,2,30,40,0,frontal,0.05,0.05,0.05,0.05,0.05,0.7,0.05,surprise,0.7"])
        XCTAssertEqual(ResultsWriter.csvHeader.split(separator: ",").count, rows[0].split(separator: ",").count)
        XCTAssertEqual(ResultsWriter.csvRows(FrameResult(frameIndex: 8, time: 0.3, faces: [])), [])
    }
}
