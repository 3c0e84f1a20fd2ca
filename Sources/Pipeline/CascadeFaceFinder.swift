// The real face detector behind the pipeline's FaceFinding protocol, tuned for real time:
// full-frame searches run on a copy scaled down to at most `detectionWidth` pixels wide (boxes are
// scaled back), regional searches run at full resolution around the tracked faces, where they are cheap.
import FaceDetection
import Imaging

public final class CascadeFaceFinder: FaceFinding, @unchecked Sendable {
    public let detector: FaceDetector
    /// Parameters of full-frame searches, in the scaled-down frame's pixels.
    public let parameters: DetectionParameters
    /// Parameters of regional searches (the window sizes are set around each tracked face).
    public let regionParameters: DetectionParameters
    public let detectionWidth: Int

    /// Live defaults: scale step 1.2, 4 neighbours, faces from 24 px in a frame scaled to 320 px wide
    /// (48 px in a 640x480 frame), two threads.
    public init(detector: FaceDetector,
                parameters: DetectionParameters = DetectionParameters(scaleFactor: 1.2, minNeighbors: 4,
                                                                      minSize: PixelSize(24), threads: 2),
                regionParameters: DetectionParameters = DetectionParameters(scaleFactor: 1.1, minNeighbors: 3),
                detectionWidth: Int = 320) {
        precondition(detectionWidth >= 32, "detectionWidth must be at least 32")
        self.detector = detector
        self.parameters = parameters
        self.regionParameters = regionParameters
        self.detectionWidth = detectionWidth
    }

    public func findFaces(in image: GrayImage) -> [Rect] {
        guard image.width > detectionWidth else { return detector.detect(image, parameters: parameters).map(\.box) }
        let scale = Double(image.width) / Double(detectionWidth)
        let height = max(1, Int((Double(image.height) / scale).rounded()))
        let small = image.resizedBilinear(width: detectionWidth, height: height)
        let sx = Double(image.width) / Double(detectionWidth), sy = Double(image.height) / Double(height)
        return detector.detect(small, parameters: parameters).map { d in
            Rect(x: Int((Double(d.box.x) * sx).rounded()), y: Int((Double(d.box.y) * sy).rounded()),
                 width: Int((Double(d.box.width) * sx).rounded()), height: Int((Double(d.box.height) * sy).rounded()))
        }
    }

    public func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] {
        detector.detect(in: image, around: regions, parameters: regionParameters).map(\.box)
    }
}
