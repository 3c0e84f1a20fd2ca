// Charts render at the asked size, draw each series where its data maps, handle empty data, and
// colour emotions with the one palette the live overlay uses.
import Emotion
import Imaging
import Presentation
import XCTest
@testable import Plot

final class ChartRenderingTests: XCTestCase {
    private func pixel(_ image: RGBImage, _ x: Int, _ y: Int) -> RGBColor {
        let i = (y * image.width + x) * 3
        return RGBColor(red: image.pixels[i], green: image.pixels[i + 1], blue: image.pixels[i + 2])
    }

    /// Whether some pixel within `radius` of (x, y) has exactly `color`.
    private func hasColor(_ image: RGBImage, near x: Int, _ y: Int, _ color: RGBColor, radius: Int = 1) -> Bool {
        for dy in -radius...radius { for dx in -radius...radius {
            let px = x + dx, py = y + dy
            if px >= 0, py >= 0, px < image.width, py < image.height, pixel(image, px, py) == color { return true }
        } }
        return false
    }

    private func count(_ image: RGBImage, _ color: RGBColor) -> Int {
        var n = 0
        for k in stride(from: 0, to: image.pixels.count, by: 3)
        where image.pixels[k] == color.red && image.pixels[k + 1] == color.green && image.pixels[k + 2] == color.blue { n += 1 }
        return n
    }

    func testTheFontIsAvailableForLabels() {
        XCTAssertNil(TextRenderer.problem)
        XCTAssertGreaterThan(TextRenderer.measure("accuracy", size: 14).width, 30)
    }

