// One feature and one stage worked out by hand on a 4x4 window, the variance normalisation that
// OpenCV applies per window, and the 32-bit wrapping integral planes on a 4K white frame.
@testable import FaceDetection
import Imaging
import XCTest

/// A one-stage Haar cascade XML with a 4x4 window; `stumps` are (rects, threshold, left, right).
func tinyCascadeXML(stageThreshold: Double, stumps: [(rects: [String], threshold: Double, left: Double, right: Double)]) -> String {
    var weak = "", features = ""
    for (i, s) in stumps.enumerated() {
        weak += "<_><internalNodes>0 -1 \(i) \(s.threshold)</internalNodes><leafValues>\(s.left) \(s.right)</leafValues></_>\n"
        features += "<_><rects>" + s.rects.map { "<_>\($0)</_>" }.joined() + "</rects><tilted>0</tilted></_>\n"
    }
    return """
    <?xml version="1.0"?>
    <opencv_storage>
    <cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
      <featureType>HAAR</featureType><height>4</height><width>4</width>
      <stageParams><maxWeakCount>\(stumps.count)</maxWeakCount></stageParams>
      <featureParams><maxCatCount>0</maxCatCount></featureParams>
      <stageNum>1</stageNum>
      <stages><_><maxWeakCount>\(stumps.count)</maxWeakCount><stageThreshold>\(stageThreshold)</stageThreshold>
        <weakClassifiers>\(weak)</weakClassifiers></_></stages>
      <features>\(features)</features>
    </cascade>
    </opencv_storage>
    """
}

final class CascadeEvaluationTests: XCTestCase {
    // The window's inner 2x2 rectangle (1,1)-(2,2) holds 0, 0, 100, 100: sum 200, squares 20000,
    // so nf = 4·20000 - 200² = 40000, σ-factor = 1/√nf = 1/200, and area·factor = 0.02 < 0.1.
    let image = GrayImage(width: 4, height: 4, pixels: [10, 20, 30, 40,
                                                        0, 0, 0, 0,
                                                        0, 100, 100, 0,
                                                        1, 2, 3, 4])
    // Feature A = -1·(rows 0-1) + 2·(row 0) = -100 + 200 = 100 → normalised 0.5.
    let featureA = ["0 0 4 2 -1.", "0 0 4 1 2."]
    // Feature B = -1·(rows 2-3) + 2·(left half of rows 2-3) = -210 + 2·103 = -4 → normalised -0.02.
    let featureB = ["0 2 4 2 -1.", "0 2 2 2 2."]

    func evaluate(_ xml: String) throws -> Int {
        let cascade = try HaarCascade(xml: xml)
        let planes = IntegralPlanes(maxWidth: 4, maxHeight: 4, tilted: false)
        planes.load(image, width: 4, height: 4)
        let scanner = CascadeScanner(cascade: FlatCascade(cascade, stride: planes.stride, planeSize: planes.planeSize))
        return planes.planes.withUnsafeBufferPointer { scanner.evaluate($0.baseAddress!) }
    }

    func testVarianceNormalisationFactor() throws {
        let cascade = try HaarCascade(xml: tinyCascadeXML(stageThreshold: 0, stumps: [(featureA, 0.4, -1, 1)]))
        let planes = IntegralPlanes(maxWidth: 4, maxHeight: 4, tilted: false)
        planes.load(image, width: 4, height: 4)
        let scanner = CascadeScanner(cascade: FlatCascade(cascade, stride: planes.stride, planeSize: planes.planeSize))
        let factor = planes.planes.withUnsafeBufferPointer { scanner.varianceNormFactor($0.baseAddress!) }
        XCTAssertEqual(factor, Float(1.0 / 200.0))
        // A flat window has no variance: OpenCV's setWindow refuses it.
        planes.load(GrayImage(width: 4, height: 4, pixels: [UInt8](repeating: 9, count: 16)), width: 4, height: 4)
        XCTAssertNil(planes.planes.withUnsafeBufferPointer { scanner.varianceNormFactor($0.baseAddress!) })
    }

    func testOneFeatureByHand() throws {
        // value 0.5 >= threshold 0.4 → right leaf (+1) → stage sum 1 passes threshold 0.5.
        XCTAssertEqual(try evaluate(tinyCascadeXML(stageThreshold: 0.5, stumps: [(featureA, 0.4, -1, 1)])), 1)
        // threshold 0.6 → left leaf (-1) → rejected at stage 0.
        XCTAssertEqual(try evaluate(tinyCascadeXML(stageThreshold: 0.5, stumps: [(featureA, 0.6, -1, 1)])), 0)
    }

    func testOneStageByHand() throws {
        // A: 0.5 >= 0.4 → +1.0; B: -0.02 < 0 → left 0.3. Stage sum 1.3.
        let stumps: [(rects: [String], threshold: Double, left: Double, right: Double)] =
            [(featureA, 0.4, -1, 1), (featureB, 0, 0.3, -0.7)]
        XCTAssertEqual(try evaluate(tinyCascadeXML(stageThreshold: 1.25, stumps: stumps)), 1)
        XCTAssertEqual(try evaluate(tinyCascadeXML(stageThreshold: 1.35, stumps: stumps)), 0)
        // OpenCV subtracts 1e-5 from the stage threshold: a sum equal to the threshold passes.
        XCTAssertEqual(try evaluate(tinyCascadeXML(stageThreshold: 1.3, stumps: stumps)), 1)
    }

    func testWrappingPlanesOnA4KWhiteFrameGiveExactWindowSums() {
        let w = 3840, h = 2160
        let white = GrayImage(width: w, height: h, pixels: [UInt8](repeating: 255, count: w * h))
        let planes = IntegralPlanes(maxWidth: w, maxHeight: h, tilted: false)
        planes.load(white, width: w, height: h)
        // The bottom-right 24x24 window: corners hold totals far beyond 2^32 (squares ~2^41).
        let x = w - 24, y = h - 24, s = planes.stride
        let a = y * s + x, b = a + 24, c = (y + 24) * s + x, d = c + 24
        let q = planes.planeSize
        let sum = planes.planes[a] &- planes.planes[b] &- planes.planes[c] &+ planes.planes[d]
        let squares = planes.planes[q + a] &- planes.planes[q + b] &- planes.planes[q + c] &+ planes.planes[q + d]
        XCTAssertEqual(sum, 255 * 576)
        XCTAssertEqual(squares, 255 * 255 * 576)
        XCTAssertEqual(Int64(planes.planes[q + h * s + w]), (255 * 255 * Int64(w * h)) & 0xFFFF_FFFF, "the total wrapped")
    }

    func testA4KWhiteFrameHasNoFacesAndDoesNotCrash() throws {
        let w = 3840, h = 2160
        let white = GrayImage(width: w, height: h, pixels: [UInt8](repeating: 255, count: w * h))
        let detector = try frontalFaceDetector()
        // Large windows only, to keep the debug-build test quick; every window is flat (σ = 0).
        let p = DetectionParameters(scaleFactor: 1.5, minNeighbors: 0, minSize: PixelSize(400), threads: 2)
        XCTAssertEqual(detector.detect(white, parameters: p), [])
    }
}
