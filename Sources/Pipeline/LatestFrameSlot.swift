// The hand-over between the capture thread and the processing queue: `capacity` slots (one for live
// cameras: the latest frame wins; a few for replay, where the producer waits for a free slot itself
// and so never loses one). Invariants: put never waits; when every slot is full the oldest waiting
// frame is dropped and counted; frames leave in capture order (older ones are never handed out after
// newer ones); at most one consumer drains at a time (`draining`).
import Foundation

public final class LatestFrameSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [Frame] = []
    private var draining = false
    private var droppedCount = 0
    public let capacity: Int

    public init(capacity: Int = 1) {
        precondition(capacity >= 1)
        self.capacity = capacity
        pending.reserveCapacity(capacity)
    }

    /// Stores `frame`, dropping the oldest frame not yet taken if every slot is full. Returns true when
    /// no consumer is draining: the caller must then start one (and it becomes the one draining).
    public func put(_ frame: Frame) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if pending.count == capacity {
            pending.removeFirst()
            droppedCount += 1
        }
        pending.append(frame)
        if draining { return false }
        draining = true
        return true
    }

    /// The waiting frame, or nil — in which case the consumer has stopped draining until the next `put`
    /// returns true. Checking and clearing happen under one lock, so no frame is ever stranded.
    public func take() -> Frame? {
        lock.lock()
        defer { lock.unlock() }
        if !pending.isEmpty { return pending.removeFirst() }
        draining = false
        return nil
    }

    /// Frames replaced before the consumer took them.
    public var dropped: Int {
        lock.lock()
        defer { lock.unlock() }
        return droppedCount
    }
}
