// The hand-over between the capture thread and the processing queue: one slot, latest frame wins.
// Invariants: the producer never waits for the consumer; a frame still in the slot when a newer one
// arrives is dropped and counted; frames leave the slot in capture order (older ones are never
// handed out after newer ones); at most one consumer drains at a time (`draining`).
import Foundation

public final class LatestFrameSlot: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: Frame?
    private var draining = false
    private var droppedCount = 0

    public init() {}

    /// Stores `frame`, dropping any frame not yet taken. Returns true when no consumer is draining:
    /// the caller must then start one (and it becomes the one draining).
    public func put(_ frame: Frame) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if pending != nil { droppedCount += 1 }
        pending = frame
        if draining { return false }
        draining = true
        return true
    }

    /// The waiting frame, or nil — in which case the consumer has stopped draining until the next `put`
    /// returns true. Checking and clearing happen under one lock, so no frame is ever stranded.
    public func take() -> Frame? {
        lock.lock()
        defer { lock.unlock() }
        if let frame = pending {
            pending = nil
            return frame
        }
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
