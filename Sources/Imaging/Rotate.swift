// Turning an image in its plane: a similarity transform (rotation about the centre, then a uniform
// scale) onto a canvas just large enough to hold the whole turned image, sampled bilinearly.
// Conventions, used wherever the project speaks of angles: image coordinates are x right, y down,
// pixel (i, j) covers [i, i+1) x [j, j+1) (its centre is i + 0.5); a positive angle turns content
// clockwise as seen on screen. The same transform maps points both ways, so boxes found on the
// turned copy can be mapped back exactly.
import Foundation

/// A rotation (and uniform scale) of a `sourceWidth` x `sourceHeight` image onto a `width` x `height` canvas.
public struct ImageRotation: Sendable, Equatable {
    /// How far the content turns, clockwise on screen, in degrees.
    public let degrees: Double
    /// Canvas pixels per source pixel.
    public let scale: Double
    public let sourceWidth: Int
    public let sourceHeight: Int
    /// The canvas: the turned, scaled source's bounding box, rounded up.
    public let width: Int
    public let height: Int
    private let cosine: Double
    private let sine: Double

    public init(sourceWidth: Int, sourceHeight: Int, degrees: Double, scale: Double = 1) {
        precondition(sourceWidth > 0 && sourceHeight > 0, "ImageRotation: empty source")
        precondition(scale > 0 && scale.isFinite && degrees.isFinite, "ImageRotation: bad scale or angle")
        self.degrees = degrees
        self.scale = scale
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        let radians = degrees * .pi / 180
        cosine = cos(radians)
        sine = sin(radians)
        // 1e-9 keeps 90° turns and scale 1 from rounding a whole extra pixel up.
        let w = Double(sourceWidth), h = Double(sourceHeight)
        width = max(1, Int((scale * (abs(w * cosine) + abs(h * sine)) - 1e-9).rounded(.up)))
        height = max(1, Int((scale * (abs(w * sine) + abs(h * cosine)) - 1e-9).rounded(.up)))
    }

    /// Where a source point lands on the canvas (continuous coordinates, pixel centres at +0.5).
    public func canvasPoint(x: Double, y: Double) -> (x: Double, y: Double) {
        let dx = x - Double(sourceWidth) / 2, dy = y - Double(sourceHeight) / 2
        return (Double(width) / 2 + scale * (dx * cosine - dy * sine),
                Double(height) / 2 + scale * (dx * sine + dy * cosine))
    }

    /// Which source point a canvas point shows (the inverse of `canvasPoint`).
    public func sourcePoint(x: Double, y: Double) -> (x: Double, y: Double) {
        let dx = (x - Double(width) / 2) / scale, dy = (y - Double(height) / 2) / scale
        return (Double(sourceWidth) / 2 + dx * cosine + dy * sine,
                Double(sourceHeight) / 2 - dx * sine + dy * cosine)
    }

    /// The turned copy of `image` (which must be `sourceWidth` x `sourceHeight`); canvas pixels that show
    /// no source pixel are `fill`. Bilinear: each canvas pixel centre is mapped back and interpolated
    /// between the four nearest source pixel centres (edge pixels extend half a pixel).
    public func apply(to image: GrayImage, fill: UInt8 = 0) -> GrayImage {
        precondition(image.width == sourceWidth && image.height == sourceHeight, "ImageRotation: image size differs")
        var out = [UInt8](repeating: fill, count: width * height)
        let w = sourceWidth, h = sourceHeight
        // Per canvas step in x, the source point moves by (cos, -sin)/scale; per step in y by (sin, cos)/scale.
        let ux = cosine / scale, vx = -sine / scale, uy = sine / scale, vy = cosine / scale
        let origin = sourcePoint(x: 0.5, y: 0.5)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { canvas in
                let src = source.baseAddress!, dst = canvas.baseAddress!
                for j in 0..<height {
                    // Source coordinates in pixel-centre units (centre of pixel 0 at 0).
                    var sx = origin.x + Double(j) * uy - 0.5
                    var sy = origin.y + Double(j) * vy - 0.5
                    let row = dst + j * width
                    for i in 0..<width {
                        if sx >= -0.5 && sy >= -0.5 && sx <= Double(w) - 0.5 && sy <= Double(h) - 0.5 {
                            let cx = min(max(sx, 0), Double(w - 1)), cy = min(max(sy, 0), Double(h - 1))
                            let x0 = Int(cx), y0 = Int(cy)
                            let x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                            let fx = cx - Double(x0), fy = cy - Double(y0)
                            let top = Double(src[y0 * w + x0]) * (1 - fx) + Double(src[y0 * w + x1]) * fx
                            let bottom = Double(src[y1 * w + x0]) * (1 - fx) + Double(src[y1 * w + x1]) * fx
                            row[i] = UInt8((top * (1 - fy) + bottom * fy).rounded())
                        }
                        sx += ux
                        sy += vx
                    }
                }
            }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}

extension GrayImage {
    /// The mean pixel value (0 for an empty image).
    public var meanValue: UInt8 {
        guard !pixels.isEmpty else { return 0 }
        var total = 0
        for p in pixels { total += Int(p) }
        return UInt8((Double(total) / Double(pixels.count)).rounded())
    }

