// Opens a video file as the right FrameSource: YUV4MPEG2 natively, anything else through FFmpeg.
// Every path keeps the picture's shape: a file is read at its own size, or, when a size is asked for,
// fitted inside it with black bars by FFmpeg (a .y4m too, and a .y4m with non-square pixels).
import Foundation
import Frames

public enum VideoFile {
    /// A source for `path`. `paced`: frames are released at the video's rate (as `emonet live --input` wants);
    /// `size`: the picture is scaled to fit inside it, keeping its shape, with black bars (nil: its own size);
    /// `decoder`: how anything but a plain .y4m is decoded; `colour` and `threads`: FFmpegFileSource's (a .y4m
    /// reads in colour, by one thread).
    public static func open(path: String, paced: Bool = true, size: (width: Int, height: Int)? = nil,
                            decoder: VideoDecoder = .preferred, colour: Bool = true, threads: Int = 0) throws -> FrameSource {
        if path.lowercased().hasSuffix(".y4m") || hasY4MHeader(path) {
            let y4m = try Y4MFileSource(path: path, paced: paced)
            if size == nil && y4m.hasSquarePixels { return y4m }
            y4m.close()
        }
        return try FFmpegFileSource(path: path, size: size, paced: paced, colour: colour, threads: threads, decoder: decoder)
    }

    private static func hasY4MHeader(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 10)) ?? Data()
        return head == Data("YUV4MPEG2 ".utf8)
    }
}

/// The times of a video file's frames: frame i is at i/fps seconds (0 when the rate is unknown), and
/// a paced source waits until that much time has passed since its first frame, as a camera would.
/// Both file sources (Y4M and FFmpeg) time their frames through it.
struct FramePacer {
    private var start: Double?

    /// The time of frame `index`; when `paced` (and the rate is known), first sleeps until it is due.
    mutating func time(ofFrame index: Int, framesPerSecond: Double, paced: Bool) -> Double {
        let time = framesPerSecond > 0 ? Double(index) / framesPerSecond : 0
        if paced, framesPerSecond > 0 {
            let now = MonotonicClock.now()
            if start == nil { start = now }
            let wait = start! + time - now
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        return time
    }
}
