// Per-track EMA smoothing, checked against hand-computed values.
import Pipeline
import XCTest

final class ProbabilitySmootherTests: XCTestCase {
    func testTheFirstObservationIsTakenAsIsThenBlendedByAlpha() {
        var smoother = ProbabilitySmoother(alpha: 0.25)
        XCTAssertEqual(smoother.smooth(track: 1, [1, 0, 0, 0, 0, 0, 0]), [1, 0, 0, 0, 0, 0, 0])
        let second = smoother.smooth(track: 1, [0, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(second[0], 0.75, accuracy: 1e-6)
        XCTAssertEqual(second[1], 0.25, accuracy: 1e-6)
        let third = smoother.smooth(track: 1, [0, 1, 0, 0, 0, 0, 0])
        XCTAssertEqual(third[0], 0.5625, accuracy: 1e-6)  // 0.75 * 0.75
        XCTAssertEqual(third[1], 0.4375, accuracy: 1e-6)  // 0.25 + 0.75 * 0.25
    }

    func testTracksAreSmoothedIndependently() {
        var smoother = ProbabilitySmoother(alpha: 0.5)
        _ = smoother.smooth(track: 1, [1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(smoother.smooth(track: 2, [0, 0, 0, 1, 0, 0, 0]), [0, 0, 0, 1, 0, 0, 0])
        XCTAssertEqual(smoother.smooth(track: 1, [0, 0, 0, 1, 0, 0, 0])[0], 0.5, accuracy: 1e-6)
    }

    func testAlphaOneGivesRawResultsAndKeepsNoState() {
        var smoother = ProbabilitySmoother(alpha: 1)
        _ = smoother.smooth(track: 1, [1, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(smoother.smooth(track: 1, [0, 0, 0, 0, 0, 0, 1]), [0, 0, 0, 0, 0, 0, 1])
        XCTAssertTrue(smoother.trackedIDs.isEmpty)
    }

    func testForgottenTracksStartAfresh() {
        var smoother = ProbabilitySmoother(alpha: 0.5)
        _ = smoother.smooth(track: 7, [1, 0, 0, 0, 0, 0, 0])
        smoother.forget([7])
        XCTAssertTrue(smoother.trackedIDs.isEmpty)
        XCTAssertEqual(smoother.smooth(track: 7, [0, 1, 0, 0, 0, 0, 0]), [0, 1, 0, 0, 0, 0, 0])
    }
}
