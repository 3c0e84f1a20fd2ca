// The image pyramid exactly as OpenCV 4.x builds it (cascadedetect.cpp, detectMultiScaleNoGrouping
// and FeatureEvaluator::updateScaleData): scale factors 1, f, f², ... in double, kept while the
// scaled window fits the image, stored as float; filtered by min/max size using the float scale;
// each level is the image resized to round(size / scale) computed in float, scanned with a step of
// 2 px below scale 2 and 1 px from 2 on. cvRound is round-half-to-even; so is everything here.

/// One level of the pyramid.
struct PyramidLevel: Equatable {
    /// The scale as OpenCV stores it (float).
    var scale: Float
    /// Size of the resized image.
    var width: Int
    var height: Int
    /// Window step in resized pixels (2 below scale 2, else 1).
    var step: Int
    /// Number of window positions in x and y before stepping: (size + 1) - window.
    var positionsX: Int
    var positionsY: Int
    /// The window size in original image pixels.
    var windowWidth: Int
    var windowHeight: Int

    /// The rectangle in original image pixels of the window at (x, y) on this level.
    func box(x: Int, y: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        (roundEven(Float(x) * scale), roundEven(Float(y) * scale), windowWidth, windowHeight)
    }
}

@inline(__always) func roundEven(_ v: Float) -> Int { Int(v.rounded(.toNearestOrEven)) }
@inline(__always) func roundEven(_ v: Double) -> Int { Int(v.rounded(.toNearestOrEven)) }

enum PyramidSchedule {
    /// The levels OpenCV scans for an image of the given size.
    static func levels(imageWidth: Int, imageHeight: Int, windowWidth: Int, windowHeight: Int,
                       parameters: DetectionParameters) -> [PyramidLevel] {
        precondition(parameters.scaleFactor > 1, "scaleFactor must be > 1")
        guard imageWidth >= windowWidth && imageHeight >= windowHeight else { return [] }
        var maxSize = parameters.maxSize
        if maxSize.width == 0 || maxSize.height == 0 { maxSize = PixelSize(width: imageWidth, height: imageHeight) }
        let minSize = parameters.minSize

        var all: [Float] = []
        var factor = 1.0
        while true {
            let w = roundEven(Double(windowWidth) * factor), h = roundEven(Double(windowHeight) * factor)
            if w > imageWidth || h > imageHeight { break }
            all.append(Float(factor))
            factor *= parameters.scaleFactor
        }
        var scales: [Float] = []
        for s in all {
            let w = roundEven(Float(windowWidth) * s), h = roundEven(Float(windowHeight) * s)
            if w > maxSize.width || h > maxSize.height { break }
            if w < minSize.width || h < minSize.height { continue }
            scales.append(s)
        }
        // OpenCV: with minSize == maxSize matching no scale exactly, scan the single closest scale.
        if scales.isEmpty && !all.isEmpty && parameters.minSize == parameters.maxSize && minSize != .zero {
            var best = 0, bestDistance = Float.infinity
            for (i, s) in all.enumerated() {
                let dw = Float(minSize.width - roundEven(Float(windowWidth) * s))
                let dh = Float(minSize.height - roundEven(Float(windowHeight) * s))
                let d = dw * dw + dh * dh
                if d < bestDistance { bestDistance = d; best = i }
            }
            scales = [all[best]]
        }
        return scales.map { s in
            let w = roundEven(Float(imageWidth) / s), h = roundEven(Float(imageHeight) / s)
            return PyramidLevel(scale: s, width: w, height: h, step: s >= 2 ? 1 : 2,
                                positionsX: max(w + 1 - windowWidth, 0), positionsY: max(h + 1 - windowHeight, 0),
                                windowWidth: roundEven(Float(windowWidth) * s),
                                windowHeight: roundEven(Float(windowHeight) * s))
        }
    }
}
