// "Nice" axis ticks (Heckbert, Graphics Gems I, 1990): steps of 1, 2, 2.5 or 5 times a power of ten,
// a range widened outwards to whole steps, and labels with just enough decimals to tell ticks apart.
// Invariants: lower <= every value <= upper; values are lower + k*step; a degenerate or non-finite
// range is widened to a sensible one instead of producing NaN or a single tick.
import Foundation

public struct AxisTicks: Sendable, Equatable {
    public let lower: Double
    public let upper: Double
    public let step: Double
    public let values: [Double]

    /// Ticks covering [minimum, maximum] with at most about `count` intervals.
    public init(minimum: Double, maximum: Double, count: Int = 5) {
        var lo = minimum.isFinite ? minimum : 0, hi = maximum.isFinite ? maximum : 1
        if lo > hi { swap(&lo, &hi) }
        if hi - lo < 1e-12 {
            // One value: a unit range around it (or around zero) so the point sits inside the axis.
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let step = Self.nice((hi - lo) / Double(max(1, count)), round: true)
        let lower = (lo / step).rounded(.down) * step
        let upper = (hi / step).rounded(.up) * step
        self.step = step
        self.lower = lower
        self.upper = upper
        let n = Int(((upper - lower) / step).rounded())
        values = (0...max(0, n)).map { k in
            let v = lower + Double(k) * step
            return abs(v) < step * 1e-9 ? 0 : v  // no "-0"
        }
    }

    /// Fixed range [lower, upper] with nice steps inside it (for probabilities: 0...1).
    public init(fixedLower lower: Double, upper: Double, count: Int = 5) {
        let step = Self.nice((upper - lower) / Double(max(1, count)), round: true)
        self.lower = lower
        self.upper = upper
        self.step = step
        var values: [Double] = []
        var v = (lower / step).rounded(.up) * step
        while v <= upper + step * 1e-9 {
            values.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        self.values = values
    }

    /// A nice number near `x`: 1, 2, 2.5, 5 or 10 times a power of ten (rounded, or the one at or above).
    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = floor(log10(x))
        let fraction = x / pow(10, exponent)
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 2.25 ? 2 : fraction < 3.5 ? 2.5 : fraction < 7.5 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }

    /// Decimals needed to show multiples of `step` exactly (2.5 → 1, 0.25 → 2, 100 → 0).
    public var decimals: Int {
        for d in 0...8 {
            let scaled = step * pow(10, Double(d))
            if abs(scaled - scaled.rounded()) < 1e-6 * max(1, scaled) { return d }
        }
        return 8
    }

    /// The label of a tick value, e.g. "0.25", "1000", "1e+06" for very large magnitudes.
    public func label(_ value: Double) -> String {
        let magnitude = max(abs(lower), abs(upper))
        if magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-4) { return String(format: "%.2g", value) }
        return String(format: "%.\(decimals)f", value)
    }
}
