// The rectangle where data is drawn and the mapping from data coordinates to its pixels, with the
// axes, grid and tick labels around it. Shared by line charts and timelines.
// Invariants: x grows right and y grows up in data space; `x.lower` maps to the area's left edge and
// `y.lower` to its bottom edge (pixel centres of the first and last column/row).
import Imaging
import Presentation

struct PlotArea {
    let frame: Rect
    let x: AxisTicks
    let y: AxisTicks

    /// The pixel position of a data point.
    func point(_ dataX: Double, _ dataY: Double) -> CanvasPoint {
        CanvasPoint(x: pixelX(dataX), y: pixelY(dataY))
    }

    func pixelX(_ value: Double) -> Double {
        let span = x.upper - x.lower
        return Double(frame.x) + 0.5 + (value - x.lower) / span * Double(max(frame.width - 1, 1))
    }

    func pixelY(_ value: Double) -> Double {
        let span = y.upper - y.lower
        return Double(frame.y + frame.height) - 0.5 - (value - y.lower) / span * Double(max(frame.height - 1, 1))
    }

    /// Grid lines, the axis box and tick labels (`textSize` pixels), with optional axis titles.
    func drawAxes(on canvas: inout Canvas, textSize: Int, xTitle: String, yTitle: String, showXLabels: Bool = true,
                  gridColor: RGBColor = .grid) {
        for value in y.values {
            let py = Int(pixelY(value))
            canvas.horizontalLine(y: py, from: frame.x, to: frame.x + frame.width - 1, color: gridColor)
            canvas.text(y.label(value), x: frame.x - 6, y: py, size: textSize, color: .caption, anchor: .centerRight)
        }
        for value in x.values {
            let px = Int(pixelX(value))
            canvas.verticalLine(x: px, from: frame.y, to: frame.y + frame.height - 1, color: gridColor)
            if showXLabels {
                canvas.text(x.label(value), x: px, y: frame.y + frame.height + 4, size: textSize, color: .caption,
                            anchor: .topCenter)
            }
        }
        canvas.stroke(Rect(x: frame.x - 1, y: frame.y - 1, width: frame.width + 2, height: frame.height + 2), color: .axis)
        if !xTitle.isEmpty {
            canvas.text(xTitle, x: frame.x + frame.width / 2, y: frame.y + frame.height + 6 + textSize + 4,
                        size: textSize, color: .ink, anchor: .topCenter)
        }
        if !yTitle.isEmpty {
            let widest = y.values.map { TextRenderer.measure(y.label($0), size: textSize).width }.max() ?? 0
            canvas.text(yTitle, x: frame.x - 12 - widest - textSize, y: frame.y + frame.height / 2, size: textSize,
                        color: .ink, anchor: .center, rotated: true)
        }
    }
}

/// One legend entry: a coloured line and a name.
struct LegendEntry {
    let name: String
    let color: RGBColor
}

extension Canvas {
    /// A legend box in the top-right corner inside `area`, one entry per row.
    mutating func legend(_ entries: [LegendEntry], inside area: Rect, textSize: Int) {
        guard !entries.isEmpty else { return }
        let swatch = textSize * 2
        let widest = entries.map { TextRenderer.measure($0.name, size: textSize).width }.max() ?? 0
        let rowHeight = textSize + 6
        let box = Rect(x: area.x + area.width - (swatch + widest + 22) - 8, y: area.y + 8,
                       width: swatch + widest + 22, height: rowHeight * entries.count + 8)
        fill(box, color: .white, alpha: 0.85)
        stroke(box, color: .grid)
        for (k, entry) in entries.enumerated() {
            let cy = Double(box.y + 4 + k * rowHeight) + Double(rowHeight) / 2
            polyline([CanvasPoint(x: Double(box.x + 6), y: cy), CanvasPoint(x: Double(box.x + 6 + swatch), y: cy)],
                     color: entry.color, thickness: 3)
            text(entry.name, x: box.x + 12 + swatch, y: Int(cy), size: textSize, color: .ink, anchor: .centerLeft)
        }
    }
}
