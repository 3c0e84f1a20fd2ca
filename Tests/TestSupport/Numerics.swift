// Comparing numbers in tests: every check names its tolerance and reports the largest difference,
// so a failure (or a pass) says how close things really were.
import XCTest

public enum Numerics {
    /// Largest |a-b| / max(1, |b|) over the arrays (relative for large values, absolute for small).
    public static func maxDifference(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "maxDifference: \(a.count) vs \(b.count) values")
        var worst = 0.0
        for (x, y) in zip(a, b) {
            let d = abs(Double(x) - Double(y)) / max(1, abs(Double(y)))
            worst = max(worst, d.isNaN ? .infinity : d)
        }
        return worst
    }
}

/// Asserts that `actual` matches `expected` within `tolerance` (see `Numerics.maxDifference`) and
/// prints the largest difference under `label`.
public func assertClose(_ actual: [Float], _ expected: [Float], tolerance: Double, _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return
    }
    let worst = Numerics.maxDifference(actual, expected)
    print(String(format: "  %-44@ max diff %.2e (tolerance %.0e)", label as NSString, worst, tolerance))
    XCTAssertLessThanOrEqual(worst, tolerance, "\(label): largest difference \(worst) exceeds \(tolerance)",
                             file: file, line: line)
}
