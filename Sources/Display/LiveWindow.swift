// The live window: SDL2 on the main thread, showing the newest processed frame with its overlay.
// Keys: q/Esc quit, space pause, r record (the `onRecordToggle` hook), s screenshot (`onScreenshot`,
// rendered off-screen at the video's size with the same overlay), h HUD, b probability bars,
// f fullscreen. The window is resizable; the video is scaled to fit.
// Invariants: every SDL call on the window happens on the thread that created it (the main thread);
// the pipeline is only read through DisplaySink and PipelineStats, both thread-safe.
import Assets
import CSDL2
import Foundation
import Frames
import Imaging
// The window draws with the presentation layer; its users (screenshots, overlay options) need it too.
@_exported import Presentation

public final class LiveWindow {
    /// Called when the user presses r; returns whether a recording is now running (shown in the HUD).
    public var onRecordToggle: (() -> Bool)?
    /// Called with an annotated frame when the user presses s.
    public var onScreenshot: ((RGBImage) -> Void)?
    public private(set) var options: OverlayOptions
    public private(set) var isPaused = false
    public private(set) var isRecording = false
    public private(set) var isFullscreen = false

    private let window: OpaquePointer
    private let overlay: OverlayRenderer
    private let offscreen: OffscreenOverlay
    private var current: (frame: Frame, result: FrameResult)?
    private var seenGeneration = 0
    private var quitRequested = false
    private var message: (text: String, until: Double)?
    private var lastSummary: PipelineSummary?

    /// Opens a resizable window of `width`x`height`. Throws a one-line error when there is no display.
    public init(title: String, width: Int, height: Int, options: OverlayOptions = OverlayOptions(),
                fontPath: String = Fonts.defaultPath) throws {
        // Ctrl-C is the application's to handle (it stops the pipeline), not SDL's.
        SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1")
        if SDL_WasInit(UInt32(SDL_INIT_VIDEO)) == 0 && SDL_InitSubSystem(UInt32(SDL_INIT_VIDEO)) != 0 {
            throw PresentationError.sdl("opening the display (SDL_Init)", sdlError())
        }
        let fonts = try Fonts(path: fontPath)
        offscreen = try OffscreenOverlay(fontPath: fontPath)
        let centered = Int32(bitPattern: 0x2FFF_0000)  // SDL_WINDOWPOS_CENTERED
        guard let window = SDL_CreateWindow(title, centered, centered, Int32(width), Int32(height),
                                            SDL_WINDOW_RESIZABLE.rawValue | SDL_WINDOW_SHOWN.rawValue) else {
            throw PresentationError.sdl("SDL_CreateWindow", sdlError())
        }
        // Accelerated when available, else the software renderer (Xvfb, remote X).
        guard let renderer = SDL_CreateRenderer(window, -1, SDL_RENDERER_ACCELERATED.rawValue)
                ?? SDL_CreateRenderer(window, -1, SDL_RENDERER_SOFTWARE.rawValue) else {
            SDL_DestroyWindow(window)
            throw PresentationError.sdl("SDL_CreateRenderer", sdlError())
        }
        self.window = window
        self.options = options
        overlay = OverlayRenderer(renderer: renderer, fonts: fonts)
        iconPath = Self.setIcon(of: window)
    }

    /// The window icon, assets/icons/emonet.bmp in the executable's data root (scripts/make_icon.py).
    public static let iconRelativePath = "assets/icons/emonet.bmp"

    /// The icon file the window shows; nil when none was found or SDL could not read it (the window
    /// then has the desktop's default icon: cosmetic, not an error).
    public private(set) var iconPath: String?

    /// Sets the window's icon from the data root (BMP: SDL reads it without SDL_image); the path it used.
    private static func setIcon(of window: OpaquePointer) -> String? {
        guard let path = DataRoot.find(iconRelativePath), let stream = SDL_RWFromFile(path, "rb"),
              let icon = SDL_LoadBMP_RW(stream, 1) else { return nil }
        SDL_SetWindowIcon(window, icon)
        SDL_FreeSurface(icon)
        return path
    }

    deinit {
        let renderer = overlay.renderer
        SDL_DestroyRenderer(renderer)
        SDL_DestroyWindow(window)
    }

