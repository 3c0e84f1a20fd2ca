// A face box that may be turned in the image plane (the pose a face was found in, FacePose, is Imaging's).
// Angles follow Imaging's ImageRotation: degrees, positive = turned clockwise as seen on screen
// (image y points down). A box of angle a is the upright box of its size turned a about its centre.
import Foundation
import Imaging

/// A rectangle of `width` x `height` centred at (`centerX`, `centerY`), turned `angle` degrees clockwise.
public struct RotatedBox: Sendable, Equatable, Codable {
    public var centerX: Double
    public var centerY: Double
    public var width: Double
    public var height: Double
    /// Degrees, clockwise on screen: the face's tilt (its up direction turned by this much).
    public var angle: Double

    public init(centerX: Double, centerY: Double, width: Double, height: Double, angle: Double) {
        self.centerX = centerX
        self.centerY = centerY
        self.width = width
        self.height = height
        self.angle = angle
    }

    /// An upright box.
    public init(_ rect: Rect) {
        self.init(centerX: Double(rect.x) + Double(rect.width) / 2, centerY: Double(rect.y) + Double(rect.height) / 2,
                  width: Double(rect.width), height: Double(rect.height), angle: 0)
    }

    /// The four corners: top-left, top-right, bottom-right, bottom-left of the face (before turning).
    public var corners: [(x: Double, y: Double)] {
        let r = angle * .pi / 180, c = cos(r), s = sin(r)
        return [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)].map { u, v in
            let dx = u * width, dy = v * height
            return (centerX + dx * c - dy * s, centerY + dx * s + dy * c)
        }
    }

    /// The smallest upright integer rectangle holding the turned box.
    public var boundingRect: Rect {
        let p = corners
        let x0 = p.map(\.x).min()!, x1 = p.map(\.x).max()!, y0 = p.map(\.y).min()!, y1 = p.map(\.y).max()!
        let left = Int(x0.rounded(.down)), top = Int(y0.rounded(.down))
        return Rect(x: left, y: top, width: Int(x1.rounded(.up)) - left, height: Int(y1.rounded(.up)) - top)
    }

    /// Whether (x, y) lies inside this box shrunk about its centre to `fraction` of its size.
    public func contains(x: Double, y: Double, fraction: Double = 1) -> Bool {
        let r = angle * .pi / 180, c = cos(r), s = sin(r)
        let dx = x - centerX, dy = y - centerY
        // Into the box's own axes (turn back by -angle).
        let u = dx * c + dy * s, v = -dx * s + dy * c
        return abs(u) <= fraction * width / 2 && abs(v) <= fraction * height / 2
    }

    /// Distance between the two boxes' centres.
    public func centerDistance(to other: RotatedBox) -> Double {
        ((centerX - other.centerX) * (centerX - other.centerX) + (centerY - other.centerY) * (centerY - other.centerY)).squareRoot()
    }
}
