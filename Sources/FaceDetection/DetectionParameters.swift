// Parameters of a detection run, with OpenCV's detectMultiScale defaults, and its result type.
import Imaging

/// A width and height in pixels (OpenCV's cv::Size); zero means "not set".
public struct PixelSize: Sendable, Equatable, Hashable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) { self.width = width; self.height = height }
    /// A square size.
    public init(_ side: Int) { self.init(width: side, height: side) }
    public static let zero = PixelSize(width: 0, height: 0)
}

/// How to search an image; the defaults are OpenCV's `CascadeClassifier::detectMultiScale` defaults.
public struct DetectionParameters: Sendable, Equatable {
    /// Ratio between successive pyramid scales (OpenCV default 1.1), in `scaleFactorRange`.
    public var scaleFactor: Double = 1.1
    /// The scale factors accepted: the pyramid has log(image / window) / log(scaleFactor) levels, so a
    /// factor just above 1 (1.000001) means millions of levels, i.e. work without end; a
    /// factor of 1.01 is ~460 levels for a 2400-pixel image.
    public static let scaleFactorRange = 1.01...10.0
    /// A face needs more than this many raw hits grouped together (OpenCV default 3). 0 returns
    /// the raw, ungrouped windows.
    public var minNeighbors: Int = 3
    /// Smaller windows are not searched (OpenCV default: none).
    public var minSize: PixelSize = .zero
    /// Larger windows are not searched (OpenCV default: none, i.e. the image size).
    public var maxSize: PixelSize = .zero
    /// Worker threads (pyramid levels are shared out); results do not depend on this.
    public var threads: Int = 1

    public init(scaleFactor: Double = 1.1, minNeighbors: Int = 3, minSize: PixelSize = .zero,
                maxSize: PixelSize = .zero, threads: Int = 1) {
        self.scaleFactor = scaleFactor
        self.minNeighbors = minNeighbors
        self.minSize = minSize
        self.maxSize = maxSize
        self.threads = threads
    }
}

/// One detected object: its box in image pixels and how many raw windows were grouped into it.
public struct Detection: Sendable, Equatable, Hashable {
    public var box: Rect
    public var neighbors: Int
    public init(box: Rect, neighbors: Int) { self.box = box; self.neighbors = neighbors }
}
