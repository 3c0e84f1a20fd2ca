// Learning-rate schedules, stepped once per epoch. Each is a small Codable value so checkpoints
// carry its state (the plateau schedule remembers its best metric and patience count).
import Foundation

public enum LearningRateSchedule: Codable, Equatable, Sendable {
    /// lr = base · gamma^(⌊epoch / stepSize⌋)
    case step(base: Float, stepSize: Int, gamma: Float)
    /// Cosine from base to minimum over `epochs`, after `warmup` linear epochs.
    case cosine(base: Float, minimum: Float, epochs: Int, warmup: Int)
    /// Multiply by `factor` when the monitored metric (higher is better) has not improved by more
    /// than `threshold` (relative) for `patience` epochs; never below `minimum`.
    case plateau(PlateauState)

    public struct PlateauState: Codable, Equatable, Sendable {
        public var current: Float
        public var factor: Float
        public var patience: Int
        public var threshold: Float
        public var minimum: Float
        public var best: Double?
        public var badEpochs: Int

        public init(base: Float, factor: Float = 0.5, patience: Int = 5, threshold: Float = 1e-4, minimum: Float = 1e-5) {
            current = base
            self.factor = factor
            self.patience = patience
            self.threshold = threshold
            self.minimum = minimum
            best = nil
            badEpochs = 0
        }
    }

    /// The rate to use during `epoch` (0-based).
    public func rate(epoch: Int) -> Float {
        switch self {
        case .step(let base, let stepSize, let gamma):
            return base * powf(gamma, Float(epoch / max(stepSize, 1)))
        case .cosine(let base, let minimum, let epochs, let warmup):
            if epoch < warmup { return base * Float(epoch + 1) / Float(warmup + 1) }
            let t = min(1, Double(epoch - warmup) / Double(max(epochs - warmup, 1)))
            return minimum + (base - minimum) * Float(0.5 * (1 + cos(Double.pi * t)))
        case .plateau(let s):
            return s.current
        }
    }

    /// Records the end-of-epoch metric (higher is better); only the plateau schedule uses it.
    /// The same schedule planned over `epochs` in all (a resumed run that is lengthened or shortened):
    /// a cosine then reaches its minimum at the new last epoch; step and plateau have no horizon.
    public func replanned(epochs: Int) -> LearningRateSchedule {
        guard case .cosine(let base, let minimum, _, let warmup) = self else { return self }
        return .cosine(base: base, minimum: minimum, epochs: epochs, warmup: warmup)
    }

    public mutating func observe(metric: Double) {
        guard case .plateau(var s) = self else { return }
        if let best = s.best, metric <= best * (1 + Double(s.threshold)) {
            s.badEpochs += 1
            if s.badEpochs > s.patience {
                s.current = max(s.minimum, s.current * s.factor)
                s.badEpochs = 0
            }
        } else {
            s.best = metric
            s.badEpochs = 0
        }
        self = .plateau(s)
    }
}
