// Wraps a live source so that, while recording, the pipeline processes exactly the pixels a session
// stores: each frame is JPEG-encoded on the capture thread and the decoded image goes on down the
// pipeline; the recorder then appends the same bytes. Replaying the session decodes the same bytes to
// the same pixels, so the per-frame results reproduce exactly. While not active, frames pass through.
// Invariants: frames reach the sinks in capture order, so asking for frame n's bytes also discards
// every older entry (frames the slot dropped); at most `capacity` entries are kept in any case (about
// 8 s at 30 fps: a hard bound should no recorder ask). An entry must outlive the frame's whole trip
// through the pipeline, which on a slow machine spans many captured frames (a count of 16 once made a
// slow replay differ from its recording). An encoding failure passes the raw frame on (that frame's
// replay may then differ, never crash).
import Foundation
import ImageIO
import Imaging
import Pipeline

public final class JPEGRoundTripSource: FrameSource, @unchecked Sendable {
    public let inner: FrameSource
    public let quality: Int
    private let capacity: Int
    private let lock = NSLock()
    private var active: Bool
    private var encoded: [(index: Int, bytes: [UInt8])] = []

    public init(_ inner: FrameSource, quality: Int = 90, active: Bool = true, capacity: Int = 256) {
        self.inner = inner
        self.quality = quality
        self.active = active
        self.capacity = capacity
    }

    /// Turns the round trip on (recording) or off (plain live view).
    public var isActive: Bool {
        get { lock.lock(); defer { lock.unlock() }; return active }
        set { lock.lock(); active = newValue; if !newValue { encoded.removeAll() }; lock.unlock() }
    }

    /// The JPEG bytes of frame `index`, if it went through the round trip; entries up to it are discarded.
    public func encodedBytes(forFrame index: Int) -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        let bytes = encoded.last { $0.index == index }?.bytes
        encoded.removeAll { $0.index <= index }
        return bytes
    }

    public var description: String { inner.description }
    public var width: Int { inner.width }
    public var height: Int { inner.height }
    public var framesPerSecond: Double { inner.framesPerSecond }

    public func nextFrame() throws -> Frame? {
        guard let frame = try inner.nextFrame() else { return nil }
        guard isActive, let bytes = try? JPEG.encode(frame.image, quality: quality),
              let decoded = try? JPEG.decode(bytes) else { return frame }
        lock.lock()
        encoded.append((frame.index, bytes))
        if encoded.count > capacity { encoded.removeFirst(encoded.count - capacity) }
        lock.unlock()
        return Frame(index: frame.index, time: frame.time, image: decoded, captureTime: frame.captureTime)
    }

    public func cancel() { inner.cancel() }
    public func close() { inner.close() }
}
