// The frame indices of a scripted test source, written once for every test target's doubles: 0, 1, 2 …
// up to a count (or without end), none once cancelled, each under one lock so the pipeline's capture
// queue and a test's `cancel()` may race; with a frame rate, each index has a due time to wait for, as a
// camera's frames arrive.
import Foundation
import Frames

public final class FrameTicker: @unchecked Sendable {
    /// Indices handed out before the stream ends (nil: endless).
    public let count: Int?
    /// Frames per second the indices are due at (0: no pacing, as fast as they are taken).
    public let fps: Double
    private let lock = NSLock()
    private var next = 0
    private var cancelled = false
    private let start = MonotonicClock.now()

    public init(count: Int?, fps: Double = 0) {
        self.count = count
        self.fps = fps
    }

    /// The next index, or nil once `count` were handed out or after `cancel()`.
    public func take() -> Int? {
        lock.withLock {
            let index = next
            next += 1
            return cancelled || (count.map { index >= $0 } ?? false) ? nil : index
        }
    }

    /// Sleeps until frame `index` is due, `index / fps` seconds after this ticker was made (at once when `fps` is 0).
    public func wait(for index: Int) {
        guard fps > 0 else { return }
        let wait = start + Double(index) / fps - MonotonicClock.now()
        if wait > 0 { Thread.sleep(forTimeInterval: wait) }
    }

    /// Ends the stream: `take()` returns nil from now on.
    public func cancel() {
        lock.withLock { cancelled = true }
    }
}
