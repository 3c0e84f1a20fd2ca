// The hand-over from the processing queue to the window's main-thread loop: only the newest
// (frame, result) pair is kept, so a slow window never slows the pipeline.
import Foundation
import Frames

public final class DisplaySink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private var latest: (frame: Frame, result: FrameResult)?
    private var generation = 0
    private var finished = false
    private var finishError: Error?

    public init() {}

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        lock.lock()
        latest = (frame, result)
        generation += 1
        lock.unlock()
    }

    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {
        lock.lock()
        finished = true
        finishError = error
        lock.unlock()
    }

    /// The newest pair if it is newer than `seen` (a generation number), with its generation.
    func newest(after seen: Int) -> (frame: Frame, result: FrameResult, generation: Int)? {
        lock.lock()
        defer { lock.unlock() }
        guard generation > seen, let latest else { return nil }
        return (latest.frame, latest.result, generation)
    }

    public var isFinished: Bool {
        lock.lock()
        defer { lock.unlock() }
        return finished
    }
}
