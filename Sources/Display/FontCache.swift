// TrueType fonts through SDL2_ttf, opened once per pixel size. The default is DejaVu Sans from
// Debian's fonts-dejavu-core; a missing font is a one-line error saying which package provides it.
import CSDL2
import Foundation

public enum DisplayError: Error, LocalizedError, Equatable {
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
func sdlError() -> String { String(cString: SDL_GetError()) }

public enum DisplayDefaults {
    /// DejaVu Sans from Debian's fonts-dejavu-core.
    public static let fontPath = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
}

final class FontCache {
    let path: String
    private var fonts: [Int: OpaquePointer] = [:]

    init(path: String = DisplayDefaults.fontPath) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DisplayError.fontMissing(path) }
        if TTF_WasInit() == 0 && TTF_Init() != 0 { throw DisplayError.sdl("TTF_Init", sdlError()) }
        self.path = path
    }

    deinit {
        for font in fonts.values { TTF_CloseFont(font) }
    }

    /// The font at `size` pixels, opened on first use.
    func font(size: Int) throws -> OpaquePointer {
        let size = max(6, size)
        if let font = fonts[size] { return font }
        guard let font = TTF_OpenFont(path, Int32(size)) else { throw DisplayError.sdl("TTF_OpenFont \(path)", sdlError()) }
        fonts[size] = font
        return font
    }
}
