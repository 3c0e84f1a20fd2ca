// Anti-aliased text for charts: DejaVu Sans through SDL2_ttf, rendered to an alpha mask and blended
// onto a Canvas in any colour, horizontally or rotated 90° counter-clockwise (for y-axis titles).
// Invariants: SDL_ttf is initialised once and used under one global lock (it is not thread-safe);
// fonts are opened once per pixel size and kept for the life of the process; when the font file is
// missing, text is skipped (charts still render) and `TextRenderer.problem` says why.
import CSDL2
import Foundation
import Imaging

/// Where text is anchored relative to the given point.
public enum TextAnchor: Sendable {
    case topLeft, topCenter, topRight, centerLeft, center, centerRight, bottomCenter
}

public enum TextRenderer {
    /// DejaVu Sans from Debian's fonts-dejavu-core (the font the live window uses).
    public static let fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var fonts: [Int: OpaquePointer] = [:]
    nonisolated(unsafe) private static var initialised = false
    nonisolated(unsafe) private static var failure: String?

    /// Why text cannot be drawn (nil when it can).
    public static var problem: String? {
        lock.lock()
        defer { lock.unlock() }
        _ = setUp()
        return failure
    }

    /// Whether text will be drawn.
    public static var isAvailable: Bool { problem == nil }

    /// Width and height in pixels of `text` at `size`; (0, 0) when no font is available.
    public static func measure(_ text: String, size: Int) -> (width: Int, height: Int) {
        lock.lock()
        defer { lock.unlock() }
        guard !text.isEmpty, let font = font(size: size) else { return (0, 0) }
        var w: Int32 = 0, h: Int32 = 0
        TTF_SizeUTF8(font, text, &w, &h)
        return (Int(w), Int(h))
    }

    /// The alpha mask of `text` (row-major, `width` x `height`, 0...255), or nil without a font.
    public static func mask(_ text: String, size: Int) -> (pixels: [UInt8], width: Int, height: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard !text.isEmpty, let font = font(size: size),
              let surface = TTF_RenderUTF8_Blended(font, text, SDL_Color(r: 255, g: 255, b: 255, a: 255)) else { return nil }
        defer { SDL_FreeSurface(surface) }
        let w = Int(surface.pointee.w), h = Int(surface.pointee.h), pitch = Int(surface.pointee.pitch)
        guard w > 0, h > 0, let base = surface.pointee.pixels else { return nil }
        var pixels = [UInt8](repeating: 0, count: w * h)
        // Blended text is ARGB8888: alpha in the top byte of each 32-bit pixel.
        for y in 0..<h {
            let row = (base + y * pitch).assumingMemoryBound(to: UInt32.self)
            for x in 0..<w { pixels[y * w + x] = UInt8(truncatingIfNeeded: row[x] >> 24) }
        }
        return (pixels, w, h)
    }

    private static func setUp() -> Bool {
        if initialised { return failure == nil }
        initialised = true
        guard FileManager.default.fileExists(atPath: fontPath) else {
            failure = "font \(fontPath) not found: install fonts-dejavu-core (apt-get install fonts-dejavu-core)"
            return false
        }
        if TTF_WasInit() == 0 && TTF_Init() != 0 {
            failure = "TTF_Init failed: \(String(cString: SDL_GetError()))"
            return false
        }
        return true
    }

    private static func font(size: Int) -> OpaquePointer? {
        guard setUp() else { return nil }
        let size = max(6, min(size, 200))
        if let font = fonts[size] { return font }
        guard let font = TTF_OpenFont(fontPath, Int32(size)) else {
            failure = "cannot open font \(fontPath): \(String(cString: SDL_GetError()))"
            return nil
        }
        fonts[size] = font
        return font
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

extension RGBColor {
    static let ink = RGBColor(red: 20, green: 20, blue: 20)
    static let axis = RGBColor(red: 60, green: 60, blue: 60)
    static let grid = RGBColor(red: 225, green: 225, blue: 225)
    static let caption = RGBColor(red: 90, green: 90, blue: 90)
}
