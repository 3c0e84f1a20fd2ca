// Where in an image the windows worth scanning have their centres: a convex polygon. A turned scan
// (MultiPoseDetector) scans a canvas that holds the whole turned frame; at ±45° more than half of it is
// fill, and a face whose centre maps outside the frame is dropped anyway. With the frame's outline as the
// region, the scanner walks each row only between the outline's edges (FaceDetector.detect(_:parameters:centresIn:)).
import Foundation

/// A convex polygon in image pixels (continuous coordinates: pixel (x, y) covers x..<x+1).
public struct WindowRegion: Sendable, Equatable {
    /// The corners, in order around the polygon (either way round).
    public let corners: [(x: Double, y: Double)]

    public init(corners: [(x: Double, y: Double)]) {
        precondition(corners.count >= 3, "WindowRegion: a polygon needs three corners")
        self.corners = corners
    }

    public static func == (a: WindowRegion, b: WindowRegion) -> Bool {
        a.corners.count == b.corners.count && zip(a.corners, b.corners).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }

    /// The x interval of the polygon on the horizontal line at `y` (nil when the line misses it).
    public func span(atY y: Double) -> ClosedRange<Double>? {
        var low = Double.infinity, high = -Double.infinity
        for i in corners.indices {
            let a = corners[i], b = corners[(i + 1) % corners.count]
            if a.y == b.y {
                // A horizontal edge counts where the line runs along it.
                if y == a.y { low = min(low, a.x, b.x); high = max(high, a.x, b.x) }
                continue
            }
            guard y >= min(a.y, b.y) && y <= max(a.y, b.y) else { continue }
            let x = a.x + (y - a.y) / (b.y - a.y) * (b.x - a.x)
            low = min(low, x)
            high = max(high, x)
        }
        return low <= high ? low...high : nil
    }

    /// Whether (x, y) lies inside the polygon or on its outline.
    public func contains(x: Double, y: Double) -> Bool {
        span(atY: y).map { $0.contains(x) } ?? false
    }
}
