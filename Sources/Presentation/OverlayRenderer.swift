// Draws one frame and its results with an SDL renderer: the video scaled to fit (letterboxed), per face a
// box (turned by the face's angle) in its emotion's colour with "label confidence% #track" on a plate, optional probability bars,
// and a HUD (fps, latency, drops, status). The same code draws into the window and, through a software
// renderer on a surface, into off-screen images for screenshots and recordings.
// Invariants: sizes scale with the output height so text stays readable at any window size; boxes are
// mapped with the same transform as the video, so they land on the faces.
import CSDL2
import Foundation
import Frames
import Imaging

/// What the overlay shows besides the video and the boxes.
public struct OverlayOptions: Sendable, Equatable {
    public var showHUD: Bool
    public var showBars: Bool

    public init(showHUD: Bool = true, showBars: Bool = false) {
        self.showHUD = showHUD
        self.showBars = showBars
    }
}

/// Where the video lands in an output of another size: uniform scale, centred.
public struct VideoLayout: Sendable, Equatable {
    public let x: Double, y: Double, scale: Double
    public let width: Int, height: Int

    public init(videoWidth: Int, videoHeight: Int, outputWidth: Int, outputHeight: Int) {
        let scale = min(Double(outputWidth) / Double(max(videoWidth, 1)), Double(outputHeight) / Double(max(videoHeight, 1)))
        self.scale = scale
        width = Int((Double(videoWidth) * scale).rounded())
        height = Int((Double(videoHeight) * scale).rounded())
        x = Double(outputWidth - width) / 2
        y = Double(outputHeight - height) / 2
    }

    /// A rectangle in video pixels, in output pixels.
    public func map(_ r: Rect) -> Rect {
        Rect(x: Int((x + Double(r.x) * scale).rounded()), y: Int((y + Double(r.y) * scale).rounded()),
             width: Int((Double(r.width) * scale).rounded()), height: Int((Double(r.height) * scale).rounded()))
    }
}

/// Draws the overlay with an SDL renderer (a window's, or OffscreenOverlay's software one).
public final class OverlayRenderer {
    public let renderer: OpaquePointer
    private let fonts: Fonts
    private var texture: OpaquePointer?
    private var textureSize = (0, 0)

    public init(renderer: OpaquePointer, fonts: Fonts) {
        self.renderer = renderer
        self.fonts = fonts
    }

    deinit {
        if let texture { SDL_DestroyTexture(texture) }
    }

    /// Clears the output and draws `image` with `result` and the HUD on it.
    public func draw(_ image: RGBImage, result: FrameResult?, summary: PipelineSummary?, status: [String],
              options: OverlayOptions, outputWidth: Int, outputHeight: Int) throws {
        SDL_SetRenderDrawColor(renderer, 0, 0, 0, 255)
        SDL_RenderClear(renderer)
        let layout = VideoLayout(videoWidth: image.width, videoHeight: image.height,
                                 outputWidth: outputWidth, outputHeight: outputHeight)
        try drawVideo(image, layout: layout)
        let textSize = max(12, min(28, outputHeight / 28))
        if let result {
            for face in result.faces { try drawFace(face, layout: layout, textSize: textSize, options: options) }
        }
        if options.showHUD { try drawHUD(summary: summary, status: status, textSize: textSize) }
    }

    private func drawVideo(_ image: RGBImage, layout: VideoLayout) throws {
        guard image.width > 0, image.height > 0 else { return }
        if texture == nil || textureSize != (image.width, image.height) {
            if let texture { SDL_DestroyTexture(texture) }
            texture = SDL_CreateTexture(renderer, UInt32(SDL_PIXELFORMAT_RGB24.rawValue),
                                        Int32(SDL_TEXTUREACCESS_STREAMING.rawValue), Int32(image.width), Int32(image.height))
            guard texture != nil else { throw PresentationError.sdl("SDL_CreateTexture", sdlError()) }
            textureSize = (image.width, image.height)
        }
        image.pixels.withUnsafeBytes { raw in
            _ = SDL_UpdateTexture(texture, nil, raw.baseAddress, Int32(image.width * 3))
        }
        var target = SDL_Rect(x: Int32(layout.x.rounded()), y: Int32(layout.y.rounded()),
                              w: Int32(layout.width), h: Int32(layout.height))
        SDL_RenderCopy(renderer, texture, nil, &target)
    }

    private func drawFace(_ face: FaceResult, layout: VideoLayout, textSize: Int, options: OverlayOptions) throws {
        let color = Palette.color(for: face.label)
        let box = layout.map(face.box)
        let thickness = max(2, textSize / 6)
        setColor(color)
        for t in 0..<thickness {
            if face.angle != 0 {
                drawTurnedBox(box, inset: t, degrees: face.angle)
                continue
            }
            var r = SDL_Rect(x: Int32(box.x + t), y: Int32(box.y + t),
                             w: Int32(max(1, box.width - 2 * t)), h: Int32(max(1, box.height - 2 * t)))
            SDL_RenderDrawRect(renderer, &r)
        }

        // Label plate above the box, or inside its top edge when there is no room above.
        let text = "\(face.label) \(Int((face.confidence * 100).rounded()))% #\(face.track)"
        let (textWidth, textHeight) = try measure(text, size: textSize)
        let plateHeight = textHeight + 4
        let plateY = box.y - plateHeight >= 0 ? box.y - plateHeight : box.y + thickness
        fill(Rect(x: box.x, y: plateY, width: textWidth + 8, height: plateHeight), color, alpha: 255)
        try drawText(text, x: box.x + 4, y: plateY + 2, size: textSize, color: RGBColor.black)

        if options.showBars { try drawBars(face, box: box, textSize: textSize) }
    }

