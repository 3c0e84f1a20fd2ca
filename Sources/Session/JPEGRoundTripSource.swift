// Wraps a live source so that, while recording, the pipeline processes exactly the pixels a session
// stores: each frame is JPEG-encoded on the capture thread, and the decoded image goes on down the
// pipeline with the bytes it was decoded from (`Frame.jpeg`); the recorder appends those bytes. Replaying
// the session decodes the same bytes to the same pixels, so the per-frame results reproduce exactly.
// While not active, frames pass through as they are. An encoding failure passes the raw frame on (that
// frame's replay may then differ, never crash).
import Foundation
import Frames
import ImageIO
import Imaging

public final class JPEGRoundTripSource: FrameSource, @unchecked Sendable {
    public let inner: FrameSource
    public let quality: Int
    private let lock = NSLock()
    private var active: Bool

    public init(_ inner: FrameSource, quality: Int = 90, active: Bool = true) {
        self.inner = inner
        self.quality = quality
        self.active = active
    }

    /// Turns the round trip on (recording) or off (plain live view).
    public var isActive: Bool {
        get { lock.lock(); defer { lock.unlock() }; return active }
        set { lock.lock(); active = newValue; lock.unlock() }
    }

    public var description: String { inner.description }
    public var width: Int { inner.width }
    public var height: Int { inner.height }
    public var framesPerSecond: Double { inner.framesPerSecond }

    public func nextFrame() throws -> Frame? {
        guard let frame = try inner.nextFrame() else { return nil }
        guard isActive, let bytes = try? JPEG.encode(frame.image, quality: quality),
              let decoded = try? JPEG.decode(bytes) else { return frame }
        return Frame(index: frame.index, time: frame.time, image: decoded, captureTime: frame.captureTime, jpeg: bytes)
    }

    public func cancel() { inner.cancel() }
    public func close() { inner.close() }
}
