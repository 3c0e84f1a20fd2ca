// Where frames come from and where results go. A camera, a video file and a recorded session are all
// `FrameSource`s, so every input runs the same live path; displays, loggers and recorders are `FrameSink`s.
import Foundation

/// A stream of frames read on the pipeline's capture thread.
///
/// `nextFrame()` is only ever called from one thread at a time; `cancel()` may be called from any thread
/// and makes a blocked or later `nextFrame()` return nil promptly. `close()` is called once, after the last
/// `nextFrame()`, on the reading thread.
public protocol FrameSource: AnyObject {
    /// What the source is, for messages: the device or file and the negotiated format.
    var description: String { get }
    /// Frame size in pixels (negotiated for a camera).
    var width: Int { get }
    var height: Int { get }
    /// Frames per second the source delivers (negotiated for a camera, from the header for a file); 0 if unknown.
    var framesPerSecond: Double { get }

    /// The next frame, waiting for it if needed; nil at the end of the stream or after `cancel()`.
    /// Throws when the source fails (device unplugged, corrupt file); the error names the source.
    func nextFrame() throws -> Frame?
    /// Asks a blocked or future `nextFrame()` to return nil soon. Thread-safe.
    func cancel()
    /// Releases the device or file. Called once, after the last `nextFrame()`.
    func close()
}

/// What the capture thread does when processing is slower than the source.
public enum FrameDropPolicy: Sendable {
    /// Replace the waiting frame with the newest one (live cameras: latency stays low).
    case dropStale
    /// Wait until the previous frame was processed (replay: every frame is processed, in order).
    case waitForProcessing

    /// Frames read ahead, and located frames waiting for the classifier, with `.waitForProcessing` (the
    /// file sources size their buffer rings by it). EMONET_REPLAY_DEPTH overrides it (1 is the live
    /// path's hand-over), for measuring.
    public static let replayDepth: Int = {
        let given = ProcessInfo.processInfo.environment["EMONET_REPLAY_DEPTH"].flatMap { Int($0) } ?? 4
        return min(max(given, 1), 16)
    }()
}

/// Receives every processed frame, in frame order, on the pipeline's processing queue: keep it short.
public protocol FrameSink: AnyObject {
    func pipeline(didProduce result: FrameResult, for frame: Frame)
    /// Called once when the pipeline has stopped: `error` is nil at the end of the stream or after `stop()`.
    func pipelineDidFinish(summary: PipelineSummary, error: Error?)
}

extension FrameSink {
    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {}
}

/// A flag any thread may raise and the reading thread checks: how the camera, file and session sources
/// implement `cancel()`.
public final class CancellationFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false

    public init() {}

    public var isRaised: Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }

    public func raise() {
        lock.lock()
        raised = true
        lock.unlock()
    }
}
