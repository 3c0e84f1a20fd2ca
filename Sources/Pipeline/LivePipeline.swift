// The live path: a capture thread reads the source as fast as it delivers and hands each frame to a
// latest-frame-wins slot; a serial "locate" queue takes whatever frame is newest and finds and tracks
// its faces, and a serial "classify" queue classifies them and hands the result to the sinks. The two
// queues overlap (frame n+1 is located while frame n is classified), with at most one located frame
// waiting for the classifier, so both cores work and results are exactly those of one-by-one processing.
// The capture thread never waits for processing (`.dropStale`, for cameras); with `.waitForProcessing`
// (replay of files and sessions) it reads ahead up to `replayDepth` frames and then waits for a free
// slot, so no frame is ever dropped, and up to `replayDepth` located frames may wait for the
// classifier: a full face scan (every few frames, several times a tracking frame's cost) then no
// longer stalls the other stage. Live keeps one of each, for latency.
// Lifecycle: start() once; the run ends at the end of the stream, on a source or processing error, or on
// stop(); then the source is closed, the frames in flight are finished, and every sink gets
// pipelineDidFinish exactly once, on the classify queue (where every result was delivered), before
// waitUntilFinished() returns. A source that does not return from nextFrame() after cancel() (a stalled
// camera, a pipe that sends nothing) would hold that up for ever: finishWithoutSource() ends the run
// without it, and whatever the capture thread reads later is dropped.
import Dispatch
// Every user of the pipeline handles its frames, sources, sinks and results: they come with it.
@_exported import Frames
import Foundation

public final class LivePipeline: @unchecked Sendable {
    public let source: FrameSource
    public let dropPolicy: FrameDropPolicy
    public let stats = PipelineStats()
    private let processor: FrameProcessor
    private let sinks: [FrameSink]
    /// Frames read ahead, and located frames waiting for the classifier, in replay (see FrameDropPolicy).
    public static let replayDepth = FrameDropPolicy.replayDepth
    private let slot: LatestFrameSlot
    private let queue = DispatchQueue(label: "emonet.pipeline.locate", qos: .userInitiated)
    private let classifyQueue = DispatchQueue(label: "emonet.pipeline.classify", qos: .userInitiated)
    /// Located frames that may wait for the classifier; the locate queue blocks rather than queue more.
    private let classifySlots: DispatchSemaphore
    /// With one usable core (e.g. under taskset) overlapping the stages only adds thread switches
    /// (measured: 66 vs 79 fps on a replay), so the locate queue then waits for each classification.
    private let overlapsStages = ProcessInfo.processInfo.activeProcessorCount > 1
    private let finished = DispatchGroup()
    private let lock = NSLock()
    private var started = false
    private var stopRequested = false
    private var failure: Error?
    private var processingFailed = false
    /// Set once the end of the run is scheduled (by the capture thread or finishWithoutSource()).
    private var finishScheduled = false
    /// Set on the locate queue when the sinks are about to be told: later frames are dropped.
    private var sinksFinished = false
    /// With `.waitForProcessing`: permits to put a frame in the slot, given back when the locate queue
    /// takes one out (so it never overflows); the stages themselves are bounded by `classifySlots`.
    private let slotFree: DispatchSemaphore

    /// Called once on the classify queue after the sinks were told the run finished.
    public var onFinish: ((PipelineSummary, Error?) -> Void)?

    public init(source: FrameSource, processor: FrameProcessor, sinks: [FrameSink],
                dropPolicy: FrameDropPolicy = .dropStale) {
        self.source = source
        self.dropPolicy = dropPolicy
        self.processor = processor
        self.sinks = sinks
        let depth = dropPolicy == .waitForProcessing ? Self.replayDepth : 1
        slot = LatestFrameSlot(capacity: depth)
        slotFree = DispatchSemaphore(value: depth)
        classifySlots = DispatchSemaphore(value: depth)
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

    /// Stops the run and ends it without waiting for the source any longer: the frames already read are
    /// finished and every sink is told, as at the end of a stream. For a source that does not return from
    /// `nextFrame()` after `cancel()`; the capture thread, if it ever returns, closes the source and adds nothing.
    public func finishWithoutSource() {
        stop()
        guard claimFinish() else { return }
        queue.async { [self] in finish() }
    }

    /// True for the one caller that schedules the end of the run.
    private func claimFinish() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if finishScheduled { return false }
        finishScheduled = true
        return true
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
            if dropPolicy == .waitForProcessing { slotFree.wait() }
            if slot.put(frame) { queue.async { [self] in drain() } }
            stats.recordDropped(total: slot.dropped)
        }
        source.close()
        if let sourceError { record(sourceError) }
        // Serial queue: this runs after any drain already scheduled, so the last frame is processed first.
        if claimFinish() { queue.async { [self] in finish() } }
    }

    // MARK: - Processing queue

    private var hasFailed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return processingFailed
    }

    /// On the locate queue: locates every frame the slot holds and passes each to the classify queue.
    private func drain() {
        while let frame = slot.take() {
            if dropPolicy == .waitForProcessing { slotFree.signal() }
            if hasFailed || sinksFinished { continue }
            let located = processor.locate(frame)
            let deliver = { [self] in
                if hasFailed { return }
                do {
                    let result = try processor.classify(located)
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
            if overlapsStages {
                classifySlots.wait()
                classifyQueue.async {
                    deliver()
                    self.classifySlots.signal()
                }
            } else {
                classifyQueue.sync(execute: deliver)
            }
        }
    }

    private func record(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    /// On the locate queue after the last frame was taken; the sinks are told on the classify queue,
    /// after every result already queued there.
    private func finish() {
        drain()
        sinksFinished = true  // locate queue only, like drain()
        classifyQueue.async { [self] in finishOnClassifyQueue() }
    }

    private func finishOnClassifyQueue() {
        let summary = stats.snapshot()
        lock.lock()
        let error = failure
        lock.unlock()
        for sink in sinks { sink.pipelineDidFinish(summary: summary, error: error) }
        onFinish?(summary, error)
        finished.leave()
    }
}
