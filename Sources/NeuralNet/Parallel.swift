// Splitting work over the cores. Work is cut into contiguous chunks by index, one per worker,
// and partial results are combined in worker order, so a given worker count is deterministic.
import Dispatch

public enum Parallel {
    /// Calls `body(range, worker)` for `workers` contiguous slices of `0..<count`, concurrently.
    /// With one worker (or one item) it runs inline on the calling thread.
    @inlinable
    public static func chunks(_ count: Int, workers: Int, _ body: (Range<Int>, Int) -> Void) {
        let w = threads(count, workers: workers)
        if w == 1 {
            body(0..<count, 0)
            return
        }
        DispatchQueue.concurrentPerform(iterations: w) { i in
            body(chunk(i, of: count, workers: w), i)
        }
    }

    /// How many slices `chunks` cuts `count` items into for `workers`.
    @inlinable
    public static func threads(_ count: Int, workers: Int) -> Int { max(1, min(workers, count)) }

    /// Slice `i` of `count` items cut into `slices` (as `chunks` gives it to worker i).
    @inlinable
    public static func chunk(_ i: Int, of count: Int, workers slices: Int) -> Range<Int> {
        (count * i / slices)..<(count * (i + 1) / slices)
    }
}
