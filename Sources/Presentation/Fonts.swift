// The one font service: TrueType text through SDL2_ttf for the overlay (window, screenshots, annotated
// video) and the charts alike. The default is DejaVu Sans from Debian's fonts-dejavu-core; a missing font is
// a one-line error saying which package provides it.
// Invariants: SDL_ttf is not thread-safe, so every call into it holds one process-wide lock; a font is
// opened once per (file, pixel size) and kept for the life of the process.
import CSDL2
import Foundation
import Imaging

public enum PresentationError: Error, LocalizedError, Equatable {
    case fontMissing(String)
    case sdl(String, String)

    public var errorDescription: String? {
        switch self {
        case .fontMissing(let path): "font \(path) not found: install fonts-dejavu-core (apt-get install fonts-dejavu-core)"
        case .sdl(let what, let message): "\(what) failed: \(message)"
        }
    }
}

/// SDL's last error as a String.
public func sdlError() -> String { String(cString: SDL_GetError()) }

/// One TrueType font file, at any pixel size.
public final class Fonts: @unchecked Sendable {
    /// DejaVu Sans from Debian's fonts-dejavu-core.
    public static let defaultPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    /// The default font, unchecked: charts ask it for `problem` and draw no text without it.
    public static let standard = Fonts(unchecked: defaultPath)

    public let path: String

    private static let lock = NSLock()
    nonisolated(unsafe) private static var opened: [String: OpaquePointer] = [:]

    /// The font at `path`; throws when the file is missing.
    public init(path: String = Fonts.defaultPath) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw PresentationError.fontMissing(path) }
        self.path = path
    }

    private init(unchecked path: String) { self.path = path }

    /// Why text cannot be drawn (nil when it can).
    public var problem: String? {
        do {
            Self.lock.lock()
            defer { Self.lock.unlock() }
            _ = try font(size: 12)
            return nil
        } catch {
            return (error as? LocalizedError)?.errorDescription ?? "\(error)"
        }
    }

    /// Width and height in pixels of `text` at `size`.
    public func measure(_ text: String, size: Int) throws -> (width: Int, height: Int) {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        var w: Int32 = 0, h: Int32 = 0
        TTF_SizeUTF8(try font(size: size), text, &w, &h)
        return (Int(w), Int(h))
    }

    /// `text` at `size` in `color`, anti-aliased on a transparent ARGB8888 surface the caller frees
    /// (SDL_FreeSurface).
    public func render(_ text: String, size: Int, color: RGBColor) throws -> UnsafeMutablePointer<SDL_Surface> {
        Self.lock.lock()
        defer { Self.lock.unlock() }
        let sdlColor = SDL_Color(r: color.red, g: color.green, b: color.blue, a: 255)
        guard let surface = TTF_RenderUTF8_Blended(try font(size: size), text, sdlColor) else {
            throw PresentationError.sdl("TTF_RenderUTF8_Blended", sdlError())
        }
        return surface
    }

    /// The alpha mask of `text` at `size` (row-major, `width` x `height`, 0...255); nil when it has no pixels.
    public func mask(_ text: String, size: Int) throws -> (pixels: [UInt8], width: Int, height: Int)? {
        let surface = try render(text, size: size, color: .white)
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

    /// The font at `size` pixels (6...200), opened on first use. Called with the lock held.
    private func font(size: Int) throws -> OpaquePointer {
        let size = max(6, min(size, 200))
        let key = "\(size) \(path)"
        if let font = Self.opened[key] { return font }
        guard FileManager.default.fileExists(atPath: path) else { throw PresentationError.fontMissing(path) }
        if TTF_WasInit() == 0 && TTF_Init() != 0 { throw PresentationError.sdl("TTF_Init", sdlError()) }
        guard let font = TTF_OpenFont(path, Int32(size)) else {
            throw PresentationError.sdl("TTF_OpenFont \(path)", sdlError())
        }
        Self.opened[key] = font
        return font
    }
}
