// Cropping to a rectangle clamped to the image, for gray and RGB buffers.
// A rectangle entirely outside the image yields an empty (0x0) image rather than trapping.

extension Rect {
    /// This rectangle clipped to an image of the given size (may be empty).
    public func clamped(width: Int, height: Int) -> Rect {
        intersection(Rect(x: 0, y: 0, width: width, height: height))
    }
}

extension GrayImage {
    /// The pixels inside `rect`, clamped to the image bounds.
    public func cropped(to rect: Rect) -> GrayImage {
        let r = rect.clamped(width: width, height: height)
        guard r.width > 0 && r.height > 0 else { return GrayImage(width: 0, height: 0) }
        var out = [UInt8](repeating: 0, count: r.width * r.height)
        for y in 0..<r.height {
            let s = (r.y + y) * width + r.x
            out[(y * r.width)..<((y + 1) * r.width)] = pixels[s..<(s + r.width)]
        }
        return GrayImage(width: r.width, height: r.height, pixels: out)
    }
}

extension RGBImage {
    /// The pixels inside `rect`, clamped to the image bounds.
    public func cropped(to rect: Rect) -> RGBImage {
        let r = rect.clamped(width: width, height: height)
        guard r.width > 0 && r.height > 0 else { return RGBImage(width: 0, height: 0) }
        var out = [UInt8](repeating: 0, count: r.width * r.height * 3)
        for y in 0..<r.height {
            let s = ((r.y + y) * width + r.x) * 3
            out[(y * r.width * 3)..<((y + 1) * r.width * 3)] = pixels[s..<(s + r.width * 3)]
        }
        return RGBImage(width: r.width, height: r.height, pixels: out)
    }
}
