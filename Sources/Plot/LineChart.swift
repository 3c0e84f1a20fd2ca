// A line chart: named series of (x, y) points with a title, axis titles, nice ticks, a grid and a
// legend; used for training curves (loss, accuracy; train vs validation). Values in, RGBImage out.
// Invariants: non-finite points are skipped and break the line; with no finite point the chart still
// renders its frame with "no data"; an explicit y range clips lines to the plot area.
import Imaging
import Presentation

/// One named line.
public struct Series: Sendable {
    public var name: String
    public var points: [(x: Double, y: Double)]
    /// nil picks the next categorical colour.
    public var color: RGBColor?
    public var thickness: Double

    public init(name: String, points: [(x: Double, y: Double)], color: RGBColor? = nil, thickness: Double = 2) {
        self.name = name
        self.points = points
        self.color = color
        self.thickness = thickness
    }

    /// A series of y values at x = 1, 2, 3, ... (epochs).
    public init(name: String, values: [Double], color: RGBColor? = nil) {
        self.init(name: name, points: values.enumerated().map { (Double($0.offset + 1), $0.element) }, color: color)
    }
}

public struct LineChart: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [Series]
    /// A fixed y range (e.g. 0...1 for accuracy); nil fits the data with nice ticks.
    public var yRange: ClosedRange<Double>?
    /// A fixed x range; nil fits the data.
    public var xRange: ClosedRange<Double>?
    public var showLegend: Bool

    public init(title: String = "", xLabel: String = "", yLabel: String = "", series: [Series] = [],
                yRange: ClosedRange<Double>? = nil, xRange: ClosedRange<Double>? = nil, showLegend: Bool = true) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.yRange = yRange
        self.xRange = xRange
        self.showLegend = showLegend
    }

    /// The colour series `k` is drawn in.
    public func color(ofSeries k: Int) -> RGBColor { series[k].color ?? Palette.color(k) }

    /// The chart as an image of the given size (at least 64x48).
    public func render(width: Int, height: Int) -> RGBImage {
        var canvas = Canvas(width: max(64, width), height: max(48, height))
        let area = layout(width: canvas.width, height: canvas.height)
        let textSize = Self.textSize(width: canvas.width, height: canvas.height)
        if !title.isEmpty {
            canvas.text(title, x: canvas.width / 2, y: 6, size: textSize + 3, color: .ink, anchor: .topCenter)
        }
        area.drawAxes(on: &canvas, textSize: textSize, xTitle: xLabel, yTitle: yLabel)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        if finite.isEmpty {
            canvas.text("no data", x: area.frame.x + area.frame.width / 2, y: area.frame.y + area.frame.height / 2,
                        size: textSize + 2, color: .caption, anchor: .center)
        }
        for (k, s) in series.enumerated() {
            let points = s.points.map { p in
                p.x.isFinite && p.y.isFinite ? area.point(p.x, p.y) : CanvasPoint(x: .nan, y: .nan)
            }
            canvas.polyline(points, color: color(ofSeries: k), thickness: s.thickness, clip: area.frame)
        }
        if showLegend {
            let entries = series.enumerated().filter { !$0.element.name.isEmpty }
                .map { LegendEntry(name: $0.element.name, color: color(ofSeries: $0.offset)) }
            canvas.legend(entries, inside: area.frame, textSize: textSize)
        }
        return canvas.image
    }

    /// The plot area and axes for an image of this size (exposed to tests through `dataToPixel`).
    func layout(width: Int, height: Int) -> PlotArea {
        let textSize = Self.textSize(width: width, height: height)
        let finite = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        let xTicks: AxisTicks
        if let xRange {
            xTicks = AxisTicks(fixedLower: xRange.lowerBound, upper: xRange.upperBound)
        } else {
            xTicks = AxisTicks(minimum: finite.map(\.x).min() ?? 0, maximum: finite.map(\.x).max() ?? 1)
        }
        let yTicks: AxisTicks
        if let yRange {
            yTicks = AxisTicks(fixedLower: yRange.lowerBound, upper: yRange.upperBound)
        } else {
            yTicks = AxisTicks(minimum: finite.map(\.y).min() ?? 0, maximum: finite.map(\.y).max() ?? 1)
        }
        let labelWidth = yTicks.values.map { TextRenderer.measure(yTicks.label($0), size: textSize).width }.max() ?? 0
        let left = 14 + labelWidth + (yLabel.isEmpty ? 0 : textSize + 8)
        let top = title.isEmpty ? 12 : textSize * 2 + 12
        let bottom = textSize + 14 + (xLabel.isEmpty ? 0 : textSize + 8)
        let frame = Rect(x: left, y: top, width: max(8, width - left - 16), height: max(8, height - top - bottom))
        return PlotArea(frame: frame, x: xTicks, y: yTicks)
    }

    /// Where the data point (x, y) lands in an image rendered at `width` x `height`.
    public func dataToPixel(x: Double, y: Double, width: Int, height: Int) -> (x: Int, y: Int) {
        let p = layout(width: max(64, width), height: max(48, height)).point(x, y)
        return (Int(p.x), Int(p.y))
    }

    static func textSize(width: Int, height: Int) -> Int { max(10, min(18, min(width, height) / 30)) }
}

/// Putting charts together.
public enum Plot {
    /// Images side by side, top-aligned, on a white background as tall as the tallest.
    public static func hstack(_ images: [RGBImage], spacing: Int = 0) -> RGBImage {
        guard !images.isEmpty else { return RGBImage(width: 0, height: 0) }
        let width = images.map(\.width).reduce(0, +) + spacing * (images.count - 1)
        var canvas = Canvas(width: width, height: images.map(\.height).max() ?? 0)
        var x = 0
        for image in images {
            canvas.draw(image, x: x, y: 0)
            x += image.width + spacing
        }
        return canvas.image
    }

    /// Images one above the other, left-aligned, on a white background as wide as the widest.
    public static func vstack(_ images: [RGBImage], spacing: Int = 0) -> RGBImage {
        guard !images.isEmpty else { return RGBImage(width: 0, height: 0) }
        let height = images.map(\.height).reduce(0, +) + spacing * (images.count - 1)
        var canvas = Canvas(width: images.map(\.width).max() ?? 0, height: height)
        var y = 0
        for image in images {
            canvas.draw(image, x: 0, y: y)
            y += image.height + spacing
        }
        return canvas.image
    }
}
