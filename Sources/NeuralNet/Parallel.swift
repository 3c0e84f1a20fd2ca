// Splitting work over the cores. Work is cut into contiguous chunks by index, one per worker,
// and partial results are combined in worker order, so a given worker count is deterministic.
import Dispatch

public enum Parallel {
    /// Calls `body(range, worker)` for `workers` contiguous slices of `0..<count`, concurrently.
    /// With one worker (or one item) it runs inline on the calling thread.
    @inlinable
    public static func chunks(_ count: Int, workers: Int, _ body: (Range<Int>, Int) -> Void) {
        let w = max(1, min(workers, count))
        if w == 1 {
            body(0..<count, 0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: w) { i in
            body((count * i / w)..<(count * (i + 1) / w), i)
        }
    }
}
