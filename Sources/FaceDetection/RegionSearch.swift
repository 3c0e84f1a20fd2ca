// Region-of-interest detection for the live path: between full detections, search only a margin
// around each previously found face, at scales near its size. Each region is cropped and scanned
// with the ordinary detector restricted to min/max window sizes around the old box, so its pyramid
// uses the same scale sequence as a full scan. Results are close to, not identical with, a full
// scan (the crop's resampling grid differs); faces that moved outside the margin are not found.
import Imaging

extension FaceDetector {
    /// Detects objects only near `previous` boxes: each box grown by `margin` (a fraction of its
    /// size on every side), windows between size/`sizeRange` and size·`sizeRange`. Overlapping
    /// results from neighbouring regions are merged (IoU > 0.5 keeps the one with more neighbours).
    public func detect(in image: GrayImage, around previous: [Rect],
                       parameters: DetectionParameters = DetectionParameters(),
                       margin: Double = 0.5, sizeRange: Double = 1.3) -> [Detection] {
        var found: [Detection] = []
        for box in previous where box.width > 0 && box.height > 0 {
            let mx = Int((Double(box.width) * margin).rounded(.up)), my = Int((Double(box.height) * margin).rounded(.up))
            let region = Rect(x: box.x - mx, y: box.y - my, width: box.width + 2 * mx, height: box.height + 2 * my)
                .clamped(width: image.width, height: image.height)
            guard region.width >= cascade.windowWidth && region.height >= cascade.windowHeight else { continue }
            var p = parameters
            let low = Int((Double(box.width) / sizeRange).rounded(.down))
            let high = Int((Double(box.width) * sizeRange).rounded(.up))
            p.minSize = PixelSize(width: max(parameters.minSize.width, low), height: max(parameters.minSize.height, low))
            p.maxSize = PixelSize(high)
            if parameters.maxSize != .zero {
                p.maxSize = PixelSize(width: min(high, parameters.maxSize.width), height: min(high, parameters.maxSize.height))
            }
            p.threads = 1
            let crop = image.cropped(to: region)
            for d in detect(crop, parameters: p) {
                var moved = d
                moved.box.x += region.x
                moved.box.y += region.y
                if let i = found.firstIndex(where: { $0.box.iou(moved.box) > 0.5 }) {
                    if moved.neighbors > found[i].neighbors { found[i] = moved }
                } else {
                    found.append(moved)
                }
            }
        }
        return found
    }
}
