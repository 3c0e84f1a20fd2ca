// Accuracy, per-class precision/recall/F1, macro F1 and the confusion matrix of a model on a
// labelled set, with optional test-time augmentation (TTA): probabilities averaged over views.
import Foundation
import NeuralNet

/// Test-time augmentation: the views whose probabilities are averaged.
public enum TestTimeAugmentation: String, CaseIterable, Sendable, Codable {
    /// The face as is.
    case none
    /// The face and its mirror image.
    case flip
    /// Five shifts (centre and ±2 px diagonals), each with its mirror: ten views.
    case crops

    /// (dx, dy, mirrored) per view.
    var views: [(Int, Int, Bool)] {
        switch self {
        case .none: return [(0, 0, false)]
        case .flip: return [(0, 0, false), (0, 0, true)]
        case .crops:
            return [(0, 0), (-2, -2), (2, -2), (-2, 2), (2, 2)].flatMap { [($0.0, $0.1, false), ($0.0, $0.1, true)] }
        }
    }

    /// Writes one view of a `side`×`side` image: shifted by (dx, dy) with edge pixels repeated, then
    /// mirrored left to right if asked, each pixel passed through `convert`.
    @inline(__always)
    static func copyView<Pixel>(_ src: UnsafePointer<Pixel>, into dst: UnsafeMutablePointer<Float>, side: Int,
                                dx: Int, dy: Int, mirror: Bool, convert: (Pixel) -> Float) {
        for y in 0..<side {
            let row = src + min(max(y + dy, 0), side - 1) * side
            for x in 0..<side {
                var sx = min(max(x + dx, 0), side - 1)
                if mirror { sx = side - 1 - sx }
                dst[y * side + x] = convert(row[sx])
            }
        }
    }
}

public struct ClassMetrics: Codable, Equatable, Sendable {
    public var label: String
    public var precision: Double
    public var recall: Double
    public var f1: Double
    public var support: Int
}

public struct EvaluationReport: Codable, Sendable {
    public var count: Int
    public var accuracy: Double
    public var macroF1: Double
    public var perClass: [ClassMetrics]
    /// confusion[truth][predicted], EmotionLabel order.
    public var confusion: [[Int]]
    /// Mean cross-entropy against the hard labels.
    public var loss: Double
    public var tta: TestTimeAugmentation

    enum CodingKeys: String, CodingKey {
        case count, accuracy, macroF1 = "macro_f1", perClass = "per_class", confusion, loss, tta
    }

    public init(truth: [Int], predicted: [Int], loss: Double, tta: TestTimeAugmentation) {
        let k = EmotionLabel.allCases.count
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (t, p) in zip(truth, predicted) { confusion[t][p] += 1 }
        self.confusion = confusion
        count = truth.count
        accuracy = count == 0 ? 0 : Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(count)
        perClass = (0..<k).map { c in
            let tp = Double(confusion[c][c])
            let predictedC = Double((0..<k).reduce(0) { $0 + confusion[$1][c] })
            let actual = confusion[c].reduce(0, +)
            let precision = predictedC > 0 ? tp / predictedC : 0
            let recall = actual > 0 ? tp / Double(actual) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassMetrics(label: EmotionLabel(rawValue: c)!.description, precision: precision, recall: recall,
                                f1: f1, support: actual)
        }
        macroF1 = perClass.map(\.f1).reduce(0, +) / Double(k)
        self.loss = loss
        self.tta = tta
    }

    /// A plain-text table: accuracy, per-class metrics and the confusion matrix.
    public func table() -> String {
        var lines: [String] = []
        lines.append(String(format: "images %d   accuracy %.2f%%   macro F1 %.4f   loss %.4f   TTA %@", count, accuracy * 100,
                            macroF1, loss, tta.rawValue))
        lines.append("")
        lines.append("class      precision  recall     F1  support")
        for m in perClass {
            lines.append(m.label.padding(toLength: 9, withPad: " ", startingAt: 0)
                         + String(format: "  %9.3f  %6.3f  %5.3f  %7d", m.precision, m.recall, m.f1, m.support))
        }
        lines.append("")
        lines.append("confusion (rows: truth, columns: predicted)")
        let short = EmotionLabel.allCases.map { String($0.description.prefix(5)) }
        lines.append("          " + short.map { $0.padding(toLength: 7, withPad: " ", startingAt: 0) }.joined())
        for (i, row) in confusion.enumerated() {
            lines.append(short[i].padding(toLength: 10, withPad: " ", startingAt: 0)
                         + row.map { String(format: "%-7d", $0) }.joined())
        }
        return lines.joined(separator: "\n")
    }
}

public enum Evaluator {
    /// Class probabilities for every image of `dataset` ([count * 7]), averaged over the TTA views.
    public static func probabilities(model: Sequential, dataset: FERDataset, normalization: Normalization,
                                     tta: TestTimeAugmentation = .none, batchSize: Int = 128,
                                     precision: InferencePrecision = .float32,
                                     progress: ((Int) -> Void)? = nil) -> [Float] {
        let side = FERDataset.side, pixels = FERDataset.pixelsPerImage, k = EmotionLabel.allCases.count
        var result = [Float](repeating: 0, count: dataset.count * k)
        let views = tta.views
        let input = Tensor(shape: [batchSize, 1, side, side])
        let probs = Tensor(shape: [0])
        let network = InferenceNetwork(model, workers: model.workers, precision: precision)
        var start = 0
        dataset.pixels.withUnsafeBufferPointer { all in
            while start < dataset.count {
                let n = min(batchSize, dataset.count - start)
                input.reshape([n, 1, side, side])
                for (dx, dy, mirror) in views {
                    for i in 0..<n {
                        TestTimeAugmentation.copyView(all.baseAddress! + (start + i) * pixels, into: input.data + i * pixels,
                                                      side: side, dx: dx, dy: dy, mirror: mirror) { Float($0) / 255 }
                    }
                    normalization.apply(input.data, count: input.count)
                    SoftmaxCrossEntropy.softmax(network.forward(input), into: probs)
                    let scale = 1 / Float(views.count)
                    for j in 0..<(n * k) { result[start * k + j] += probs[j] * scale }
                }
                start += n
                progress?(start)
            }
        }
        return result
    }

    /// Evaluates `model` on every image of `dataset`.
    public static func evaluate(model: Sequential, dataset: FERDataset, normalization: Normalization,
                                tta: TestTimeAugmentation = .none, precision: InferencePrecision = .float32,
                                progress: ((Int) -> Void)? = nil) -> EvaluationReport {
        let probs = probabilities(model: model, dataset: dataset, normalization: normalization, tta: tta, precision: precision,
                                  progress: progress)
        return report(probabilities: probs, dataset: dataset, tta: tta)
    }

    /// Scores class probabilities ([count * 7], e.g. the mean of several models') against `dataset`'s labels.
    public static func report(probabilities probs: [Float], dataset: FERDataset, tta: TestTimeAugmentation) -> EvaluationReport {
        let k = EmotionLabel.allCases.count
        precondition(probs.count == dataset.count * k, "one row of probabilities per image")
        var predicted: [Int] = [], loss = 0.0
        for i in 0..<dataset.count {
            var best = 0
            for c in 1..<k where probs[i * k + c] > probs[i * k + best] { best = c }
            predicted.append(best)
            loss -= log(max(Double(probs[i * k + Int(dataset.labels[i])]), 1e-12))
        }
        return EvaluationReport(truth: dataset.labels.map(Int.init), predicted: predicted,
                                loss: loss / Double(max(dataset.count, 1)), tta: tta)
    }
}
