// Nice tick computation: steps of 1/2/2.5/5 x 10^k, ranges widened to whole steps, labels with the
// decimals the step needs, and degenerate ranges that still give a usable axis.
import XCTest
@testable import Plot

final class AxisTicksTests: XCTestCase {
    func testZeroToOneGetsStepsOfPointTwo() {
        let ticks = AxisTicks(minimum: 0, maximum: 1, count: 5)
        XCTAssertEqual(ticks.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(ticks.lower, 0)
        XCTAssertEqual(ticks.upper, 1, accuracy: 1e-12)
        XCTAssertEqual(ticks.values.count, 6)
        XCTAssertEqual(ticks.values.map(ticks.label), ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testAnUnevenRangeIsWidenedOutwardsToWholeSteps() {
        let ticks = AxisTicks(minimum: 0.37, maximum: 2.9, count: 5)
        XCTAssertEqual(ticks.step, 0.5, accuracy: 1e-12)
        XCTAssertEqual(ticks.lower, 0, accuracy: 1e-12)
        XCTAssertEqual(ticks.upper, 3, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(ticks.lower, 0.37)
        XCTAssertGreaterThanOrEqual(ticks.upper, 2.9)
    }

    func testLargeAndNegativeRanges() {
        let epochs = AxisTicks(minimum: 1, maximum: 87, count: 5)
        XCTAssertEqual(epochs.step, 20)
        XCTAssertEqual(epochs.values, [0, 20, 40, 60, 80, 100])
        XCTAssertEqual(epochs.label(40), "40")
        let signed = AxisTicks(minimum: -3.2, maximum: 1.1, count: 4)
        XCTAssertEqual(signed.step, 1)
        XCTAssertEqual(signed.values, [-4, -3, -2, -1, 0, 1, 2])
        XCTAssertFalse(signed.values.map(signed.label).contains("-0"))
    }

    func testStepsOfTwoAndAHalfGetOneDecimal() {
        let ticks = AxisTicks(minimum: 0, maximum: 10, count: 4)
        XCTAssertEqual(ticks.step, 2.5)
        XCTAssertEqual(ticks.decimals, 1)
        XCTAssertEqual(ticks.label(7.5), "7.5")
    }

    func testDegenerateAndNonFiniteRangesStillGiveSeveralTicks() {
        for (lo, hi) in [(5.0, 5.0), (0.0, 0.0), (Double.nan, Double.infinity), (3.0, 1.0)] {
            let ticks = AxisTicks(minimum: lo, maximum: hi)
            XCTAssertGreaterThanOrEqual(ticks.values.count, 2, "range \(lo)...\(hi)")
            XCTAssertTrue(ticks.values.allSatisfy(\.isFinite))
            XCTAssertLessThan(ticks.lower, ticks.upper)
        }
        let single = AxisTicks(minimum: 5, maximum: 5)
        XCTAssertLessThan(single.lower, 5)
        XCTAssertGreaterThan(single.upper, 5)
    }

    func testFixedRangeKeepsItsEnds() {
        let ticks = AxisTicks(fixedLower: 0, upper: 1, count: 2)
        XCTAssertEqual(ticks.lower, 0)
        XCTAssertEqual(ticks.upper, 1)
        XCTAssertEqual(ticks.values, [0, 0.5, 1])
    }
}