    /// The outline of `box` shrunk by `inset` on every side and turned `degrees` clockwise about its centre.
    private func drawTurnedBox(_ box: Rect, inset: Int, degrees: Double) {
        let r = degrees * .pi / 180, c = cos(r), s = sin(r)
        let cx = Double(box.x) + Double(box.width) / 2, cy = Double(box.y) + Double(box.height) / 2
        let hw = max(0.5, Double(box.width) / 2 - Double(inset)), hh = max(0.5, Double(box.height) / 2 - Double(inset))
        var points = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh), (-hw, -hh)].map { u, v in
            SDL_FPoint(x: Float(cx + u * c - v * s), y: Float(cy + u * s + v * c))
        }
        SDL_RenderDrawLinesF(renderer, &points, Int32(points.count))
    }

    private func drawBars(_ face: FaceResult, box: Rect, textSize: Int) throws {
        let size = max(10, textSize * 3 / 4)
        let labelWidth = size * 5, barWidth = size * 5, rowHeight = size + 4
        let panelWidth = labelWidth + barWidth + 8
        let (outputWidth, _) = outputSize()
        var x = box.x + box.width + 6
        if x + panelWidth > outputWidth { x = max(0, box.x - panelWidth - 6) }
        fill(Rect(x: x, y: box.y, width: panelWidth, height: rowHeight * 7 + 4), RGBColor.black, alpha: 160)
        for label in EmotionLabel.allCases {
            let y = box.y + 2 + label.rawValue * rowHeight
            try drawText(label.description, x: x + 4, y: y, size: size, color: RGBColor.white)
            let p = Double(max(0, min(1, face.probabilities[label.rawValue])))
            fill(Rect(x: x + 4 + labelWidth, y: y + 2, width: max(1, Int(Double(barWidth) * p)), height: rowHeight - 6),
                 Palette.color(for: label), alpha: 255)
        }
    }

    private func drawHUD(summary: PipelineSummary?, status: [String], textSize: Int) throws {
        var lines: [String] = []
        if let s = summary {
            lines.append(String(format: "capture %.1f fps · processed %.1f fps", s.captureFPS, s.processedFPS))
            lines.append(String(format: "latency p50 %.0f ms · p95 %.0f ms · dropped %d", s.latencyP50 * 1000,
                                s.latencyP95 * 1000, s.framesDropped))
        }
        lines += status
        guard !lines.isEmpty else { return }
        let size = max(10, textSize * 3 / 4)
        var widest = 0, lineHeight = 0
        for line in lines {
            let (w, h) = try measure(line, size: size)
            widest = max(widest, w)
            lineHeight = max(lineHeight, h)
        }
        fill(Rect(x: 6, y: 6, width: widest + 12, height: lineHeight * lines.count + 8), RGBColor.black, alpha: 170)
        for (k, line) in lines.enumerated() {
            try drawText(line, x: 12, y: 10 + k * lineHeight, size: size, color: RGBColor.white)
        }
    }

    // MARK: - Primitives

    private func outputSize() -> (Int, Int) {
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(renderer, &w, &h)
        return (Int(w), Int(h))
    }

    private func setColor(_ c: RGBColor, alpha: UInt8 = 255) {
        SDL_SetRenderDrawColor(renderer, c.red, c.green, c.blue, alpha)
    }

    private func fill(_ r: Rect, _ c: RGBColor, alpha: UInt8) {
        SDL_SetRenderDrawBlendMode(renderer, alpha == 255 ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND)
        setColor(c, alpha: alpha)
        var rect = SDL_Rect(x: Int32(r.x), y: Int32(r.y), w: Int32(r.width), h: Int32(r.height))
        SDL_RenderFillRect(renderer, &rect)
        SDL_SetRenderDrawBlendMode(renderer, SDL_BLENDMODE_NONE)
    }

    private func measure(_ text: String, size: Int) throws -> (Int, Int) {
        let size = try fonts.measure(text, size: size)
        return (size.width, size.height)
    }

    private func drawText(_ text: String, x: Int, y: Int, size: Int, color: RGBColor) throws {
        let surface = try fonts.render(text, size: size, color: color)
        defer { SDL_FreeSurface(surface) }
        guard let textTexture = SDL_CreateTextureFromSurface(renderer, surface) else {
            throw PresentationError.sdl("SDL_CreateTextureFromSurface", sdlError())
        }
        defer { SDL_DestroyTexture(textTexture) }
        var target = SDL_Rect(x: Int32(x), y: Int32(y), w: surface.pointee.w, h: surface.pointee.h)
        SDL_RenderCopy(renderer, textTexture, nil, &target)
    }
}
