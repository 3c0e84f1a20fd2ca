// The overlay drawn without a window: SDL's software renderer on an XRGB8888 surface, read back as an
// RGBImage. Screenshots and recordings use this, so they show exactly what the window shows.
// Invariant: one instance is used from one thread at a time (a lock enforces it); the surface and
// renderer are reused while the output size stays the same.
import CSDL2
import Foundation
import Frames
import Imaging

public final class OffscreenOverlay: @unchecked Sendable {
    private let lock = NSLock()
    private let fonts: Fonts
    private var surface: UnsafeMutablePointer<SDL_Surface>?
    private var overlay: OverlayRenderer?
    private var size = (0, 0)

    public init(fontPath: String = Fonts.defaultPath) throws {
        fonts = try Fonts(path: fontPath)
    }

    deinit { release() }

    /// Textures before their renderer, the renderer before its surface.
    private func release() {
        let renderer = overlay?.renderer
        overlay = nil
        if let renderer { SDL_DestroyRenderer(renderer) }
        if let surface { SDL_FreeSurface(surface) }
        surface = nil
    }

    /// `image` with `result` (and the HUD, bars per `options`) drawn on it, at `width`x`height`
    /// (default: the image's size).
    public func render(_ image: RGBImage, result: FrameResult?, summary: PipelineSummary? = nil,
                       status: [String] = [], options: OverlayOptions = OverlayOptions(),
                       width: Int? = nil, height: Int? = nil) throws -> RGBImage {
        lock.lock()
        defer { lock.unlock() }
        let w = width ?? image.width, h = height ?? image.height
        let overlay = try prepare(width: w, height: h)
        try overlay.draw(image, result: result, summary: summary, status: status, options: options,
                         outputWidth: w, outputHeight: h)
        var output = RGBImage(width: w, height: h)
        let status = output.pixels.withUnsafeMutableBytes { raw in
            SDL_RenderReadPixels(overlay.renderer, nil, UInt32(SDL_PIXELFORMAT_RGB24.rawValue), raw.baseAddress, Int32(w * 3))
        }
        if status != 0 { throw PresentationError.sdl("SDL_RenderReadPixels", sdlError()) }
        return output
    }

    private func prepare(width: Int, height: Int) throws -> OverlayRenderer {
        if let overlay, size == (width, height) { return overlay }
        release()
        // 32 bits per pixel: SDL's software line and blended-fill primitives do not support 24-bit surfaces.
        guard let surface = SDL_CreateRGBSurfaceWithFormat(0, Int32(width), Int32(height), 32,
                                                           UInt32(SDL_PIXELFORMAT_XRGB8888.rawValue)) else {
            throw PresentationError.sdl("SDL_CreateRGBSurfaceWithFormat \(width)x\(height)", sdlError())
        }
        self.surface = surface
        guard let renderer = SDL_CreateSoftwareRenderer(surface) else {
            throw PresentationError.sdl("SDL_CreateSoftwareRenderer", sdlError())
        }
        let overlay = OverlayRenderer(renderer: renderer, fonts: fonts)
        self.overlay = overlay
        size = (width, height)
        return overlay
    }
}
