// `EmoNetBench detector`: our face detector against OpenCV on the ../shared/media photos scaled to
// 640x480, at (1.1, 5, 30) and (1.2, 5, 60), one thread then two. OpenCV's side is timed first by
// scripts/bench_opencv_detector.py (same run of `make bench-detector`), whose JSON holds its
// medians, boxes and a checksum of each resized image; here we resize the same way (bit-exact
// INTER_LINEAR_EXACT), check the checksum, time ours (median of N after 2 warm-ups), check the
// boxes are identical, print a table and write bench-results/detector.json.
import FaceDetection
import Foundation
import ImageIO
import Imaging

private struct OpenCVBenchFile: Decodable {
    struct Result: Decodable {
        var image: String
        var scaleFactor: Double
        var minNeighbors: Int
        var minSize: Int
        var threads: Int
        var medianMs: Double
        var grayChecksum: Int
        var boxes: [[Int]]
    }
    var opencv: String
    var width: Int
    var height: Int
    var results: [Result]
}

private struct DetectorBenchRow: Encodable {
    var image: String
    var scaleFactor: Double
    var minNeighbors: Int
    var minSize: Int
    var threads: Int
    var oursMs: Double
    var opencvMs: Double
    var ratio: Double
    var faces: Int
    var identicalBoxes: Bool
}

private struct DetectorBenchReport: Encodable {
    var format = "emonet-detector-bench"
    var version = 1
    var opencv: String
    var width: Int
    var height: Int
    var repeats: Int
    var rows: [DetectorBenchRow]
    /// Per thread count: median over rows of ours/OpenCV, and total ours / total OpenCV.
    var summary: [String: [String: Double]]
    var allBoxesIdentical: Bool
}

private enum DetectorBenchError: Error, CustomStringConvertible {
    case usage(String)
    var description: String { if case let .usage(m) = self { return m }; return "" }
}

private func detectorBenchMedian(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func runDetectorBench(_ arguments: [String]) throws {
    var media = "../shared/media", opencvPath = "bench-results/detector_opencv.json"
    var out = "bench-results/detector.json", repeats = 15
    var cascadePath: String?
    var k = 0
    while k < arguments.count {
        let option = arguments[k]
        guard k + 1 < arguments.count else { throw DetectorBenchError.usage("\(option) needs a value") }
        let value = arguments[k + 1]
        switch option {
        case "--media": media = value
        case "--opencv": opencvPath = value
        case "--out": out = value
        case "--cascade": cascadePath = value
        case "--repeats":
            guard let n = Int(value), n > 0 else { throw DetectorBenchError.usage("--repeats needs a positive integer") }
            repeats = n
        default: throw DetectorBenchError.usage("unknown option \(option) (options: --media --opencv --out --cascade --repeats)")
        }
        k += 2
    }
    guard let data = FileManager.default.contents(atPath: opencvPath) else {
        throw DetectorBenchError.usage("\(opencvPath) not found: run scripts/bench_opencv_detector.py first (make bench-detector does)")
    }
    let reference = try JSONDecoder().decode(OpenCVBenchFile.self, from: data)
    let detector = FaceDetector(cascade: try CascadeLocator.load(path: cascadePath))

    var rows: [DetectorBenchRow] = []
    var images: [String: GrayImage] = [:]
    print("image                     params          threads   ours ms  OpenCV ms  ratio  faces  boxes")
    for ref in reference.results {
        if images[ref.image] == nil {
            images[ref.image] = try ImageFile.readGray(path: "\(media)/\(ref.image)")
                .resizedBilinear(width: reference.width, height: reference.height)
        }
        let gray = images[ref.image]!
        var checksum = 0
        for (i, v) in gray.pixels.enumerated() { checksum += (i % 65521 + 1) * Int(v) }
        guard checksum == ref.grayChecksum else {
            throw DetectorBenchError.usage("\(ref.image): our 640x480 gray image differs from OpenCV's; timings would not compare")
        }
        let parameters = DetectionParameters(scaleFactor: ref.scaleFactor, minNeighbors: ref.minNeighbors,
                                             minSize: PixelSize(ref.minSize), threads: ref.threads)
        var faces: [Detection] = []
        for _ in 0..<2 { faces = detector.detect(gray, parameters: parameters) }
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            faces = detector.detect(gray, parameters: parameters)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        let ours = detectorBenchMedian(times)
        // As sets: with two threads OpenCV's raw windows (hence its groups) come in varying order.
        let ourBoxes = faces.map { [$0.box.x, $0.box.y, $0.box.width, $0.box.height, $0.neighbors] }
        let identical = ourBoxes.sorted { $0.lexicographicallyPrecedes($1) } == ref.boxes.sorted { $0.lexicographicallyPrecedes($1) }
        let row = DetectorBenchRow(image: ref.image, scaleFactor: ref.scaleFactor, minNeighbors: ref.minNeighbors,
                                   minSize: ref.minSize, threads: ref.threads, oursMs: ours, opencvMs: ref.medianMs,
                                   ratio: ours / ref.medianMs, faces: faces.count, identicalBoxes: identical)
        rows.append(row)
        let params = "(\(ref.scaleFactor), \(ref.minNeighbors), \(ref.minSize))"
        print(ref.image.padding(toLength: 26, withPad: " ", startingAt: 0) + params.padding(toLength: 16, withPad: " ", startingAt: 0)
              + String(format: "%7d  %8.1f  %9.1f  %5.2f  %5d  %@", ref.threads, ours, ref.medianMs, row.ratio, faces.count,
                       identical ? "same" : "DIFFERENT"))
    }
    var summary: [String: [String: Double]] = [:]
    for threads in Set(rows.map(\.threads)).sorted() {
        let r = rows.filter { $0.threads == threads }
        let total = r.map(\.oursMs).reduce(0, +) / r.map(\.opencvMs).reduce(0, +)
        summary["threads\(threads)"] = ["medianRatio": detectorBenchMedian(r.map(\.ratio)), "totalRatio": total,
                                        "oursTotalMs": r.map(\.oursMs).reduce(0, +), "opencvTotalMs": r.map(\.opencvMs).reduce(0, +)]
        print(String(format: "threads %d: median ratio ours/OpenCV %.2f, total %.1f ms vs %.1f ms (ratio %.2f)",
                     threads, summary["threads\(threads)"]!["medianRatio"]!, summary["threads\(threads)"]!["oursTotalMs"]!,
                     summary["threads\(threads)"]!["opencvTotalMs"]!, total))
    }
    if let one = summary["threads1"], let two = summary["threads2"] {
        print(String(format: "two-thread speed-up: ours %.2fx, OpenCV %.2fx", one["oursTotalMs"]! / two["oursTotalMs"]!,
                     one["opencvTotalMs"]! / two["opencvTotalMs"]!))
    }
    let allSame = rows.allSatisfy(\.identicalBoxes)
    print(allSame ? "boxes: identical to OpenCV's in every case" : "boxes: DIFFERENT from OpenCV's in some cases")
    let report = DetectorBenchReport(opencv: reference.opencv, width: reference.width, height: reference.height,
                                     repeats: repeats, rows: rows, summary: summary, allBoxesIdentical: allSame)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: out).deletingLastPathComponent().path,
                                            withIntermediateDirectories: true)
    try encoder.encode(report).write(to: URL(fileURLWithPath: out))
    print("wrote \(out)")
}
