// Any video FFmpeg can decode, as a FrameSource, by one of two decoders (`VideoDecoder`): FFmpeg's
// libraries in this process (FFmpegLibraryDecoder, the default where they are installed), or an `ffmpeg`
// subprocess that decodes to raw RGB24 on a pipe read frame by frame (FFmpegProgramDecoder). Both run the
// same filter graph (`filters`) through the same libraries, so they give the same pixels.
// For the program, the frame size, rate and duration come from the stream summary ffmpeg prints before its
// first frame (its log, level-tagged, read on a thread); only if that cannot be parsed is ffprobe asked
// (a second process: a tenth of a second of start-up).
// Invariants: the subprocess is always reaped (close() terminates it if still running); its log is
// read to the end as it comes, so a chatty decoder can never block on a full pipe; a decoder failure
// is reported with FFmpeg's own last error message. Frames keep the picture's shape: non-square pixels
// are made square (a 720x480 16:9 DVD frame becomes 853x480), and a requested size is filled by scaling
// to fit inside it with black bars (letterbox or pillarbox), never by stretching.
import CLibAV
import Foundation
import Frames
import Imaging

/// How a video file other than a plain .y4m is decoded.
public enum VideoDecoder: String, Sendable, CaseIterable {
    /// FFmpeg's libraries, loaded into this process on the first video opened: no process per file.
    case libraries
    /// An `ffmpeg` program per file, its raw frames read from a pipe.
    case program

    /// `$EMONET_DECODER` (`libraries` or `program`) when set; else the libraries where they load, else the program.
    public static var preferred: VideoDecoder {
        if let named = ProcessInfo.processInfo.environment["EMONET_DECODER"].flatMap(VideoDecoder.init(rawValue:)) {
            return named
        }
        return librariesLoad == nil ? .libraries : .program
    }

    /// Whether an `ffmpeg` program is on $PATH.
    public static var programIsInstalled: Bool { FFmpegFileSource.executable("ffmpeg") != nil }

    /// Nil when FFmpeg's libraries are loaded (loading them on the first call), else why they cannot be.
    public static var librariesLoad: String? {
        var why = [CChar](repeating: 0, count: 256)
        return emonet_av_load(&why, why.count) != 0 ? nil : String(cString: why)
    }
}

/// What a decoder found when it opened a file: the frames' size (after the filter graph) and rate, and the
/// container's duration when it has one.
struct DecodedStream {
    var width: Int
    var height: Int
    var framesPerSecond: Double
    var durationSeconds: Double?
}

/// What FFmpegFileSource asks of a decoder: frames of one size, RGB24 or its gray, until the end.
protocol FFmpegDecoding: AnyObject {
    var stream: DecodedStream { get }
    /// Fills `raw` with frame `index`: RGB24 (width * height * 3 bytes), or with `gray` the gray that
    /// `GrayImage(rgb:)` makes of it (width * height bytes); false at the end of the video.
    func read(into raw: UnsafeMutableRawBufferPointer, index: Int, gray: Bool) throws -> Bool
    var decodeError: String? { get }
    func cancel()
    func close()
}

public final class FFmpegFileSource: FrameSource, @unchecked Sendable {
    public let path: String
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double
    /// The container's duration, when FFmpeg reported one (for progress estimates).
    public let durationSeconds: Double?
    public let decoder: VideoDecoder

    /// Whether frames come in colour; else only their gray (`Frame.Pixels.gray`), for a run in which nothing
    /// draws or records them.
    public let colour: Bool

    private let backend: FFmpegDecoding
    private let paced: Bool
    private var ring: FrameBufferRing<RGBImage>?
    private var grayRing: FrameBufferRing<GrayImage>?
    private var index = 0
    private var pacer = FramePacer()
    private let cancellation = CancellationFlag()