    /// Shows results from `sink` until the user quits or the pipeline finishes; returns true if the user quit.
    public func run(sink: DisplaySink, stats: PipelineStats) throws -> Bool {
        var lastDraw = 0.0
        while !quitRequested {
            var event = SDL_Event()
            while SDL_PollEvent(&event) != 0 { handle(event) }
            var dirty = false
            if !isPaused, let next = sink.newest(after: seenGeneration) {
                current = (next.frame, next.result)
                seenGeneration = next.generation
                dirty = true
            }
            let now = MonotonicClock.now()
            if dirty || now - lastDraw > 0.25 {  // redraw at least 4 times a second for the HUD and resizes
                try present(summary: stats.snapshot())
                lastDraw = now
            }
            if sink.isFinished && sink.newest(after: seenGeneration) == nil { return false }
            _ = SDL_WaitEventTimeout(nil, 5)
        }
        return true
    }

    /// Draws `frame` with `result` at once (tests and single images).
    public func show(_ frame: Frame, result: FrameResult, summary: PipelineSummary? = nil) throws {
        current = (frame, result)
        try present(summary: summary)
    }

    /// What the window shows now: drawn again and read back from its renderer before it is presented.
    public func capture() throws -> RGBImage {
        try draw(summary: lastSummary)
        defer { SDL_RenderPresent(overlay.renderer) }
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(overlay.renderer, &w, &h)
        var image = RGBImage(width: Int(w), height: Int(h))
        let status = image.pixels.withUnsafeMutableBytes { raw in
            SDL_RenderReadPixels(overlay.renderer, nil, UInt32(SDL_PIXELFORMAT_RGB24.rawValue), raw.baseAddress, w * 3)
        }
        if status != 0 { throw PresentationError.sdl("SDL_RenderReadPixels", sdlError()) }
        return image
    }

    /// Handles one key as if pressed (the event loop's path; tests call it directly).
    public func press(_ key: Character) {
        switch key {
        case "q", "\u{1b}": quitRequested = true
        case " ": isPaused.toggle(); flash(isPaused ? "paused" : "resumed")
        case "h": options.showHUD.toggle()
        case "b": options.showBars.toggle()
        case "f":
            isFullscreen.toggle()
            SDL_SetWindowFullscreen(window, isFullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP.rawValue : 0)
        case "r":
            if let onRecordToggle {
                isRecording = onRecordToggle()
                flash(isRecording ? "recording" : "recording stopped")
            } else {
                flash("recording is not available")
            }
        case "s": screenshot()
        default: break
        }
    }

    public var wantsToQuit: Bool { quitRequested }

    // MARK: - Private

    private func handle(_ event: SDL_Event) {
        switch event.type {
        case SDL_QUIT.rawValue:
            quitRequested = true
        case SDL_KEYDOWN.rawValue:
            let sym = event.key.keysym.sym
            if sym == 27 { press("\u{1b}") } else if sym > 0, sym < 128, let scalar = Unicode.Scalar(UInt32(sym)) {
                press(Character(scalar))
            }
        default:
            break
        }
    }

    private func screenshot() {
        guard let current, let onScreenshot else { return flash("nothing to save yet") }
        do {
            onScreenshot(try offscreen.render(current.frame.image, result: current.result, options: options))
            flash("screenshot saved")
        } catch {
            flash("screenshot failed: \(error.localizedDescription)")
        }
    }

    private func flash(_ text: String) {
        message = (text, MonotonicClock.now() + 2)
    }

    private func present(summary: PipelineSummary?) throws {
        try draw(summary: summary)
        SDL_RenderPresent(overlay.renderer)
    }

    private func draw(summary: PipelineSummary?) throws {
        lastSummary = summary
        var w: Int32 = 0, h: Int32 = 0
        SDL_GetRendererOutputSize(overlay.renderer, &w, &h)
        var status: [String] = []
        if isPaused { status.append("PAUSED") }
        if isRecording { status.append("● REC") }
        if let message, message.until > MonotonicClock.now() { status.append(message.text) }
        if let current {
            try overlay.draw(current.frame.image, result: current.result, summary: summary, status: status,
                             options: options, outputWidth: Int(w), outputHeight: Int(h))
        } else {
            try overlay.draw(RGBImage(width: 0, height: 0), result: nil, summary: summary, status: status + ["waiting for frames…"],
                             options: OverlayOptions(showHUD: true, showBars: false), outputWidth: Int(w), outputHeight: Int(h))
        }
    }
}
