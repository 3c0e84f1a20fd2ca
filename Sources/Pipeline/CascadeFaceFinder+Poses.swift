// The live finder's full scan at several angles and poses (`emonet classify --poses multi`): the
// multi-pose search (FaceDetection.MultiPoseDetector) on the same scaled-down frame as `findFaces(in:)`,
// with the same parameters, so its upright faces are exactly `findFaces(in:)`'s. MultiPoseDetector's
// defaults scan turned and profile frames at half a 640-wide frame; the live finder's frame already is
// that size (320 px wide), so here they are scanned at the frame's own size (`rotatedScale` and
// `profileScale` 1): faces from 24 px there in every scan, 48 px in a 640x480 frame.
import FaceDetection
import Imaging

/// A face found by a multi-pose full scan, in frame pixels.
public struct TurnedFace: Sendable, Equatable {
    /// The face's box before turning (same centre and size as the turned box), rounded to pixels as
    /// `findFaces(in:)` rounds its boxes: an upright face's box is `findFaces(in:)`'s box.
    public var box: Rect
    /// Degrees, clockwise on screen: `box` turned by this much about its centre holds the face.
    public var angle: Double
    public var pose: FacePose
    public var neighbors: Int
}

extension TurnedFace {
    /// An upright frontal face at `box` (a frontal scan's box, or a whole image taken as a face); other
    /// modules get turned faces from `findTurnedFaces(in:search:)`. (In an extension, so that the module
    /// keeps the memberwise initialiser.)
    public init(upright box: Rect) {
        self.init(box: box, angle: 0, pose: .frontal, neighbors: 0)
    }
}

extension CascadeFaceFinder {
    /// The multi-pose parameters of a full scan: this finder's (scaled-down frame's) parameters for every
    /// scan, turned and profile frames at the scaled-down frame's size.
    public var multiPoseParameters: MultiPoseParameters {
        MultiPoseParameters(frontal: parameters, rotatedScale: 1, profileScale: 1)
    }

    /// Every face of `image` at the angles and poses `search` scans, one per face (a full scan).
    public func findTurnedFaces(in image: GrayImage, search: MultiPoseDetector) -> [TurnedFace] {
        let (small, sx, sy) = scaledDown(image)
        return search.detect(small, parameters: multiPoseParameters).map { d in
            // The upright twin's corner in the small frame: exact for boxes of the upright scan (integer
            // corners), so they are scaled up exactly as findFaces(in:) scales its boxes.
            let x = d.box.centerX - d.box.width / 2, y = d.box.centerY - d.box.height / 2
            let box = Rect(x: Int((x * sx).rounded()), y: Int((y * sy).rounded()),
                           width: Int((d.box.width * sx).rounded()), height: Int((d.box.height * sy).rounded()))
            return TurnedFace(box: box, angle: d.angle, pose: d.pose, neighbors: d.neighbors)
        }
    }
}
