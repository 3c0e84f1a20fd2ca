// A pipeline sink for tests: keeps every result in order and every end-of-run call, all under one lock,
// so a test may poll it while the pipeline delivers.
import Foundation
import Frames

public final class CollectingSink: FrameSink, @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [FrameResult] = []
    private var finishes: [(PipelineSummary, Error?)] = []
    /// Called with each result, on the pipeline's queue, after it was stored.
    public var onResult: ((FrameResult) -> Void)?

    public init() {}

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        lock.lock()
        collected.append(result)
        lock.unlock()
        onResult?(result)
    }

    public func pipelineDidFinish(summary: PipelineSummary, error: Error?) {
        lock.lock()
        finishes.append((summary, error))
        lock.unlock()
    }

    public var results: [FrameResult] { lock.withLock { collected } }

    /// Results so far, counted under the lock: a polling loop must not read the array's buffer while the
    /// pipeline appends to it (TSan reported exactly that for `results.count`: the copy's reference counting
    /// happens in the uninstrumented Swift runtime, so TSan cannot see that the buffer is shared).
    public var count: Int { lock.withLock { collected.count } }

    /// Every pipelineDidFinish call: a run must make exactly one.
    public var finished: [(PipelineSummary, Error?)] { lock.withLock { finishes } }

    public var finishCount: Int { finished.count }
    /// The error of the last pipelineDidFinish call.
    public var finishError: Error? { finished.last?.1 }
}
