// The `ffmpeg` program as FFmpegFileSource's decoder: one subprocess per file, decoding to raw RGB24 on a
// pipe; its size and rate read from the summary it logs (FFmpegLog), else from ffprobe. Used where FFmpeg's
// libraries cannot be loaded, or when $EMONET_DECODER=program asks for it.
import CPixels
import Foundation
import Frames

final class FFmpegProgramDecoder: FFmpegDecoding, @unchecked Sendable {
    let path: String
    let stream: DecodedStream

    private let process = Process()
    private let output = Pipe()
    private let log: FFmpegLog
    private let lock = NSLock()  // guards `closed`
    private var closed = false
    private var scratch: [UInt8] = []  // an RGB24 frame, for gray reads

    init(path: String, size: (width: Int, height: Int)?, threads: Int = 0, ffmpeg: String, ffprobe: String) throws {
        self.path = path
        guard let ffmpegPath = FFmpegFileSource.executable(ffmpeg) else { throw CaptureError.ffmpegMissing(path) }
        let errors = Pipe()
        log = FFmpegLog(errors.fileHandleForReading)
        process.executableURL = URL(fileURLWithPath: ffmpegPath)
        process.arguments = ["-nostdin", "-hide_banner", "-nostats", "-loglevel", "level+info"]
            + (threads > 0 ? ["-threads", String(threads)] : []) + ["-i", path, "-an", "-sn"]
            + ["-vf", FFmpegFileSource.filters(fitting: size)]
            + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        process.standardInput = FileHandle.nullDevice
        // A 1 MB pipe (Linux's default limit for F_SETPIPE_SZ, 1031) holds a whole 640x360 frame: ffmpeg
        // and the capture thread then hand over a frame at a time, not in 64 KB pieces, each a wake-up.
        // Without it (older kernels, a lower limit) the pipe works as before.
        _ = fcntl(output.fileHandleForWriting.fileDescriptor, 1031, Int32(1 << 20))
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw CaptureError.decoderFailed(path, message: "cannot start \(ffmpegPath): \(error.localizedDescription)")
        }
        try? errors.fileHandleForWriting.close()
        log.startReading()
        var summary = log.waitForOutputStream(framesReady: output.fileHandleForReading.fileDescriptor)
        if summary == nil, !log.hasEnded, let ffprobePath = FFmpegFileSource.executable(ffprobe) {
            // A log this version of ffmpeg words differently: ask ffprobe.
            summary = try? FFmpegFileSource.probe(path: path, ffprobe: ffprobePath)
        }
        guard let summary else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? output.fileHandleForReading.close()
            throw CaptureError.unreadableFile(path, reason: log.lastError ?? "ffmpeg reported no video stream")
        }
        let width = size?.width ?? summary.width, height = size?.height ?? summary.height
        // The frame buffers are allocated from the size the container declares, which a damaged file may inflate.
        guard width <= Y4MFileSource.maximumSide, height <= Y4MFileSource.maximumSide else {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
            try? output.fileHandleForReading.close()
            throw CaptureError.unreadableFile(path, reason: "frame size \(width)x\(height) is over the \(Y4MFileSource.maximumSide)-pixel limit per side")
        }
        stream = DecodedStream(width: width, height: height, framesPerSecond: summary.fps, durationSeconds: log.durationSeconds)
    }

    var decodeError: String? {
        log.waitUntilClosed()
        return log.lastError
    }

    func read(into raw: UnsafeMutableRawBufferPointer, index: Int, gray: Bool) throws -> Bool {
        guard gray else { return try readRGB(into: raw, index: index) }
        // The program's frames are RGB24: read into `scratch`, then into gray as GrayImage(rgb:) makes it.
        let pixels = stream.width * stream.height
        if scratch.count != pixels * 3 { scratch = [UInt8](repeating: 0, count: pixels * 3) }
        let more = try scratch.withUnsafeMutableBytes { try readRGB(into: $0, index: index) }
        if more {
            scratch.withUnsafeBytes { rgb in
                emonet_rgb_to_gray(rgb.bindMemory(to: UInt8.self).baseAddress, raw.bindMemory(to: UInt8.self).baseAddress, pixels)
            }
        }
        return more
    }

    private func readRGB(into raw: UnsafeMutableRawBufferPointer, index: Int) throws -> Bool {
        let fd = output.fileHandleForReading.fileDescriptor
        var filled = 0
        while filled < raw.count {
            let n = Foundation.read(fd, raw.baseAddress! + filled, raw.count - filled)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            filled += n
        }
        if filled == raw.count { return true }
        process.waitUntilExit()
        if process.terminationStatus != 0 || (index == 0 && filled == 0) {
            log.waitUntilClosed()
            throw CaptureError.decoderFailed(path, message: log.lastError ?? "exit status \(process.terminationStatus), no frames")
        }
        return false  // the end of the video (a partial last frame is dropped)
    }

    /// The blocked read sees the end of the file.
    func cancel() {
        if process.isRunning { process.terminate() }
    }

    func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        if wasClosed { return }
        if process.isRunning { process.terminate() }
        try? output.fileHandleForReading.close()
        if process.processIdentifier != 0 { process.waitUntilExit() }
    }
}
