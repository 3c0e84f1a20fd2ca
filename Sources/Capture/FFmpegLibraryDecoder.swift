// FFmpeg's libraries as FFmpegFileSource's decoder, in this process (CLibAV): no process to start per file,
// and the libraries are loaded once, on the first video. The C side runs FFmpegFileSource.filters through
// libavfilter as the ffmpeg program does (its rotation, bicubic scaling), so frames equal the program's.
// Thread safety: reads happen on the capture thread; cancel() and close() may come from any other, so the
// decoder is freed only under `readLock` (no read in progress) and after `stateLock` has taken it from cancel().
import CLibAV
import Foundation

final class FFmpegLibraryDecoder: FFmpegDecoding, @unchecked Sendable {
    let path: String
    let stream: DecodedStream

    private var handle: OpaquePointer?
    private let stateLock = NSLock()  // guards `handle` (being taken) and `savedError`
    private let readLock = NSLock()   // held by a read, and by close while it frees the decoder
    private var savedError: String?

    init(path: String, filters: String, maximumSide: Int, threads: Int = 0) throws {
        self.path = path
        var message = [CChar](repeating: 0, count: 512)
        var tooLarge: Int32 = 0
        guard let handle = emonet_av_open(path, filters, Int32(threads), Int32(maximumSide), &message, message.count, &tooLarge) else {
            let reason = String(cString: message)
            throw CaptureError.unreadableFile(path, reason: reason.isEmpty ? "FFmpeg could not open it" : reason)
        }
        self.handle = handle
        let duration = emonet_av_duration(handle)
        stream = DecodedStream(width: Int(emonet_av_width(handle)), height: Int(emonet_av_height(handle)),
                               framesPerSecond: emonet_av_fps(handle), durationSeconds: duration >= 0 ? duration : nil)
    }

    deinit { close() }

    var decodeError: String? {
        stateLock.lock()
        defer { stateLock.unlock() }
        if let handle { return Self.lastError(handle) }
        return savedError
    }

    func read(into raw: UnsafeMutableRawBufferPointer, index: Int, gray: Bool) throws -> Bool {
        readLock.lock()
        defer { readLock.unlock() }
        stateLock.lock()
        let handle = self.handle
        stateLock.unlock()
        guard let handle else { return false }
        precondition(raw.count == stream.width * stream.height * (gray ? 1 : 3),
                     "a frame buffer of \(stream.width)x\(stream.height) \(gray ? "gray" : "RGB") expected")
        switch emonet_av_read(handle, raw.baseAddress!.assumingMemoryBound(to: UInt8.self), gray ? 1 : 0) {
        case 1: return true
        case 0:
            if index == 0 {
                throw CaptureError.decoderFailed(path, message: Self.lastError(handle) ?? "no frames")
            }
            return false
        default:
            throw CaptureError.decoderFailed(path, message: Self.lastError(handle) ?? "the decoder failed")
        }
    }

    func cancel() {
        stateLock.lock()
        if let handle { emonet_av_cancel(handle) }
        stateLock.unlock()
    }

    func close() {
        cancel()
        readLock.lock()
        defer { readLock.unlock() }
        stateLock.lock()
        let handle = self.handle
        self.handle = nil
        if let handle { savedError = Self.lastError(handle) }
        stateLock.unlock()
        if let handle { emonet_av_close(handle) }
    }

    private static func lastError(_ handle: OpaquePointer) -> String? {
        var message = [CChar](repeating: 0, count: 512)
        return emonet_av_error(handle, &message, message.count) != 0 ? String(cString: message) : nil
    }
}
