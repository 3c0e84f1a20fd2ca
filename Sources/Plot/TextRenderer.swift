// Text on charts: the presentation layer's font service (`Fonts.standard`, DejaVu Sans, the font the
// overlay uses) gives an alpha mask that is blended onto a Canvas in any colour, horizontally or rotated
// 90° counter-clockwise (for y-axis titles). When the font file is missing, text is skipped (charts still
// render) and `TextRenderer.problem` says why.
import Imaging
import Presentation

/// Where text is anchored relative to the given point.
public enum TextAnchor: Sendable {
    case topLeft, topCenter, topRight, centerLeft, center, centerRight, bottomCenter
}

/// How charts measure and draw text: never throws, draws nothing without a font.
public enum TextRenderer {
    /// Why text cannot be drawn (nil when it can).
    public static var problem: String? { Fonts.standard.problem }

    /// Whether text will be drawn.
    public static var isAvailable: Bool { problem == nil }

    /// Width and height in pixels of `text` at `size`; (0, 0) when it is empty or no font is available.
    public static func measure(_ text: String, size: Int) -> (width: Int, height: Int) {
        guard !text.isEmpty else { return (0, 0) }
        return (try? Fonts.standard.measure(text, size: size)) ?? (0, 0)
    }

    /// The alpha mask of `text`, or nil when it is empty or there is no font.
    static func mask(_ text: String, size: Int) -> (pixels: [UInt8], width: Int, height: Int)? {
        guard !text.isEmpty else { return nil }
        return (try? Fonts.standard.mask(text, size: size)) ?? nil
    }
}

extension Canvas {
    /// Draws `text` at `size` pixels in `color`, anchored at (x, y); `rotated` turns it 90° counter-clockwise.
    public mutating func text(_ text: String, x: Int, y: Int, size: Int, color: RGBColor = RGBColor(red: 0, green: 0, blue: 0),
                              anchor: TextAnchor = .topLeft, rotated: Bool = false) {
        guard var glyphs = TextRenderer.mask(text, size: size) else { return }
        if rotated {
            // (x, y) in the text → (y, w - 1 - x) in the rotated mask, which is h wide and w tall.
            var turned = [UInt8](repeating: 0, count: glyphs.pixels.count)
            for sy in 0..<glyphs.height {
                for sx in 0..<glyphs.width {
                    turned[(glyphs.width - 1 - sx) * glyphs.height + sy] = glyphs.pixels[sy * glyphs.width + sx]
                }
            }
            glyphs = (turned, glyphs.height, glyphs.width)
        }
        let w = glyphs.width, h = glyphs.height
        let (ox, oy): (Int, Int)
        switch anchor {
        case .topLeft: (ox, oy) = (x, y)
        case .topCenter: (ox, oy) = (x - w / 2, y)
        case .topRight: (ox, oy) = (x - w, y)
        case .centerLeft: (ox, oy) = (x, y - h / 2)
        case .center: (ox, oy) = (x - w / 2, y - h / 2)
        case .centerRight: (ox, oy) = (x - w, y - h / 2)
        case .bottomCenter: (ox, oy) = (x - w / 2, y - h)
        }
        blend(mask: glyphs.pixels, maskWidth: w, x: ox, y: oy, color: color)
    }
}
