// The IoU tracker: IDs follow moving faces, new faces get new IDs, lost faces expire, IDs are never reused.
import Imaging
import Pipeline
import XCTest

final class FaceTrackerTests: XCTestCase {
    private func box(_ x: Int, _ y: Int, _ size: Int = 100) -> Rect { Rect(x: x, y: y, width: size, height: size) }

    func testAFaceMovingSlowlyKeepsItsID() {
        var tracker = FaceTracker()
        let first = tracker.update(with: [box(0, 0)]).tracks[0].id
        for step in 1...20 {
            let tracks = tracker.update(with: [box(step * 10, step * 5)]).tracks
            XCTAssertEqual(tracks.map(\.id), [first], "step \(step)")
        }
        XCTAssertEqual(tracker.tracks.count, 1)
        XCTAssertEqual(tracker.tracks[0].hits, 21)
    }

    func testTwoFacesCrossingNearbyKeepTheirOwnIDs() {
        var tracker = FaceTracker()
        let ids = tracker.update(with: [box(0, 0), box(300, 0)]).tracks.map(\.id)
        XCTAssertEqual(Set(ids).count, 2)
        // Detections arrive in the other order and both moved a little: matching is by overlap, not order.
        let next = tracker.update(with: [box(310, 5), box(8, 4)]).tracks.map(\.id)
        XCTAssertEqual(next, [ids[1], ids[0]])
    }

    func testANewFaceGetsANewIDAndAJumpIsANewFace() {
        var tracker = FaceTracker()
        let a = tracker.update(with: [box(0, 0)]).tracks[0].id
        let step = tracker.update(with: [box(0, 0), box(400, 300)]).tracks
        XCTAssertEqual(step[0].id, a)
        XCTAssertNotEqual(step[1].id, a)
        // Far away from every track: IoU 0, so not the same face.
        let jumped = tracker.update(with: [box(200, 200, 50)]).tracks[0].id
        XCTAssertFalse([a, step[1].id].contains(jumped))
    }

    func testALostFaceExpiresAfterMaxMissedFramesAndItsIDIsNotReused() {
        var tracker = FaceTracker(maxMissedFrames: 3)
        let a = tracker.update(with: [box(0, 0)]).tracks[0].id
        for missed in 1...3 {
            let (tracks, expired) = tracker.update(with: [])
            XCTAssertTrue(tracks.isEmpty)
            XCTAssertTrue(expired.isEmpty, "still alive after \(missed) missed frames")
        }
        // Back within the grace period: same ID.
        XCTAssertEqual(tracker.update(with: [box(5, 5)]).tracks[0].id, a)
        for _ in 1...3 { _ = tracker.update(with: []) }
        let (_, expired) = tracker.update(with: [])
        XCTAssertEqual(expired, [a], "expires on the 4th consecutive miss")
        XCTAssertTrue(tracker.tracks.isEmpty)
        let reappeared = tracker.update(with: [box(0, 0)]).tracks[0].id
        XCTAssertNotEqual(reappeared, a, "an expired ID is never handed out again")
    }

    func testOneDetectionNeverFeedsTwoTracks() {
        var tracker = FaceTracker()
        _ = tracker.update(with: [box(0, 0), box(60, 0)])
        // One detection overlapping both: it continues the better match, the other track misses.
        let tracks = tracker.update(with: [box(50, 0)]).tracks
        XCTAssertEqual(tracks.count, 1)
        XCTAssertEqual(tracks[0].id, 2, "box(50,0) overlaps box(60,0) more than box(0,0)")
        XCTAssertEqual(tracker.tracks.first { $0.id == 1 }?.missedFrames, 1)
    }
}
