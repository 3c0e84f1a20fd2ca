// Opens a video file as the right FrameSource: YUV4MPEG2 natively, anything else through FFmpeg.
import Foundation
import Frames

public enum VideoFile {
    /// A source for `path`. `paced`: frames are released at the video's rate (as `emonet live --input` wants);
    /// `size` scales FFmpeg-decoded video (ignored for .y4m, which is read as it is).
    public static func open(path: String, paced: Bool = true, size: (width: Int, height: Int)? = nil) throws -> FrameSource {
        if path.lowercased().hasSuffix(".y4m") || hasY4MHeader(path) {
            return try Y4MFileSource(path: path, paced: paced)
        }
        return try FFmpegFileSource(path: path, size: size, paced: paced)
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
