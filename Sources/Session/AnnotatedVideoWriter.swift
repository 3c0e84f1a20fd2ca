// The annotated video: each processed frame with its overlay burned in by Presentation's off-screen
// renderer (the same drawing code as the live window), encoded to H.264 MP4 by an `ffmpeg` subprocess
// reading raw RGB on a pipe. Rendering and writing run on the writer's own serial queue, in frame order.
// Invariants: a missing ffmpeg is a one-line error before anything starts; a failed encoder (disk full,
// killed) stops the video with a message, never the pipeline; `close()` waits for ffmpeg to finish.
// ffmpeg writes a temporary file beside `path` (SafeOutput.StagedFile); `close()` puts it in place only
// when the whole video was written, so a failure leaves whatever was at `path` before.
import Dispatch
import Foundation
import Frames
import Imaging
import Presentation
import SafeOutput

public final class AnnotatedVideoWriter: FrameSink, @unchecked Sendable {
    public let path: String
    private let overlay: OffscreenOverlay
    private let process = Process()
    private let input = Pipe()
    private let errorLog: URL
    private let staged: StagedFile
    private let queue = DispatchQueue(label: "emonet.session.annotated-video", qos: .utility)
    private let lock = NSLock()
    private var failure: String?
    private var closed = false

    /// Starts ffmpeg writing `path` at `framesPerSecond`; frames are drawn at the video's size.
    public init(path: String, width: Int, height: Int, framesPerSecond: Double) throws {
        self.path = path
        guard let ffmpeg = Self.executable("ffmpeg") else {
            throw SessionError.unwritable(path, reason: "the annotated video needs FFmpeg (apt-get install ffmpeg)")
        }
        overlay = try OffscreenOverlay()
        do { staged = try StagedFile(path: path) } catch let OutputError.unwritable(_, reason) {
            throw SessionError.unwritable(path, reason: reason)
        }
        staged.closeDescriptor()  // ffmpeg writes it by name
        errorLog = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-annotated-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: errorLog.path, contents: nil)
        // Even sizes for yuv420p; x264 pads nothing by itself.
        let w = width - width % 2, h = height - height % 2
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = ["-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", "\(width)x\(height)",
                             "-r", String(format: "%.3f", framesPerSecond > 0 ? framesPerSecond : 30), "-i", "-",
                             "-vf", "crop=\(w):\(h):0:0", "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", staged.temporaryPath]
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errorLog)
        signal(SIGPIPE, SIG_IGN)  // a dead encoder must give EPIPE, not kill the process
        do { try process.run() } catch {
            throw SessionError.unwritable(path, reason: "cannot start \(ffmpeg): \(error.localizedDescription)")
        }
    }

    static func executable(_ name: String) -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        queue.async { [self] in
            lock.lock()
            let stop = failure != nil || closed
            lock.unlock()
            if stop { return }
            do {
                let image = try overlay.render(frame.image, result: result, options: OverlayOptions(showHUD: false, showBars: false))
                try write(image.pixels)
            } catch {
                fail((error as? LocalizedError)?.errorDescription ?? "\(error)")
            }
        }
    }

    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {}

    /// Ends the stream and waits for ffmpeg; throws when the video could not be written completely.
    public func close() throws {
        queue.sync {
            lock.lock()
            closed = true
            lock.unlock()
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        let log = (try? String(contentsOf: errorLog, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: errorLog)
        // ffmpeg exits 0 when it cannot write the file's trailer (a full disk: "Error writing trailer of
        // x.mp4: No space left on device"); at -v error anything it says is an error, so that counts too.
        let said = log.split(separator: "\n").last.map { $0.replacingOccurrences(of: staged.temporaryPath, with: path) }
        if (process.terminationStatus != 0 || said != nil) && failure == nil {
            fail(said ?? "ffmpeg exit status \(process.terminationStatus)")
        }
        lock.lock()
        let failed = failure
        lock.unlock()
        if let failed {
            staged.discard()
            throw OutputError.unwritable(path: path, reason: failed)
        }
        try staged.commit()
    }

    private func write(_ bytes: [UInt8]) throws {
        let fd = input.fileHandleForWriting.fileDescriptor
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { throw SessionError.unwritable(path, reason: "ffmpeg stopped reading (\(systemMessage(errno)))") }
                done += n
            }
        }
    }

    private func fail(_ message: String) {
        lock.lock()
        if failure == nil { failure = message }
        lock.unlock()
    }
}
