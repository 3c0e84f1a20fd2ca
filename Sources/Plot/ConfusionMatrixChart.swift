// A confusion matrix as a heat map: rows are true classes, columns predicted ones; each cell shows its
// count and its share of the row (recall on the diagonal), coloured by that share from white to blue.
// The caption gives overall accuracy and the number of samples.
// Invariants: a matrix that is not square or does not match the labels renders as an error message
// in the image (never a crash); rows with no samples show 0% and stay white.
import Foundation
import Imaging
import Presentation

public struct ConfusionMatrixChart: Sendable {
    public var matrix: [[Int]]
    public var labels: [String]
    public var title: String

    public init(matrix: [[Int]], labels: [String], title: String = "Confusion matrix") {
        self.matrix = matrix
        self.labels = labels
        self.title = title
    }

    /// Row-normalised shares (each row sums to 1, or is all 0 when the row has no samples).
    public var rowShares: [[Double]] {
        matrix.map { row in
            let total = row.reduce(0, +)
            return row.map { total > 0 ? Double($0) / Double(total) : 0 }
        }
    }

    /// Correct predictions over all samples (0 when there are none).
    public var accuracy: Double {
        let total = matrix.joined().reduce(0, +)
        let correct = matrix.indices.reduce(0) { $0 + ($1 < matrix[$1].count ? matrix[$1][$1] : 0) }
        return total > 0 ? Double(correct) / Double(total) : 0
    }

    /// The fill colour of a cell with this row share: white (0) to dark blue (1).
    public static func cellColor(share: Double) -> RGBColor {
        let s = min(max(share.isFinite ? share : 0, 0), 1)
        func channel(_ low: Double, _ high: Double) -> UInt8 { UInt8(clamping: Int((low + (high - low) * s).rounded())) }
        return RGBColor(red: channel(247, 8), green: channel(251, 48), blue: channel(255, 107))
    }

    public func render(width: Int, height: Int) -> RGBImage {
        var canvas = Canvas(width: max(64, width), height: max(64, height))
        let textSize = max(10, min(16, min(canvas.width, canvas.height) / 40))
        let n = labels.count
        guard n > 0, matrix.count == n, matrix.allSatisfy({ $0.count == n }) else {
            canvas.text("confusion matrix: \(matrix.count) rows for \(n) labels", x: canvas.width / 2,
                        y: canvas.height / 2, size: textSize, color: .ink, anchor: .center)
            return canvas.image
        }
        let grid = cellGrid(width: canvas.width, height: canvas.height)
        let total = matrix.joined().reduce(0, +)
        canvas.text(title, x: canvas.width / 2, y: 6, size: textSize + 3, color: .ink, anchor: .topCenter)
        canvas.text(String(format: "accuracy %.1f%% · %d samples · cells: count and share of the true row",
                           accuracy * 100, total),
                    x: canvas.width / 2, y: 12 + textSize + 3, size: textSize - 1, color: .caption, anchor: .topCenter)
        let shares = rowShares
        for row in 0..<n {
            for column in 0..<n {
                let cell = grid.cell(row: row, column: column)
                let share = shares[row][column]
                canvas.fill(cell, color: Self.cellColor(share: share))
                let ink = share > 0.5 ? RGBColor.white : RGBColor.ink
                let cx = cell.x + cell.width / 2, cy = cell.y + cell.height / 2
                let countSize = max(8, min(textSize, cell.height / 3))
                canvas.text("\(matrix[row][column])", x: cx, y: cy - 1, size: countSize, color: ink, anchor: .bottomCenter)
                canvas.text(String(format: "%.0f%%", share * 100), x: cx, y: cy + 1, size: max(7, countSize - 2),
                            color: ink, anchor: .topCenter)
            }
        }
        for k in 0...n {  // cell borders
            canvas.horizontalLine(y: grid.origin.y + k * grid.cellHeight, from: grid.origin.x,
                                  to: grid.origin.x + n * grid.cellWidth, color: .grid)
            canvas.verticalLine(x: grid.origin.x + k * grid.cellWidth, from: grid.origin.y,
                                to: grid.origin.y + n * grid.cellHeight, color: .grid)
        }
        for (k, label) in labels.enumerated() {
            canvas.text(label, x: grid.origin.x - 6, y: grid.origin.y + k * grid.cellHeight + grid.cellHeight / 2,
                        size: textSize, color: .ink, anchor: .centerRight)
            canvas.text(label, x: grid.origin.x + k * grid.cellWidth + grid.cellWidth / 2,
                        y: grid.origin.y + n * grid.cellHeight + 4, size: textSize, color: .ink,
                        anchor: .topCenter, rotated: TextRenderer.measure(label, size: textSize).width > grid.cellWidth - 4)
        }
        canvas.text("predicted", x: grid.origin.x + n * grid.cellWidth / 2, y: canvas.height - 6, size: textSize,
                    color: .caption, anchor: .bottomCenter)
        canvas.text("true", x: 6 + textSize / 2, y: grid.origin.y + n * grid.cellHeight / 2, size: textSize,
                    color: .caption, anchor: .center, rotated: true)
        return canvas.image
    }

    /// Where the cells are: square-ish cells filling the space left by the labels.
    struct CellGrid {
        let origin: (x: Int, y: Int)
        let cellWidth: Int
        let cellHeight: Int
        func cell(row: Int, column: Int) -> Rect {
            Rect(x: origin.x + column * cellWidth, y: origin.y + row * cellHeight, width: cellWidth, height: cellHeight)
        }
    }

    func cellGrid(width: Int, height: Int) -> CellGrid {
        let textSize = max(10, min(16, min(width, height) / 40))
        let n = max(1, labels.count)
        let labelWidth = labels.map { TextRenderer.measure($0, size: textSize).width }.max() ?? 0
        let left = labelWidth + textSize * 2 + 16, top = textSize * 3 + 20
        let cellWidth = max(8, (width - left - 12) / n)
        // Column labels are turned upright only when they do not fit their cell (see render).
        let rotated = labels.contains { TextRenderer.measure($0, size: textSize).width > cellWidth - 4 }
        let bottom = (rotated ? labelWidth : textSize) + textSize * 2 + 16
        let cellHeight = max(8, (height - top - bottom) / n)
        return CellGrid(origin: (left, top), cellWidth: cellWidth, cellHeight: cellHeight)
    }

    /// The rectangle of cell (row, column) in an image rendered at `width` x `height`.
    public func cellRect(row: Int, column: Int, width: Int, height: Int) -> Rect {
        cellGrid(width: max(64, width), height: max(64, height)).cell(row: row, column: column)
    }
}