    /// Starts decoding `path`. `size`: fit the picture inside this size, keeping its shape, with black bars
    /// (nil keeps the video's own size); `paced`: release frames at the video's rate, as a camera would;
    /// `colour`: false for gray frames only (the same gray, without the colour frame's copy and conversion);
    /// `threads`: the libraries' decoding threads (0: FFmpeg's choice, about one per core; a batch running a
    /// decoder per core asks for 1, since more only adds hand-overs between threads).
    public init(path: String, size: (width: Int, height: Int)? = nil, paced: Bool = true, colour: Bool = true, threads: Int = 0,
                ffmpeg: String = "ffmpeg", ffprobe: String = "ffprobe", decoder: VideoDecoder = .preferred) throws {
        self.path = path
        self.paced = paced
        self.colour = colour
        self.decoder = decoder
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw CaptureError.unreadableFile(path, reason: FileManager.default.fileExists(atPath: path)
                                              ? "permission denied" : "no such file")
        }
        switch decoder {
        case .libraries:
            backend = try FFmpegLibraryDecoder(path: path, filters: Self.filters(fitting: size), maximumSide: Y4MFileSource.maximumSide, threads: threads)
        case .program:
            backend = try FFmpegProgramDecoder(path: path, size: size, threads: threads, ffmpeg: ffmpeg, ffprobe: ffprobe)
        }
        (width, height) = (backend.stream.width, backend.stream.height)
        framesPerSecond = backend.stream.framesPerSecond
        durationSeconds = backend.stream.durationSeconds
        let count = FrameBufferRing<RGBImage>.fileSourceCount
        if colour {
            ring = FrameBufferRing(width: width, height: height, count: count)
        } else {
            grayRing = FrameBufferRing(width: width, height: height, count: count)
        }
    }

    deinit { close() }

    /// The last error FFmpeg logged while decoding, if any: a damaged or truncated video still decodes
    /// up to the damage (and the program exits 0), so this is how the damage is reported (after the run).
    public var decodeError: String? { backend.decodeError }

    public var description: String {
        "\(path) (\(width)x\(height) via \(decoder == .libraries ? "libav" : "ffmpeg") @ \(String(format: "%g", framesPerSecond)) fps)"
    }

    public func nextFrame() throws -> Frame? {
        if cancellation.isRaised { return nil }
        var more = false
        let pixels: Frame.Pixels
        do {
            if colour {
                pixels = .colour(try ring!.fill { raw in more = try backend.read(into: raw, index: index, gray: false) })
            } else {
                pixels = .gray(try grayRing!.fill { raw in more = try backend.read(into: raw, index: index, gray: true) })
            }
        } catch {
            if cancellation.isRaised { return nil }  // the decoder was stopped, not broken
            throw error
        }
        guard more, !cancellation.isRaised else { return nil }
        let time = pacer.time(ofFrame: index, framesPerSecond: framesPerSecond, paced: paced)
        defer { index += 1 }
        return Frame(index: index, time: time, pixels: pixels)
    }

    /// Stops the decoder: a read in progress ends, and so does the video.
    public func cancel() {
        cancellation.raise()
        backend.cancel()
    }

    public func close() { backend.close() }

    /// The filter graph that gives frames of the picture's shape: square pixels first (ffmpeg's `sar` is 1
    /// when the file declares none), then, for a requested size, a uniform scale to fit inside it and
    /// black bars centred around the picture.
    static func filters(fitting size: (width: Int, height: Int)?) -> String {
        var graph = "scale=w='if(gt(sar,1),iw*sar,iw)':h='if(lt(sar,1),ih/sar,ih)',setsar=1"
        if let size {
            graph += ",scale=\(size.width):\(size.height):force_original_aspect_ratio=decrease"
                + ",pad=\(size.width):\(size.height):(ow-iw)/2:(oh-ih)/2:color=black"
        }
        return graph
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

    static func probe(path: String, ffprobe: String) throws -> FFmpegLog.StreamSummary {
        let process = Process()
        let out = Pipe(), err = Pipe()
        process.executableURL = URL(fileURLWithPath: ffprobe)
        process.arguments = ["-v", "error", "-select_streams", "v:0", "-show_entries",
                             "stream=width,height,sample_aspect_ratio,avg_frame_rate,r_frame_rate", "-of", "default=noprint_wrappers=1", path]
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
        // The size after `filters`' square-pixel scale (ffprobe writes the aspect as "32:9", or "N/A").
        let sar = (fields["sample_aspect_ratio"] ?? "").split(separator: ":").compactMap { Double($0) }
        let aspect = sar.count == 2 && sar[0] > 0 && sar[1] > 0 ? sar[0] / sar[1] : 1
        let (displayWidth, displayHeight) = aspect > 1 ? (Int(Double(w) * aspect), h)
            : aspect < 1 ? (w, Int(Double(h) / aspect)) : (w, h)
        return FFmpegLog.StreamSummary(width: displayWidth, height: displayHeight, fps: fps)
    }
}

/// ffmpeg's log (`-loglevel level+info`), read to the end on its own thread: the output stream's size and
/// rate and the input's duration, parsed from the summary it prints before decoding, and its errors.
final class FFmpegLog: @unchecked Sendable {
    struct StreamSummary { var width: Int, height: Int, fps: Double }

    private let handle: FileHandle
    private let lock = NSLock()
    private let summaryReady = DispatchSemaphore(value: 0)
    private let closed = DispatchSemaphore(value: 0)
    private var summary: StreamSummary?
    private var duration: Double?
    private var errors: [String] = []
    private var inOutputSection = false
    private var signalled = false
    private var ended = false