    func testLineChartDrawsEachSeriesAtItsMappedPoints() {
        let red = RGBColor(red: 200, green: 0, blue: 0), blue = RGBColor(red: 0, green: 0, blue: 200)
        let chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [
            Series(name: "train", points: [(1, 2.0), (2, 1.5), (3, 1.0), (4, 0.8)], color: red, thickness: 3),
            Series(name: "validation", points: [(1, 2.2), (2, 1.9), (3, 1.7), (4, 1.6)], color: blue, thickness: 3),
        ])
        let image = chart.render(width: 640, height: 400)
        XCTAssertEqual(image.width, 640)
        XCTAssertEqual(image.height, 400)
        for (x, y) in [(2.0, 1.5), (3.0, 1.0), (2.5, 1.25)] {  // vertices and a segment's midpoint
            let p = chart.dataToPixel(x: x, y: y, width: 640, height: 400)
            XCTAssertTrue(hasColor(image, near: p.x, p.y, red), "train line missing at (\(x), \(y)) → \(p)")
        }
        let v = chart.dataToPixel(x: 3, y: 1.7, width: 640, height: 400)
        XCTAssertTrue(hasColor(image, near: v.x, v.y, blue))
        // Nowhere near the line there is none of its colour (a point between the two curves).
        let between = chart.dataToPixel(x: 3, y: 1.35, width: 640, height: 400)
        XCTAssertFalse(hasColor(image, near: between.x, between.y, red, radius: 3))
        // Higher values are drawn higher up.
        XCTAssertLessThan(chart.dataToPixel(x: 1, y: 2, width: 640, height: 400).y,
                          chart.dataToPixel(x: 1, y: 1, width: 640, height: 400).y)
    }

    func testAFixedYRangeClipsLinesToThePlotArea() {
        let green = RGBColor(red: 0, green: 150, blue: 0)
        let chart = LineChart(series: [Series(name: "acc", points: [(0, 0.5), (1, 3.0)], color: green)], yRange: 0...1)
        let image = chart.render(width: 300, height: 200)
        let top = chart.dataToPixel(x: 0, y: 1, width: 300, height: 200)
        for y in 0..<(top.y - 2) { for x in 0..<image.width { XCTAssertNotEqual(pixel(image, x, y), green) } }
    }

    func testEmptyChartsRenderWithoutData() {
        for chart in [LineChart(), LineChart(title: "t", series: [Series(name: "nan", points: [(.nan, 1), (1, .infinity)])])] {
            let image = chart.render(width: 200, height: 150)
            XCTAssertEqual(image.pixels.count, 200 * 150 * 3)
        }
        let tiny = LineChart().render(width: 1, height: 1)
        XCTAssertEqual(tiny.width, 64)  // clamped to a minimum size rather than trapping
        let timeline = TimelineChart(tracks: []).render(width: 400, height: 300)
        XCTAssertGreaterThan(count(timeline, TimelineChart.plotBackground), 1000)
    }

    func testStacksPlaceImagesSideBySideAndAbove() {
        var a = Canvas(width: 10, height: 5, background: .red).image
        let b = Canvas(width: 7, height: 8, background: .green).image
        let row = Plot.hstack([a, b], spacing: 3)
        XCTAssertEqual(row.width, 20)
        XCTAssertEqual(row.height, 8)
        XCTAssertEqual(pixel(row, 9, 0), .red)
        XCTAssertEqual(pixel(row, 11, 0), .white)
        XCTAssertEqual(pixel(row, 13, 7), .green)
        XCTAssertEqual(pixel(row, 0, 6), .white)
        a = Plot.vstack([a, b])
        XCTAssertEqual(a.width, 10)
        XCTAssertEqual(a.height, 13)
        XCTAssertEqual(pixel(a, 0, 5), .green)
        XCTAssertEqual(Plot.hstack([]).width, 0)
    }

    func testConfusionMatrixColoursCellsByRowShare() {
        let chart = ConfusionMatrixChart(matrix: [[8, 2, 0], [1, 1, 0], [0, 0, 0]], labels: ["a", "b", "c"], title: "cm")
        XCTAssertEqual(chart.rowShares[0], [0.8, 0.2, 0])
        XCTAssertEqual(chart.rowShares[2], [0, 0, 0])
        XCTAssertEqual(chart.accuracy, 9.0 / 12.0, accuracy: 1e-12)
        let image = chart.render(width: 480, height: 480)
        XCTAssertEqual(image.width, 480)
        // A cell's corner (away from its text) has the fill of its share.
        for (row, column, share) in [(0, 0, 0.8), (0, 1, 0.2), (1, 1, 0.5), (2, 2, 0.0)] {
            let cell = chart.cellRect(row: row, column: column, width: 480, height: 480)
            XCTAssertEqual(pixel(image, cell.x + 3, cell.y + 3), ConfusionMatrixChart.cellColor(share: share),
                           "cell (\(row), \(column))")
        }
        XCTAssertNotEqual(ConfusionMatrixChart.cellColor(share: 0.8), ConfusionMatrixChart.cellColor(share: 0.2))
        // A mismatched matrix renders a message, not a trap.
        let bad = ConfusionMatrixChart(matrix: [[1, 2]], labels: ["a", "b"]).render(width: 200, height: 200)
        XCTAssertEqual(bad.height, 200)
    }

    func testTimelineDrawsEachEmotionInTheOverlayColour() {
        // Track 3: happy rises from 0.1 to 0.9 over 4 s; sad stays at 0.05 (others share the rest).
        let times = (0..<41).map { Double($0) / 10 * 4 / 4 }
        let probabilities: [[Float]] = times.map { t in
            let happy = Float(0.1 + 0.2 * t)
            var p = [Float](repeating: (1 - happy - 0.05) / 5, count: 7)
            p[EmotionLabel.happy.rawValue] = happy
            p[EmotionLabel.sad.rawValue] = 0.05
            return p
        }
        let chart = TimelineChart(tracks: [TimelineChart.Track(id: 3, times: times, probabilities: probabilities)])
        let image = chart.render(width: 800, height: 300)
        XCTAssertEqual(image.width, 800)
        let happy = Palette.color(for: .happy), sad = Palette.color(for: .sad)
        let p = chart.dataToPixel(panel: 0, time: 3, probability: 0.7, width: 800, height: 300)
        XCTAssertTrue(hasColor(image, near: p.x, p.y, happy), "happy at t=3 should be at 0.7 → \(p)")
        let q = chart.dataToPixel(panel: 0, time: 1, probability: 0.05, width: 800, height: 300)
        XCTAssertTrue(hasColor(image, near: q.x, q.y, sad))
        XCTAssertFalse(hasColor(image, near: p.x, p.y + 30, happy, radius: 2))
    }

    func testTimelineBreaksLinesAcrossGapsAndLimitsPanels() {
        let flat: [Float] = [0, 0, 0, 1, 0, 0, 0]
        let track = TimelineChart.Track(id: 1, times: [0, 0.1, 0.2, 5.0, 5.1], probabilities: Array(repeating: flat, count: 5))
        let chart = TimelineChart(tracks: [track])
        let image = chart.render(width: 600, height: 240)
        let happy = Palette.color(for: .happy)
        let inGap = chart.dataToPixel(panel: 0, time: 2.5, probability: 1, width: 600, height: 240)
        XCTAssertFalse(hasColor(image, near: inGap.x, inGap.y, happy, radius: 2), "no line across a 4.8 s gap")
        XCTAssertEqual(chart.onScreenSeconds(track), 0.3, accuracy: 1e-9)

        let many = (1...9).map { id in
            TimelineChart.Track(id: id, times: (0..<id).map(Double.init), probabilities: Array(repeating: flat, count: id))
        }
        let limited = TimelineChart(tracks: many, maxPanels: 3)
        XCTAssertEqual(limited.shownTracks.map(\.id), [7, 8, 9])
        XCTAssertEqual(limited.render(width: 500, height: 400).height, 400)
    }
}
