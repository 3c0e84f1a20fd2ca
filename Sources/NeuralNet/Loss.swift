// Softmax followed by cross-entropy against target distributions, averaged over the batch.
// Hard labels become one-hot targets, optionally label-smoothed ((1-ε)·onehot + ε/K, as PyTorch's
// label_smoothing); soft targets (e.g. FER+ vote shares) are used as given.
// logits [N, K] → loss = −(1/N) Σ_n Σ_k t[n,k] · log softmax(z)[n,k]; ∂L/∂z = (softmax(z) − t)/N.
import Foundation

public final class SoftmaxCrossEntropy {
    /// softmax of the last logits, [N, K].
    public let probabilities = Tensor(shape: [0])
    /// ∂L/∂logits, [N, K].
    public let gradient = Tensor(shape: [0])

    public init() {}

    /// Returns the mean loss and fills `probabilities` and `gradient`. Targets are [N, K] rows summing to 1.
    @discardableResult
    public func callAsFunction(logits: Tensor, targets: Tensor) -> Double {
        precondition(logits.shape == targets.shape && logits.shape.count == 2, "loss: logits \(logits.shape) vs targets \(targets.shape)")
        let n = logits.shape[0], k = logits.shape[1]
        Self.softmax(logits, into: probabilities)
        gradient.reshape(logits.shape)
        let p = probabilities.data, t = targets.data, g = gradient.data, z = logits.data
        var total = 0.0
        for i in 0..<n {
            // log softmax computed from the logits (stable), not from a rounded probability.
            var maxZ = -Float.infinity
            for j in 0..<k { maxZ = max(maxZ, z[i * k + j]) }
            var sumExp = 0.0
            for j in 0..<k { sumExp += exp(Double(z[i * k + j] - maxZ)) }
            let logSum = log(sumExp) + Double(maxZ)
            for j in 0..<k {
                let idx = i * k + j
                if t[idx] != 0 { total -= Double(t[idx]) * (Double(z[idx]) - logSum) }
                g[idx] = (p[idx] - t[idx]) / Float(n)
            }
        }
        return total / Double(n)
    }

    /// Row-wise softmax of [N, K] logits.
    public static func softmax(_ logits: Tensor, into out: Tensor) {
        let n = logits.shape[0], k = logits.shape[1]
        out.reshape(logits.shape)
        let z = logits.data, p = out.data
        for i in 0..<n {
            var maxZ = -Float.infinity
            for j in 0..<k { maxZ = max(maxZ, z[i * k + j]) }
            var sum: Float = 0
            for j in 0..<k {
                let e = expf(z[i * k + j] - maxZ)
                p[i * k + j] = e
                sum += e
            }
            for j in 0..<k { p[i * k + j] /= sum }
        }
    }

    /// One-hot targets for labels in 0..<classes, smoothed by `smoothing` (0 = none).
    public static func targets(labels: [Int], classes: Int, smoothing: Float = 0, into out: Tensor) {
        out.reshape(labels.count, classes)
        let off = smoothing / Float(classes), on = 1 - smoothing + off
        for (i, label) in labels.enumerated() {
            precondition(label >= 0 && label < classes, "label \(label) outside 0..<\(classes)")
            for j in 0..<classes { out[i * classes + j] = j == label ? on : off }
        }
    }
}