    /// This image turned `degrees` clockwise (on screen) about its centre, onto a canvas that holds all of it.
    public func rotated(degrees: Double, scale: Double = 1, fill: UInt8 = 0) -> GrayImage {
        ImageRotation(sourceWidth: width, sourceHeight: height, degrees: degrees, scale: scale).apply(to: self, fill: fill)
    }
}

extension GrayImage {
    /// This image flipped left to right.
    public func mirrored() -> GrayImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
            let row = y * width
            for x in 0..<width { out[row + x] = pixels[row + width - 1 - x] }
        }
        return GrayImage(width: width, height: height, pixels: out)
    }
}

extension GrayImage {
    /// The upright `width` x `height` patch under a box centred at (`centerX`, `centerY`) and turned `degrees`
    /// clockwise: what the box holds, turned back so its top is up (bilinear, one sample per patch pixel;
    /// outside the image: `fill`). A face found at an angle comes out standing upright.
    public func uprightPatch(centerX: Double, centerY: Double, width patchWidth: Int, height patchHeight: Int,
                             degrees: Double, fill: UInt8 = 0) -> GrayImage {
        precondition(patchWidth > 0 && patchHeight > 0, "uprightPatch: empty patch")
        guard width > 0 && height > 0 else { return GrayImage(width: patchWidth, height: patchHeight) }
        let r = degrees * .pi / 180, c = cos(r), s = sin(r)
        var out = [UInt8](repeating: fill, count: patchWidth * patchHeight)
        let w = width, h = height
        pixels.withUnsafeBufferPointer { source in
            let src = source.baseAddress!
            for j in 0..<patchHeight {
                for i in 0..<patchWidth {
                    // Patch pixel centre relative to the box centre, turned by the box's angle into the image.
                    let u = Double(i) + 0.5 - Double(patchWidth) / 2, v = Double(j) + 0.5 - Double(patchHeight) / 2
                    let x = centerX + u * c - v * s - 0.5, y = centerY + u * s + v * c - 0.5
                    guard x >= -0.5 && y >= -0.5 && x <= Double(w) - 0.5 && y <= Double(h) - 0.5 else { continue }
                    let cx = min(max(x, 0), Double(w - 1)), cy = min(max(y, 0), Double(h - 1))
                    let x0 = Int(cx), y0 = Int(cy), x1 = min(x0 + 1, w - 1), y1 = min(y0 + 1, h - 1)
                    let fx = cx - Double(x0), fy = cy - Double(y0)
                    let top = Double(src[y0 * w + x0]) * (1 - fx) + Double(src[y0 * w + x1]) * fx
                    let bottom = Double(src[y1 * w + x0]) * (1 - fx) + Double(src[y1 * w + x1]) * fx
                    out[j * patchWidth + i] = UInt8((top * (1 - fy) + bottom * fy).rounded())
                }
            }
        }
        return GrayImage(width: patchWidth, height: patchHeight, pixels: out)
    }
}
