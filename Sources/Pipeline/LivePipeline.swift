// The live path: a capture thread reads the source as fast as it delivers and hands each frame to a
// latest-frame-wins slot; a serial background queue processes whatever frame is newest and hands the
// result to the sinks. The capture thread never waits for processing (`.dropStale`, for cameras);
// with `.waitForProcessing` (replay of files and sessions) it reads the next frame while the previous
// one is processed, then waits for it, so no frame is ever dropped.
// Lifecycle: start() once; the run ends at the end of the stream, on a source or processing error, or on
// stop(); then the source is closed, the last frame in the slot is processed, and every sink gets
// pipelineDidFinish exactly once, on the processing queue, before waitUntilFinished() returns.
import Dispatch
import Foundation

/// What the capture thread does when processing is slower than the source.
public enum FrameDropPolicy: Sendable {
    /// Replace the waiting frame with the newest one (live cameras: latency stays low).
    case dropStale
    /// Wait until the previous frame was processed (replay: every frame is processed, in order).
    case waitForProcessing
}

public final class LivePipeline: @unchecked Sendable {
    public let source: FrameSource
    public let dropPolicy: FrameDropPolicy
    public let stats = PipelineStats()
    private let processor: FrameProcessor
    private let sinks: [FrameSink]
    private let slot = LatestFrameSlot()
    private let queue = DispatchQueue(label: "emonet.pipeline.processing", qos: .userInitiated)
    private let finished = DispatchGroup()
    private let lock = NSLock()
    private var started = false
    private var stopRequested = false
    private var failure: Error?
    private var processingFailed = false
    /// With `.waitForProcessing`: one permit per frame that may be in the slot or being processed.
    private let processedSignal = DispatchSemaphore(value: 1)

    /// Called once on the processing queue after the sinks were told the run finished.
    public var onFinish: ((PipelineSummary, Error?) -> Void)?

    public init(source: FrameSource, processor: FrameProcessor, sinks: [FrameSink],
                dropPolicy: FrameDropPolicy = .dropStale) {
        self.source = source
        self.dropPolicy = dropPolicy
        self.processor = processor
        self.sinks = sinks
    }

    /// Starts the capture thread. Call once.
    public func start() {
        lock.lock()
        precondition(!started, "LivePipeline.start() called twice")
        started = true
        lock.unlock()
        finished.enter()
        let thread = Thread { [self] in captureLoop() }
        thread.name = "emonet.capture"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    /// Asks the run to end; returns at once (use `waitUntilFinished()` to wait). Thread-safe, idempotent.
    public func stop() {
        lock.lock()
        stopRequested = true
        lock.unlock()
        source.cancel()
    }

    /// Blocks until the sinks were told the run finished; returns the error that ended it, if any.
    @discardableResult
    public func waitUntilFinished() -> Error? {
        finished.wait()
        lock.lock()
        defer { lock.unlock() }
        return failure
    }

    /// Waits at most `timeout` seconds; false if the run is still going.
    public func waitUntilFinished(timeout: Double) -> Bool {
        finished.wait(timeout: .now() + timeout) == .success
    }

    public var isStopRequested: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopRequested
    }

    // MARK: - Capture thread

    private func captureLoop() {
        var sourceError: Error?
        while !isStopRequested {
            let frame: Frame?
            do {
                frame = try source.nextFrame()
            } catch {
                sourceError = error
                break
            }
            guard let frame else { break }
            stats.recordCaptured(frame)
            if dropPolicy == .waitForProcessing { processedSignal.wait() }
            if slot.put(frame) { queue.async { [self] in drain() } }
            stats.recordDropped(total: slot.dropped)
        }
        source.close()
        if let sourceError { record(sourceError) }
        // Serial queue: this runs after any drain already scheduled, so the last frame is processed first.
        queue.async { [self] in finish() }
    }

    // MARK: - Processing queue

    private func drain() {
        while let frame = slot.take() {
            defer { if dropPolicy == .waitForProcessing { processedSignal.signal() } }
            lock.lock()
            let skip = processingFailed
            lock.unlock()
            if skip { continue }
            do {
                let result = try processor.process(frame)
                stats.recordProcessed(result)
                for sink in sinks { sink.pipeline(didProduce: result, for: frame) }
            } catch {
                record(error)
                lock.lock()
                processingFailed = true
                lock.unlock()
                stop()
            }
        }
    }

    private func record(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    private func finish() {
        drain()
        let summary = stats.snapshot()
        lock.lock()
        let error = failure
        lock.unlock()
        for sink in sinks { sink.pipelineDidFinish(summary: summary, error: error) }
        onFinish?(summary, error)
        finished.leave()
    }
}
