// The values that flow through the live path: a captured frame in, a result per processed frame out.
// Both are immutable values so they can cross queues (capture → processing → sinks) without locks.
import Imaging

/// One captured frame. `time` is the source's timestamp in seconds from the start of the stream
/// (the driver's timestamp for a camera, the presentation time for a file).
public struct Frame: Sendable {
    /// A frame's pixels: in colour, or only the gray the pipeline looks at, for a source told that nothing
    /// downstream draws or records the frame (replay without an annotated video), which then skips the colour
    /// frame's copy and conversion.
    public enum Pixels: Sendable {
        case colour(RGBImage)
        case gray(GrayImage)
    }

    public let index: Int
    public let time: Double
    public let pixels: Pixels
    /// When the frame was captured, on `MonotonicClock` (the driver's monotonic timestamp for a camera,
    /// the moment it was read for a file); latency is measured from here.
    public let captureTime: Double
    /// The frame as JPEG, when the source has it: `image` is then exactly its decoding, and a session
    /// recorder stores these bytes as they are (so a replay decodes the same pixels).
    public let jpeg: [UInt8]?

    public init(index: Int, time: Double, image: RGBImage, captureTime: Double = MonotonicClock.now(),
                jpeg: [UInt8]? = nil) {
        self.init(index: index, time: time, pixels: .colour(image), captureTime: captureTime, jpeg: jpeg)
    }

    public init(index: Int, time: Double, pixels: Pixels, captureTime: Double = MonotonicClock.now(), jpeg: [UInt8]? = nil) {
        self.index = index
        self.time = time
        self.pixels = pixels
        self.captureTime = captureTime
        self.jpeg = jpeg
    }

    /// The frame in colour (a gray frame's gray in all three channels, made on each call).
    public var image: RGBImage {
        switch pixels {
        case .colour(let image): return image
        case .gray(let gray): return RGBImage(gray: gray)
        }
    }

    /// The frame in gray, as `GrayImage(rgb:)` makes it from the colour frame (a gray frame's own pixels,
    /// which its source made with the same arithmetic).
    public var gray: GrayImage {
        switch pixels {
        case .colour(let image): return GrayImage(rgb: image)
        case .gray(let gray): return gray
        }
    }

    public var width: Int {
        switch pixels {
        case .colour(let image): return image.width
        case .gray(let gray): return gray.width
        }
    }

    public var height: Int {
        switch pixels {
        case .colour(let image): return image.height
        case .gray(let gray): return gray.height
        }
    }
}

/// One tracked face in a processed frame.
public struct FaceResult: Sendable, Equatable {
    /// Stable across frames while the tracker follows the same face.
    public let track: Int
    public let box: Rect
    /// Seven probabilities in `EmotionLabel` order (smoothed when smoothing is on).
    public let probabilities: [Float]
    /// Degrees, clockwise on screen: the face is `box` turned by this much about its centre (0: upright).
    public let angle: Double
    /// Which way the face looks (frontal, or a profile towards the image's left or right).
    public let pose: FacePose

    public init(track: Int, box: Rect, probabilities: [Float], angle: Double = 0, pose: FacePose = .frontal) {
        precondition(probabilities.count == EmotionLabel.allCases.count, "seven probabilities expected")
        self.track = track
        self.box = box
        self.probabilities = probabilities
        self.angle = angle
        self.pose = pose
    }

    /// The most probable emotion.
    public var label: EmotionLabel {
        var best = 0
        for k in probabilities.indices where probabilities[k] > probabilities[best] { best = k }
        return EmotionLabel(rawValue: best)!
    }

    public var confidence: Float { probabilities[label.rawValue] }
}

/// Everything the pipeline learned from one frame.
public struct FrameResult: Sendable {
    public let frameIndex: Int
    /// The frame's source timestamp in seconds.
    public let time: Double
    public let faces: [FaceResult]
    /// Seconds spent per stage ("detect", "classify", ...), for stats.
    public let stageSeconds: [String: Double]
    /// Monotonic seconds from capture to result.
    public let latency: Double

    public init(frameIndex: Int, time: Double, faces: [FaceResult], stageSeconds: [String: Double] = [:],
                latency: Double = 0) {
        self.frameIndex = frameIndex
        self.time = time
        self.faces = faces
        self.stageSeconds = stageSeconds
        self.latency = latency
    }
}
