// Records a session as a FrameSink: every processed frame's JPEG (the bytes it carries, `Frame.jpeg`, else
// encoded here) and its result line are appended on the recorder's own serial queue, so the pipeline never
// waits for the disk.
// Invariants: frames and result lines are written in the order the pipeline produced them; a frame's
// JPEG and index record are written before its result line; any write failure (disk full, size limit,
// unwritable directory) stops the recording for good, keeps what was written, reports one clear
// message through `onStop`, and leaves the pipeline (and the live view) running. Data is fsynced about
// every `syncInterval` seconds and when the recording ends; session.json is rewritten atomically then.
import Dispatch
import Foundation
import Frames
import ImageIO
import Imaging

public final class SessionRecorder: FrameSink, @unchecked Sendable {
    public let directory: String
    /// Called once, on the recorder's queue, when the recording ends: nil error at a normal end.
    public var onStop: ((Error?) -> Void)?

    private let queue = DispatchQueue(label: "emonet.session.recorder", qos: .utility)
    private let lock = NSLock()
    private var manifest: SessionManifest
    private let jpegQuality: Int
    private let syncInterval: Double
    private let maxBacklog: Int
    private var frames: FrameStoreWriter?
    private var results: AppendOnlyFile?
    private var backlog = 0
    private var stopped = false
    private var stopError: Error?
    private var written = 0
    private var lastSync = MonotonicClock.now()

    /// Creates `directory` (which must be new or empty), writes session.json with state "recording" and
    /// opens the streams. A frame that carries its JPEG (`JPEGRoundTripSource`, so a replay reproduces the
    /// results exactly) is stored as those bytes; any other is encoded here at the manifest's quality.
    public init(directory: String, manifest: SessionManifest, syncInterval: Double = 1, maxBacklog: Int = 90) throws {
        self.directory = directory
        self.manifest = manifest
        self.jpegQuality = manifest.jpegQuality
        self.syncInterval = syncInterval
        self.maxBacklog = maxBacklog
        try Self.prepare(directory: directory)
        self.manifest.state = .recording
        try self.manifest.write(directory: directory)
        frames = try FrameStoreWriter(directory: directory)
        results = try AppendOnlyFile(creating: (directory as NSString).appendingPathComponent(SessionFiles.results))
    }

    /// Makes `directory` (and its parents); refuses a non-empty one so no recording is ever overwritten.
    static func prepare(directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SessionError.unwritable(directory, reason: "a file is in the way") }
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            guard contents.isEmpty else {
                throw SessionError.unwritable(directory, reason: "the directory is not empty (choose a new one)")
            }
        } else {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                // The deepest existing ancestor says why (permissions, read-only file system).
                // URL, not NSString: deletingLastPathComponent traps on a one-letter path ("s") in this Foundation.
                var ancestor = URL(fileURLWithPath: directory).deletingLastPathComponent().path
                while ancestor != "/", !FileManager.default.fileExists(atPath: ancestor) {
                    ancestor = URL(fileURLWithPath: ancestor).deletingLastPathComponent().path
                }
                let reason = access(ancestor.isEmpty ? "." : ancestor, W_OK) != 0
                    ? "\(ancestor): \(systemMessage(errno))" : "cannot create the directory"
                throw SessionError.unwritable(directory, reason: reason)
            }
        }
        guard access(directory, W_OK) == 0 else { throw SessionError.unwritable(directory, reason: systemMessage(errno)) }
    }

    /// Frames written completely so far.
    public var framesWritten: Int { lock.withLock { written } }

    /// Whether the recording has ended (finished, stopped or failed).
    public var isStopped: Bool { lock.withLock { stopped } }

    /// The error that stopped the recording, if any.
    public var failure: Error? { lock.withLock { stopError } }

    // MARK: - FrameSink

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        lock.lock()
        if stopped { lock.unlock(); return }
        backlog += 1
        let overloaded = backlog > maxBacklog
        lock.unlock()
        queue.async { [self] in
            lock.lock()
            backlog -= 1
            let skip = stopped
            lock.unlock()
            if skip { return }
            if overloaded { return end(error: SessionError.fellBehind(directory, frames: framesWritten)) }
            write(frame: frame, line: result.jsonLine)
        }
    }

    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {
        queue.async { [self] in end(error: nil, sourceError: error) }
    }

    /// Ends the recording (the `r` key, or the run ending) and waits until everything is on disk.
    public func stop() {
        queue.sync { end(error: nil) }
    }

    /// Waits until every frame handed over so far was written (or dropped after a failure).
    public func waitUntilIdle() {
        queue.sync {}
    }

    // MARK: - Recorder queue

    private func write(frame: Frame, line: String) {
        do {
            let bytes = try frame.jpeg ?? JPEG.encode(frame.image, quality: jpegQuality)
            try frames?.append(jpeg: bytes, frameIndex: frame.index, time: frame.time,
                               width: frame.width, height: frame.height)
            try results?.append(Array((line + "\n").utf8))
            lock.lock()
            written += 1
            lock.unlock()
            let now = MonotonicClock.now()
            if now - lastSync >= syncInterval {
                lastSync = now
                try frames?.sync()
                try results?.sync()
            }
        } catch let error as AppendOnlyFile.AppendError {
            end(error: SessionError.writeFailed(directory, frames: framesWritten, reason: error.message))
        } catch {
            end(error: SessionError.writeFailed(directory, frames: framesWritten,
                                                reason: (error as? LocalizedError)?.errorDescription ?? "\(error)"))
        }
    }

    /// Closes the streams and rewrites session.json with the end state. Runs once; later calls do nothing.
    private func end(error: Error?, sourceError: Error? = nil) {
        lock.lock()
        if stopped { lock.unlock(); return }
        stopped = true
        stopError = error
        let count = written
        lock.unlock()
        var syncError: Error?
        do {
            try frames?.sync()
            try results?.sync()
        } catch let failure as AppendOnlyFile.AppendError {
            syncError = SessionError.writeFailed(directory, frames: count, reason: failure.message)
        } catch {}
        frames?.close()
        results?.close()
        frames = nil
        results = nil
        let failure = error ?? syncError
        manifest.frames = count
        manifest.endedAt = SessionManifest.timestamp(Date())
        manifest.state = failure == nil ? .completed : .failed
        manifest.message = failure.map { ($0 as? LocalizedError)?.errorDescription ?? "\($0)" }
            ?? sourceError.map { "the input ended with an error: " + (($0 as? LocalizedError)?.errorDescription ?? "\($0)") }
        try? manifest.write(directory: directory)  // on a full disk the previous manifest stays, as written
        if let syncError, error == nil {
            lock.lock()
            stopError = syncError
            lock.unlock()
        }
        onStop?(failure)
    }
}
