// Any video FFmpeg can decode, as a FrameSource: ffprobe reads the size and rate, then an `ffmpeg`
// subprocess decodes to raw RGB24 on a pipe that is read frame by frame.
// Invariants: the subprocess is always reaped (close() terminates it if still running); its stderr
// goes to a temporary file so a chatty decoder can never block on a full pipe; a decoder failure is
// reported with ffmpeg's own last message.
import Foundation
import Imaging
import Pipeline

public final class FFmpegFileSource: FrameSource, @unchecked Sendable {
    public let path: String
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double

    private let process = Process()
    private let output = Pipe()
    private let errorLog: URL
    private let paced: Bool
    private var ring: FrameBufferRing
    private var index = 0
    private var start: Double?
    private let lock = NSLock()
    private var cancelled = false
    private var closed = false

    /// Starts decoding `path`. `size`: scale to this size (nil keeps the video's); `paced`: release frames
    /// at the video's rate, as a camera would.
    public init(path: String, size: (width: Int, height: Int)? = nil, paced: Bool = true,
                ffmpeg: String = "ffmpeg", ffprobe: String = "ffprobe") throws {
        self.path = path
        self.paced = paced
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CaptureError.unreadableFile(path, reason: FileManager.default.fileExists(atPath: path)
                                              ? "permission denied" : "no such file")
        }
        guard let ffprobePath = Self.executable(ffprobe), let ffmpegPath = Self.executable(ffmpeg) else {
            throw CaptureError.ffmpegMissing(path)
        }
        let probe = try Self.probe(path: path, ffprobe: ffprobePath)
        width = size?.width ?? probe.width
        height = size?.height ?? probe.height
        framesPerSecond = probe.fps
        ring = FrameBufferRing(width: width, height: height)

        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-ffmpeg-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: ffmpegPath)
        process.arguments = ["-nostdin", "-v", "error", "-i", path, "-an", "-sn",
                             "-vf", "scale=\(width):\(height)", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = try FileHandle(forWritingTo: errorLog)
        do {
            try process.run()
        } catch {
            throw CaptureError.decoderFailed(path, message: "cannot start \(ffmpegPath): \(error.localizedDescription)")
        }
    }

    deinit { close() }

    public var description: String {
        "\(path) (\(width)x\(height) via ffmpeg @ \(String(format: "%g", framesPerSecond)) fps)"
    }

    public func nextFrame() throws -> Frame? {
        if isCancelled { return nil }
        let fd = output.fileHandleForReading.fileDescriptor
        var filled = 0
        let image = ring.fill { raw in
            while filled < raw.count {
                let n = Foundation.read(fd, raw.baseAddress! + filled, raw.count - filled)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                filled += n
            }
        }
        if filled < width * height * 3 {
            if isCancelled { return nil }
            process.waitUntilExit()
            if process.terminationStatus != 0 || (index == 0 && filled == 0) {
                throw CaptureError.decoderFailed(path, message: lastErrorLine() ?? "exit status \(process.terminationStatus), no frames")
            }
            return nil  // end of the video (a partial last frame is dropped)
        }
        let time = framesPerSecond > 0 ? Double(index) / framesPerSecond : 0
        if paced, framesPerSecond > 0 {
            let now = MonotonicClock.now()
            if start == nil { start = now }
            let wait = start! + time - now
            if wait > 0 { Thread.sleep(forTimeInterval: wait) }
        }
        defer { index += 1 }
        return Frame(index: index, time: time, image: image)
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Stops the decoder: the blocked read sees end of file.
    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
        if process.isRunning { process.terminate() }
    }

    public func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        if wasClosed { return }
        if process.isRunning { process.terminate() }
        try? output.fileHandleForReading.close()
        if process.processIdentifier != 0 { process.waitUntilExit() }
        try? FileManager.default.removeItem(at: errorLog)
    }

    private func lastErrorLine() -> String? {
        guard let text = try? String(contentsOf: errorLog, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last.map(String.init)
    }

    // MARK: - Probing

    static func executable(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static func probe(path: String, ffprobe: String) throws -> (width: Int, height: Int, fps: Double) {
        let process = Process()
        let out = Pipe(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: ffprobe)
        process.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries",
                             "stream=width,height,avg_frame_rate,r_frame_rate", "-of", "default=noprint_wrappers=1", path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        guard process.terminationStatus == 0, let w = fields["width"].flatMap(Int.init),
              let h = fields["height"].flatMap(Int.init), w > 0, h > 0 else {
            let reason = errors.split(separator: "\n").last.map(String.init) ?? "no video stream"
            throw CaptureError.unreadableFile(path, reason: reason)
        }
        func rate(_ text: String?) -> Double {
            let parts = (text ?? "").split(separator: "/").compactMap { Double($0) }
            return parts.count == 2 && parts[1] > 0 ? parts[0] / parts[1] : 0
        }
        let fps = rate(fields["avg_frame_rate"]) > 0 ? rate(fields["avg_frame_rate"]) : rate(fields["r_frame_rate"])
        return (w, h, fps)
    }
}
