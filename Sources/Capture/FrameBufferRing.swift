// Recycles pixel buffers (RGB, or gray for a source that reads gray) between frames so a steady stream
// allocates nothing: each frame's image is written into a buffer the ring still owns, and Swift's
// copy-on-write copies it only if a consumer is still holding that buffer's previous frame (then one
// allocation, never corruption).
import Frames
import Imaging

/// The images a ring can recycle: a buffer of `pixels`, made black at a size.
protocol RingImage {
    init(width: Int, height: Int)
    var pixels: [UInt8] { get set }
}

extension RGBImage: RingImage {}
extension GrayImage: RingImage {}

struct FrameBufferRing<Image: RingImage> {
    private var images: [Image]
    private var next = 0

    /// For file sources, whose frames replay keeps in flight: read ahead, located and waiting, the two
    /// being processed, and the one being filled.
    static var fileSourceCount: Int { 2 * FrameDropPolicy.replayDepth + 3 }

    init(width: Int, height: Int, count: Int = 4) {
        images = (0..<count).map { _ in Image(width: width, height: height) }
    }

    /// Fills the next buffer with `fill` (given its bytes: width*height*3 for RGB, width*height for gray) and
    /// returns the image.
    mutating func fill(_ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Image {
        let k = next
        next = (next + 1) % images.count
        var image = images[k]
        images[k] = Image(width: 0, height: 0)  // drop the ring's reference so `image` may be unique
        defer { images[k] = image }
        try image.pixels.withUnsafeMutableBytes { try fill($0) }
        return image
    }
}
