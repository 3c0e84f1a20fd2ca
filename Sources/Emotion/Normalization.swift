// How a 48x48 gray face becomes network input: value/255, then (v − mean) / std. The numbers are
// measured on the training split when training starts and stored in the model file, so a
// classifier always feeds the network exactly what it was trained on.
import Foundation

public struct Normalization: Codable, Equatable, Sendable {
    public var mean: Float
    public var std: Float

    public init(mean: Float, std: Float) {
        self.mean = mean
        self.std = std
    }

    /// Mean and standard deviation of all pixels (in 0...1) of a dataset.
    public static func measure(_ dataset: FERDataset) -> Normalization {
        var sum = 0.0, sumSq = 0.0
        for p in dataset.pixels {
            let v = Double(p) / 255
            sum += v
            sumSq += v * v
        }
        let n = Double(max(dataset.pixels.count, 1))
        let mean = sum / n
        return Normalization(mean: Float(mean), std: Float(max(sumSq / n - mean * mean, 1e-12).squareRoot()))
    }

    /// Normalises values already scaled to 0...1, in place.
    @inlinable public func apply(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let inv = 1 / std
        for i in 0..<count { values[i] = (values[i] - mean) * inv }
    }
}