    init(_ handle: FileHandle) { self.handle = handle }

    func startReading() {
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: 0x0A) {
                    consume(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                    pending.removeSubrange(pending.startIndex...newline)
                }
            }
            if !pending.isEmpty { consume(String(decoding: pending, as: UTF8.self)) }
            try? handle.close()
            lock.lock()
            ended = true
            lock.unlock()
            signalSummary()
            closed.signal()
        }
        thread.name = "emonet.ffmpeg-log"
        thread.start()
    }

    /// The output stream's summary; nil if ffmpeg ended without printing one, or started writing
    /// frames (readable on `framesReady`) without one we could parse, or printed nothing for a minute.
    func waitForOutputStream(framesReady: Int32) -> StreamSummary? {
        let deadline = MonotonicClock.now() + 60
        while summaryReady.wait(timeout: .now() + 0.05) == .timedOut, MonotonicClock.now() < deadline {
            var descriptor = pollfd(fd: framesReady, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, 0) > 0 {
                // ffmpeg logs the summary before the first frame; give the log thread a moment to read it.
                _ = summaryReady.wait(timeout: .now() + 0.2)
                break
            }
        }
        summaryReady.signal()  // for any later waiter
        lock.lock()
        defer { lock.unlock() }
        return summary
    }

    /// True once ffmpeg closed its log (it exited).
    var hasEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ended
    }

    /// Waits until ffmpeg closed its log (it has exited), so every error it printed is here.
    func waitUntilClosed() {
        _ = closed.wait(timeout: .now() + 5)
        closed.signal()
    }

    var durationSeconds: Double? {
        lock.lock()
        defer { lock.unlock() }
        return duration
    }

    /// The last error ffmpeg logged, without its level and component tags.
    var lastError: String? {
        lock.lock()
        defer { lock.unlock() }
        return errors.last
    }

    private func signalSummary() {
        lock.lock()
        let first = !signalled
        signalled = true
        lock.unlock()
        if first { summaryReady.signal() }
    }

    private func consume(_ line: String) {
        var text = Substring(line)
        var level = ""
        // "[mov,mp4 @ 0x55...] [error] message" or "[info]   Stream #0:0: Video: ..."
        while text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let tag = text[text.index(after: text.startIndex)..<close]
            if ["quiet", "panic", "fatal", "error", "warning", "info"].contains(String(tag)) { level = String(tag) }
            text = text[text.index(after: close)...].drop(while: { $0 == " " })
        }
        lock.lock()
        var found = false
        if level == "error" || level == "fatal" || level == "panic" {
            errors.append(String(text))
            if errors.count > 20 { errors.removeFirst() }
        } else if text.hasPrefix("Duration: "), duration == nil {
            duration = Self.parseDuration(text.dropFirst("Duration: ".count).prefix(while: { $0 != "," }))
        } else if text.hasPrefix("Output #0") {
            inOutputSection = true
        } else if inOutputSection, summary == nil, text.hasPrefix("Stream #0:"), text.contains(": Video: ") {
            summary = Self.parseStream(text)
            found = summary != nil
        }
        lock.unlock()
        if found { signalSummary() }
    }

    /// "HH:MM:SS.ss" → seconds; nil for "N/A".
    static func parseDuration(_ text: Substring) -> Double? {
        let parts = text.split(separator: ":").compactMap { Double($0) }
        guard parts.count == 3 else { return nil }
        return parts[0] * 3600 + parts[1] * 60 + parts[2]
    }

    /// The size ("…, 640x360 [SAR …], …") and rate ("…, 29.97 fps, …", else "…, 30 tbr") of a stream line.
    static func parseStream(_ line: Substring) -> StreamSummary? {
        var width = 0, height = 0, fps = 0.0, tbr = 0.0
        for field in line.components(separatedBy: ", ") {
            let words = field.split(separator: " ")
            guard let first = words.first else { continue }
            let size = first.split(separator: "x")
            if width == 0, size.count == 2, let w = Int(size[0]), let h = Int(size[1]), w > 0, h > 0 {
                (width, height) = (w, h)
            } else if words.count == 2, words[1] == "fps" || words[1] == "tbr" {
                var number = String(first), scale = 1.0
                if number.hasSuffix("k") { number.removeLast(); scale = 1000 }
                guard let value = Double(number).map({ $0 * scale }), value > 0 else { continue }
                if words[1] == "fps" { fps = value } else { tbr = value }
            }
        }
        guard width > 0 else { return nil }
        return StreamSummary(width: width, height: height, fps: fps > 0 ? fps : tbr)
    }
}
