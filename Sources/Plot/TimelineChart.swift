// Emotion probabilities over time, one panel per face track, seven lines per panel in the overlay's
// emotion colours on a dark ground (the palette is bright, made for video), a shared time axis and
// one legend. Lines break where a track was not seen for longer than `gap` seconds.
// Invariants: panels are in track order; with more tracks than `maxPanels` the ones seen in the most
// frames are shown and the caption says how many were left out; no tracks renders "no faces".
import Frames
import Imaging
import Presentation

public struct TimelineChart: Sendable {
    /// One face track's samples: `probabilities[k]` (seven, EmotionLabel order) at `times[k]` seconds.
    public struct Track: Sendable {
        public var id: Int
        public var times: [Double]
        public var probabilities: [[Float]]
        /// Time on screen for the panel's caption; nil sums the sample steps up to `gap`.
        public var secondsOnScreen: Double?

        public init(id: Int, times: [Double], probabilities: [[Float]], secondsOnScreen: Double? = nil) {
            precondition(times.count == probabilities.count, "one probability vector per time")
            self.id = id
            self.times = times
            self.probabilities = probabilities
            self.secondsOnScreen = secondsOnScreen
        }
    }

    public var title: String
    public var tracks: [Track]
    /// The time axis; nil spans the samples.
    public var timeRange: ClosedRange<Double>?
    public var maxPanels: Int
    /// Seconds without a sample after which a line is broken.
    public var gap: Double

    public static let plotBackground = RGBColor(red: 32, green: 32, blue: 36)
    static let gridColor = RGBColor(red: 70, green: 70, blue: 78)

    public init(title: String = "Emotions over time", tracks: [Track], timeRange: ClosedRange<Double>? = nil,
                maxPanels: Int = 6, gap: Double = 1.0) {
        self.title = title
        self.tracks = tracks
        self.timeRange = timeRange
        self.maxPanels = max(1, maxPanels)
        self.gap = gap
    }

    /// The tracks that get a panel, in track order.
    public var shownTracks: [Track] {
        let longest = tracks.sorted { $0.times.count != $1.times.count ? $0.times.count > $1.times.count : $0.id < $1.id }
        return Array(longest.prefix(maxPanels)).sorted { $0.id < $1.id }
    }

    public func render(width: Int, height: Int) -> RGBImage {
        var canvas = Canvas(width: max(160, width), height: max(120, height))
        let textSize = LineChart.textSize(width: canvas.width, height: canvas.height)
        canvas.text(title, x: canvas.width / 2, y: 6, size: textSize + 3, color: .ink, anchor: .topCenter)
        let shown = shownTracks
        let panels = layout(width: canvas.width, height: canvas.height)
        drawLegend(on: &canvas, y: 12 + textSize + 6, textSize: textSize)
        if shown.isEmpty {
            let frame = panels.first?.frame ?? Rect(x: 0, y: 0, width: canvas.width, height: canvas.height)
            canvas.fill(frame, color: Self.plotBackground)
            canvas.text("no faces", x: frame.x + frame.width / 2, y: frame.y + frame.height / 2, size: textSize + 2,
                        color: .white, anchor: .center)
            return canvas.image
        }
        for (k, (track, area)) in zip(shown, panels).enumerated() {
            canvas.fill(area.frame, color: Self.plotBackground)
            let last = k == shown.count - 1
            area.drawAxes(on: &canvas, textSize: textSize, xTitle: last ? "time (s)" : "", yTitle: "", showXLabels: last,
                          gridColor: Self.gridColor)
            for label in EmotionLabel.allCases {
                var points: [CanvasPoint] = []
                points.reserveCapacity(track.times.count + 8)
                var previous: Double?
                for (t, p) in zip(track.times, track.probabilities) where t.isFinite && p.count > label.rawValue {
                    if let previous, t - previous > gap { points.append(CanvasPoint(x: .nan, y: .nan)) }
                    points.append(area.point(t, Double(p[label.rawValue])))
                    previous = t
                }
                canvas.polyline(points, color: Palette.color(for: label), thickness: 1.6, clip: area.frame)
            }
            let seen = track.secondsOnScreen ?? onScreenSeconds(track)
            canvas.text(String(format: "track %d · %.1f s", track.id, seen), x: area.frame.x + 6, y: area.frame.y + 4,
                        size: textSize, color: .white)
        }
        if tracks.count > shown.count {
            canvas.text("\(tracks.count - shown.count) shorter tracks not shown", x: canvas.width - 8,
                        y: canvas.height - 4, size: textSize - 1, color: .caption, anchor: .centerRight)
        }
        return canvas.image
    }

    /// Seconds covered by the samples, counting each step up to `gap` (a track's time on screen).
    func onScreenSeconds(_ track: Track) -> Double {
        var total = 0.0
        for (a, b) in zip(track.times, track.times.dropFirst()) where b - a <= gap && b > a { total += b - a }
        return total
    }

    /// The panels' plot areas, top to bottom (at least one, for the empty chart).
    func layout(width: Int, height: Int) -> [PlotArea] {
        let textSize = LineChart.textSize(width: width, height: height)
        let all = tracks.flatMap(\.times).filter(\.isFinite)
        let x: AxisTicks
        if let timeRange {
            x = AxisTicks(fixedLower: timeRange.lowerBound, upper: timeRange.upperBound, count: 10)
        } else {
            x = AxisTicks(minimum: all.min() ?? 0, maximum: all.max() ?? 1, count: 10)
        }
        let y = AxisTicks(fixedLower: 0, upper: 1, count: 2)
        let count = max(1, shownTracks.count)
        let top = 12 + textSize * 3 + 14, bottom = textSize * 2 + 24, spacing = textSize + 6
        let left = 16 + TextRenderer.measure("0.5", size: textSize).width
        let panelHeight = max(12, (height - top - bottom - spacing * (count - 1)) / count)
        return (0..<count).map { k in
            PlotArea(frame: Rect(x: left, y: top + k * (panelHeight + spacing), width: max(8, width - left - 16),
                                 height: panelHeight), x: x, y: y)
        }
    }

    /// Where (time, probability) of the k-th shown panel lands in an image of this size.
    public func dataToPixel(panel: Int, time: Double, probability: Double, width: Int, height: Int) -> (x: Int, y: Int) {
        let p = layout(width: max(160, width), height: max(120, height))[panel].point(time, probability)
        return (Int(p.x), Int(p.y))
    }

    private func drawLegend(on canvas: inout Canvas, y: Int, textSize: Int) {
        let swatch = textSize * 2
        let widths = EmotionLabel.allCases.map { TextRenderer.measure($0.description, size: textSize).width + swatch + 18 }
        var x = max(8, (canvas.width - widths.reduce(0, +)) / 2)
        let cy = Double(y) + Double(textSize) / 2 + 2
        for (label, w) in zip(EmotionLabel.allCases, widths) {
            canvas.fill(Rect(x: x, y: Int(cy) - 3, width: swatch, height: 6), color: Palette.color(for: label))
            canvas.text(label.description, x: x + swatch + 4, y: Int(cy), size: textSize, color: .ink, anchor: .centerLeft)
            x += w
        }
    }
}
