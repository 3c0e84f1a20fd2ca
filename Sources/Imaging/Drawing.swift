// Drawing primitives on RGB images for annotated output: filled rectangles and rectangle outlines
// of a given thickness drawn inwards from the rectangle's edge. Everything is clipped to the image,
// so a box partly outside the frame draws only its visible part.

/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Equatable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        self.red = red; self.green = green; self.blue = blue
    }
    public static let green = RGBColor(red: 0, green: 255, blue: 0)
    public static let red = RGBColor(red: 255, green: 0, blue: 0)
    public static let white = RGBColor(red: 255, green: 255, blue: 255)
}

extension RGBImage {
    /// Paints every pixel of `rect` (clipped to the image) with `color`.
    public mutating func fill(_ rect: Rect, color: RGBColor) {
        let r = rect.clamped(width: width, height: height)
        guard r.width > 0 && r.height > 0 else { return }
        let w = width
        pixels.withUnsafeMutableBufferPointer { p in
            for y in r.y..<(r.y + r.height) {
                var i = (y * w + r.x) * 3
                for _ in 0..<r.width {
                    p[i] = color.red; p[i + 1] = color.green; p[i + 2] = color.blue
                    i += 3
                }
            }
        }
    }

    /// Draws the outline of `rect` with lines `thickness` pixels wide, inside the rectangle.
    public mutating func strokeRectangle(_ rect: Rect, color: RGBColor, thickness: Int = 1) {
        guard rect.width > 0 && rect.height > 0 && thickness > 0 else { return }
        let t = min(thickness, (min(rect.width, rect.height) + 1) / 2)
        fill(Rect(x: rect.x, y: rect.y, width: rect.width, height: t), color: color)
        fill(Rect(x: rect.x, y: rect.y + rect.height - t, width: rect.width, height: t), color: color)
        fill(Rect(x: rect.x, y: rect.y, width: t, height: rect.height), color: color)
        fill(Rect(x: rect.x + rect.width - t, y: rect.y, width: t, height: rect.height), color: color)
    }
}

extension RGBImage {
    /// Draws a straight line from (x0, y0) to (x1, y1) (continuous pixel coordinates), `thickness` pixels
    /// wide: a square of that side stamped every half pixel along the line, clipped to the image.
    public mutating func strokeLine(from p0: (x: Double, y: Double), to p1: (x: Double, y: Double),
                                    color: RGBColor, thickness: Int = 1) {
        guard thickness > 0, p0.x.isFinite, p0.y.isFinite, p1.x.isFinite, p1.y.isFinite else { return }
        let dx = p1.x - p0.x, dy = p1.y - p0.y
        let steps = max(1, Int((2 * max(abs(dx), abs(dy))).rounded(.up)))
        guard steps < 1 << 20 else { return }
        let half = Double(thickness) / 2
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            let x = p0.x + t * dx - half, y = p0.y + t * dy - half
            fill(Rect(x: Int(x.rounded()), y: Int(y.rounded()), width: thickness, height: thickness), color: color)
        }
    }

    /// Draws the closed outline through `points`.
    public mutating func strokePolygon(_ points: [(x: Double, y: Double)], color: RGBColor, thickness: Int = 1) {
        for (i, p) in points.enumerated() {
            strokeLine(from: p, to: points[(i + 1) % points.count], color: color, thickness: thickness)
        }
    }
}
