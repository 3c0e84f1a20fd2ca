// The charts the CLI writes as PNG files: training curves and confusion matrices, drawn by Plot.
import Emotion
import Foundation
import ImageIO
import Plot

enum ChartFiles {
    /// Loss (left) and accuracy (right), training vs validation, per epoch.
    static func writeTrainingCurves(_ history: [EpochRecord], title: String, path: String) throws {
        let epochs = history.map { Double($0.epoch) }
        func series(_ name: String, _ values: [Double]) -> Series {
            Series(name: name, points: Array(zip(epochs, values)).map { (x: $0.0, y: $0.1) })
        }
        let loss = LineChart(title: "\(title): loss", xLabel: "epoch", yLabel: "cross-entropy",
                             series: [series("train", history.map(\.trainLoss)), series("validation", history.map(\.validationLoss))])
        let accuracy = LineChart(title: "\(title): accuracy", xLabel: "epoch", yLabel: "accuracy (%)",
                                 series: [series("train", history.map { $0.trainAccuracy * 100 }),
                                          series("validation", history.map { $0.validationAccuracy * 100 })])
        let image = Plot.hstack([loss.render(width: 640, height: 420), accuracy.render(width: 640, height: 420)])
        try ImageFile.writeChartPNG(image, path: path)
    }

    static func writeConfusion(_ report: EvaluationReport, title: String, path: String) throws {
        let chart = ConfusionMatrixChart(matrix: report.confusion, labels: EmotionLabel.names,
                                         title: String(format: "%@ — accuracy %.2f%%", title, report.accuracy * 100))
        try ImageFile.writeChartPNG(chart.render(width: 760, height: 700), path: path)
    }
}
