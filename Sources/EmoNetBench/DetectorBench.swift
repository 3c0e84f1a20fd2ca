// `EmoNetBench detector`: our face detector against OpenCV on the ../shared/media photos scaled to
// 640x480, at (1.1, 5, 30) and (1.2, 5, 60), one thread then two. OpenCV's side runs in
// scripts/bench_opencv_detector.py --serve, started once; each case is timed in the order OpenCV,
// ours, ours, OpenCV (N runs each, after 2 warm-ups), so both sides see the same machine within
// seconds and a linear drift in its speed cancels; each side's time is the median of its 2N runs.
// We resize the same way (bit-exact INTER_LINEAR_EXACT) and check OpenCV's checksum of the image,
// check the boxes are identical, print a table and write bench-results/detector.json.
import FaceDetection
import Foundation
import ImageIO
import Imaging

/// scripts/bench_opencv_detector.py --serve, answering one timing request at a time.
final class OpenCVServer {
    struct Answer: Decodable {
        var times_ms: [Double]
        var gray_checksum: Int
        var boxes: [[Int]]
    }
    private(set) var version = ""
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()

    init(python: String) throws {
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["scripts/bench_opencv_detector.py", "--serve"]
        process.standardInput = input
        process.standardOutput = output
        do { try process.run() } catch {
            throw BenchError("cannot start \(python) (make bench-detector creates the venv): \(error)")
        }
        let hello = try readLine()
        guard let object = try? JSONSerialization.jsonObject(with: Data(hello.utf8)) as? [String: Any],
              let v = object["opencv"] as? String else {
            throw BenchError("scripts/bench_opencv_detector.py did not start: \(hello)")
        }
        version = v
    }

    func time(photo: String, parameters p: DetectionParameters, minSize: Int, repeats: Int) throws -> Answer {
        let request = "\(photo) \(p.scaleFactor) \(p.minNeighbors) \(minSize) \(p.threads) \(repeats)\n"
        input.fileHandleForWriting.write(Data(request.utf8))
        let line = try readLine()
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(line.utf8)) else {
            throw BenchError("OpenCV side failed on \(photo): \(line)")
        }
        return answer
    }

    /// One case timed in the order OpenCV, ours, OpenCV (`ours` times our side in between), after checking
    /// that OpenCV's copy of the photo at `path` has the pixels of `gray`, ours: the times of both OpenCV
    /// halves (ms) and OpenCV's boxes.
    func timeAround(_ ours: () -> Void, photo path: String, gray: GrayImage, parameters: DetectionParameters,
                    minSize: Int, repeats: Int) throws -> (times: [Double], boxes: [[Int]]) {
        let first = try time(photo: path, parameters: parameters, minSize: minSize, repeats: repeats)
        guard first.gray_checksum == Self.checksum(gray) else {
            throw BenchError("\((path as NSString).lastPathComponent): our \(gray.width)x\(gray.height) gray image differs from OpenCV's; timings would not compare")
        }
        ours()
        let second = try time(photo: path, parameters: parameters, minSize: minSize, repeats: repeats)
        return (first.times_ms + second.times_ms, first.boxes)
    }

    /// The checksum scripts/bench_opencv_detector.py computes of the gray image it scans.
    static func checksum(_ gray: GrayImage) -> Int {
        var sum = 0
        for (i, v) in gray.pixels.enumerated() { sum += (i % 65521 + 1) * Int(v) }
        return sum
    }

    private func readLine() throws -> String {
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                buffer = Data(buffer[(newline + 1)...])
                return line
            }
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { throw BenchError("the OpenCV side exited early") }
            buffer.append(chunk)
        }
    }

    func close() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
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

private struct DetectorBenchReport: BenchReport {
    static let format = "emonet-detector-bench"
    var opencv: String
    var width: Int
    var height: Int
    var repeats: Int
    var rows: [DetectorBenchRow]
    /// Per thread count: median over rows of ours/OpenCV, and total ours / total OpenCV.
    var summary: [String: [String: Double]]
    var allBoxesIdentical: Bool
}

