// A drawing surface for charts over an RGBImage: alpha-blended fills, anti-aliased polylines and a
// text layer. Coordinates are in pixels, origin top-left, x right, y down; pixel (x, y) covers
// [x, x+1) x [y, y+1), so its centre is (x + 0.5, y + 0.5).
// Invariants: everything is clipped to the image (drawing off-image is a no-op, never a crash);
// a polyline is rasterised into one coverage mask and blended once, so its joins are not darker
// than its segments; NaN points break a polyline into separate runs.
import Imaging

/// A point in canvas pixels.
public struct CanvasPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

public struct Canvas: Sendable {
    public private(set) var image: RGBImage
    public var width: Int { image.width }
    public var height: Int { image.height }

    /// A canvas of the given size filled with `background`.
    public init(width: Int, height: Int, background: RGBColor = .white) {
        image = RGBImage(width: max(0, width), height: max(0, height))
        fill(Rect(x: 0, y: 0, width: width, height: height), color: background)
    }

    /// Paints `rect` with `color` at `alpha` (0...1).
    public mutating func fill(_ rect: Rect, color: RGBColor, alpha: Double = 1) {
        if alpha >= 1 { image.fill(rect, color: color); return }
        let r = rect.clamped(width: width, height: height)
        guard r.width > 0, r.height > 0, alpha > 0 else { return }
        for y in r.y..<(r.y + r.height) {
            for x in r.x..<(r.x + r.width) { blend(x: x, y: y, color: color, alpha: alpha) }
        }
    }

    /// A one-pixel (or `thickness`) rectangle outline drawn inside `rect`.
    public mutating func stroke(_ rect: Rect, color: RGBColor, thickness: Int = 1) {
        image.strokeRectangle(rect, color: color, thickness: thickness)
    }

    /// A horizontal line from x0 to x1 (inclusive) on row y.
    public mutating func horizontalLine(y: Int, from x0: Int, to x1: Int, color: RGBColor, alpha: Double = 1) {
        fill(Rect(x: min(x0, x1), y: y, width: abs(x1 - x0) + 1, height: 1), color: color, alpha: alpha)
    }

    /// A vertical line from y0 to y1 (inclusive) on column x.
    public mutating func verticalLine(x: Int, from y0: Int, to y1: Int, color: RGBColor, alpha: Double = 1) {
        fill(Rect(x: x, y: min(y0, y1), width: 1, height: abs(y1 - y0) + 1), color: color, alpha: alpha)
    }

    /// Mixes `color` into pixel (x, y) with weight `alpha`; off-image pixels are ignored.
    @inline(__always)
    public mutating func blend(x: Int, y: Int, color: RGBColor, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, alpha > 0 else { return }
        let a = min(alpha, 1), i = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8(clamping: Int((Double(old) * (1 - a) + Double(new) * a).rounded()))
        }
        image.pixels[i] = mix(image.pixels[i], color.red)
        image.pixels[i + 1] = mix(image.pixels[i + 1], color.green)
        image.pixels[i + 2] = mix(image.pixels[i + 2], color.blue)
    }

    /// The colour of pixel (x, y).
    public func color(x: Int, y: Int) -> RGBColor {
        let i = (y * width + x) * 3
        return RGBColor(red: image.pixels[i], green: image.pixels[i + 1], blue: image.pixels[i + 2])
    }

    /// An anti-aliased polyline `thickness` pixels wide, clipped to `clip` (default: the whole canvas).
    /// Coverage of a pixel is how far its centre lies inside the stroke (a one-pixel linear ramp at the edge).
    public mutating func polyline(_ points: [CanvasPoint], color: RGBColor, thickness: Double = 2, clip: Rect? = nil) {
        let area = (clip ?? Rect(x: 0, y: 0, width: width, height: height)).clamped(width: width, height: height)
        guard area.width > 0, area.height > 0, points.count >= 1 else { return }
        var mask = [Float](repeating: 0, count: area.width * area.height)
        let half = max(thickness, 0.5) / 2
        var previous: CanvasPoint?
        for point in points {
            guard point.x.isFinite, point.y.isFinite else { previous = nil; continue }
            let start = previous ?? point  // a lone point is a dot
            stamp(segment: (start, point), half: half, area: area, mask: &mask)
            previous = point
        }
        for my in 0..<area.height {
            for mx in 0..<area.width where mask[my * area.width + mx] > 0 {
                blend(x: area.x + mx, y: area.y + my, color: color, alpha: Double(mask[my * area.width + mx]))
            }
        }
    }

    /// Max-accumulates the coverage of one capsule-shaped segment into `mask` (laid out over `area`).
    private func stamp(segment: (CanvasPoint, CanvasPoint), half: Double, area: Rect, mask: inout [Float]) {
        let (a, b) = segment
        let reach = half + 1
        let x0 = max(area.x, Int((min(a.x, b.x) - reach).rounded(.down)))
        let x1 = min(area.x + area.width - 1, Int((max(a.x, b.x) + reach).rounded(.up)))
        let y0 = max(area.y, Int((min(a.y, b.y) - reach).rounded(.down)))
        let y1 = min(area.y + area.height - 1, Int((max(a.y, b.y) + reach).rounded(.up)))
        guard x0 <= x1, y0 <= y1 else { return }
        let dx = b.x - a.x, dy = b.y - a.y, length2 = dx * dx + dy * dy
        for y in y0...y1 {
            let py = Double(y) + 0.5
            for x in x0...x1 {
                let px = Double(x) + 0.5
                // Distance from the pixel centre to the segment.
                var t = length2 > 0 ? ((px - a.x) * dx + (py - a.y) * dy) / length2 : 0
                t = min(max(t, 0), 1)
                let ex = px - (a.x + t * dx), ey = py - (a.y + t * dy)
                let distance = (ex * ex + ey * ey).squareRoot()
                let coverage = Float(min(max(half + 0.5 - distance, 0), 1))
                let k = (y - area.y) * area.width + (x - area.x)
                if coverage > mask[k] { mask[k] = coverage }
            }
        }
    }

    /// Blends an alpha mask (`maskWidth` x rows, values 0...255) at (x, y) in `color`.
    public mutating func blend(mask: [UInt8], maskWidth: Int, x: Int, y: Int, color: RGBColor) {
        guard maskWidth > 0 else { return }
        let rows = mask.count / maskWidth
        for my in 0..<rows {
            let ty = y + my
            guard ty >= 0, ty < height else { continue }
            for mx in 0..<maskWidth {
                let a = mask[my * maskWidth + mx]
                if a > 0 { blend(x: x + mx, y: ty, color: color, alpha: Double(a) / 255) }
            }
        }
    }

    /// Copies `other` with its top-left corner at (x, y), clipped.
    public mutating func draw(_ other: RGBImage, x: Int, y: Int) {
        for row in 0..<other.height {
            let ty = y + row
            guard ty >= 0, ty < height else { continue }
            let sx0 = max(0, -x), sx1 = min(other.width, width - x)
            guard sx0 < sx1 else { continue }
            let src = (row * other.width + sx0) * 3, dst = (ty * width + x + sx0) * 3, count = (sx1 - sx0) * 3
            image.pixels.replaceSubrange(dst..<(dst + count), with: other.pixels[src..<(src + count)])
        }
    }
}