func runDetectorBench(_ arguments: [String]) throws {
    var media = "../shared/media", python = ".venv/bin/python"
    var out = "bench-results/detector.json", repeats = 9
    var cascadePath: String?
    try BenchArguments.read(arguments, [
        "--media": .text { media = $0 }, "--python": .text { python = $0 }, "--out": .text { out = $0 },
        "--cascade": .text { cascadePath = $0 }, "--repeats": .number(in: 1...10_000) { repeats = $0 },
    ])
    try BenchResults.checkReplaceable(out, format: DetectorBenchReport.format)
    let photos = try listPhotos(in: media)
    let server = try OpenCVServer(python: python)
    defer { server.close() }
    let detector = FaceDetector(cascade: try CascadeLocator.load(path: cascadePath))
    let (width, height) = (640, 480)

    func timeOurs(_ gray: GrayImage, _ parameters: DetectionParameters) -> (times: [Double], faces: [Detection]) {
        var faces: [Detection] = []
        let times = timedRuns(repeats: repeats, warmup: 2) { faces = detector.detect(gray, parameters: parameters) }
        return (times.map { $0 * 1000 }, faces)
    }

    var rows: [DetectorBenchRow] = []
    print("OpenCV \(server.version); each side: median of \(2 * repeats) runs, timed in the order OpenCV, ours, ours, OpenCV")
    print("image                     params          threads   ours ms  OpenCV ms  ratio  faces  boxes")
    for photo in photos {
        let path = "\(media)/\(photo)"
        let gray = try ImageFile.readGray(path: path).resizedBilinear(width: width, height: height)
        for (scaleFactor, minNeighbors, minSize) in [(1.1, 5, 30), (1.2, 5, 60)] {
            for threads in [1, 2] {
                let parameters = DetectionParameters(scaleFactor: scaleFactor, minNeighbors: minNeighbors,
                                                     minSize: PixelSize(minSize), threads: threads)
                var a: (times: [Double], faces: [Detection]) = ([], []), b = a
                let opencv = try server.timeAround({ a = timeOurs(gray, parameters); b = timeOurs(gray, parameters) },
                                                   photo: path, gray: gray, parameters: parameters, minSize: minSize, repeats: repeats)
                let ours = median(a.times + b.times), theirs = median(opencv.times)
                // As sets: with two threads OpenCV's raw windows (hence its groups) come in varying order.
                let ourBoxes = a.faces.map { [$0.box.x, $0.box.y, $0.box.width, $0.box.height, $0.neighbors] }
                let identical = ourBoxes.sorted { $0.lexicographicallyPrecedes($1) } == opencv.boxes.sorted { $0.lexicographicallyPrecedes($1) }
                let row = DetectorBenchRow(image: photo, scaleFactor: scaleFactor, minNeighbors: minNeighbors,
                                           minSize: minSize, threads: threads, oursMs: ours, opencvMs: theirs,
                                           ratio: ours / theirs, faces: a.faces.count, identicalBoxes: identical)
                rows.append(row)
                let params = "(\(scaleFactor), \(minNeighbors), \(minSize))"
                print(photo.padding(toLength: 26, withPad: " ", startingAt: 0) + params.padding(toLength: 16, withPad: " ", startingAt: 0)
                      + String(format: "%7d  %8.1f  %9.1f  %5.2f  %5d  %@", threads, ours, theirs, row.ratio, a.faces.count,
                               identical ? "same" : "DIFFERENT"))
            }
        }
    }
    var summary: [String: [String: Double]] = [:]
    for threads in Set(rows.map(\.threads)).sorted() {
        let r = rows.filter { $0.threads == threads }
        let total = r.map(\.oursMs).reduce(0, +) / r.map(\.opencvMs).reduce(0, +)
        summary["threads\(threads)"] = ["medianRatio": median(r.map(\.ratio)), "totalRatio": total,
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
    let report = DetectorBenchReport(opencv: server.version, width: width, height: height,
                                     repeats: 2 * repeats, rows: rows, summary: summary, allBoxesIdentical: allSame)
    try BenchResults.write(report: report, to: out)
    print("wrote \(out)")
}
