// `emonet detect`: find faces in still images with an OpenCV cascade, print them (text or JSON)
// and optionally write annotated PNGs. Defaults are OpenCV detectMultiScale's (not the live path's, which
// `classify` uses): this command is the cascade as OpenCV runs it, box for box.
import ArgumentParser
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect", abstract: "Find faces in images with an OpenCV Haar/LBP cascade.")

    @OptionGroup(title: "Detector (OpenCV's detectMultiScale defaults here, for parity with OpenCV)")
    var detector: DetectorOptions

    @Option(help: "Largest face side in pixels, 0 to 65536; 0 = the image (OpenCV's default).")
    var maxSize: Int = 0

    @Option(help: "Worker threads, 1 to 64 (results do not depend on it).")
    var threads: Int = 1

    @Flag(help: "Print JSON: [{image, width, height, faces: [{x, y, width, height, neighbors}]}] (multi adds angle, pose).")
    var json = false

    @OptionGroup var imageOptions: ImageOptions
    var images: [String] { imageOptions.images }

    /// OpenCV's detectMultiScale defaults (DetectionParameters' own), with the options given.
    var parameters: DetectionParameters {
        var p = detector.parameters(over: DetectionParameters())
        p.maxSize = PixelSize(maxSize)
        p.threads = threads
        return p
    }

    func validate() throws {
        try checkRange(maxSize, 0...65536, option: "--max-size")
        guard maxSize == 0 || maxSize >= (detector.minSize ?? 0) else { throw ValidationError("--max-size must be at least --min-size") }
        try checkRange(threads, 1...64, option: "--threads")
    }

    func run() throws {
        try CLIErrors.reporting {
            let verifierPath = detector.verifierPath(default: false)
            let annotated = try imageOptions.annotatedPaths(otherInputs: [CascadeLocator.resolve(detector.cascade),
                                                                          detector.profileCascadePath(default: .frontal), verifierPath])
            let detector = FaceDetector(cascade: try CascadeLocator.load(path: self.detector.cascade))
            let parameters = self.parameters
            let search = try self.detector.multiPoseSearch(frontal: detector, default: .frontal)
            let verifier = try verifierPath.map { try FaceVerifier.read(path: $0) }
            var reports: [ImageReport] = []
            for (k, path) in images.enumerated() {
                let rgb = try ImageFile.read(path: path)
                let (faces, draw) = find(in: GrayImage(rgb: rgb), frontal: detector, search: search, verifier: verifier,
                                         parameters: parameters)
                reports.append(ImageReport(image: path, width: rgb.width, height: rgb.height, faces: faces))
                if !json {
                    print(ImageConsole.heading(path: path, image: rgb, faces: faces.count))
                    for face in faces { print(face.textLine) }
                }
                if let annotated {
                    var out = rgb
                    draw(&out, max(2, min(rgb.width, rgb.height) / 200))
                    try ImageFile.writePNG(out, path: annotated[k])
                }
            }
            if json {
                try ImageConsole.printJSON(reports)
            }
        }
    }

    /// The faces of one image as reported, and how to draw them (green, at a thickness): upright boxes
    /// from the OpenCV-exact scan, or turned boxes with their angle and pose with `--poses multi`; with
    /// `--verify`, only the boxes the face verifier accepts.
    private func find(in gray: GrayImage, frontal: FaceDetector, search: MultiPoseDetector?, verifier: FaceVerifier?,
                      parameters: DetectionParameters) -> ([FaceReport], (inout RGBImage, Int) -> Void) {
        if let search {
            var found = search.detect(gray, parameters: MultiPoseParameters(frontal: parameters))
            if let verifier {
                let boxes = found.map(FaceReport.init).map { Rect(x: $0.x, y: $0.y, width: $0.width, height: $0.height) }
                let keep = verifier.accepts(gray, boxes: boxes, angles: found.map(\.angle))
                found = zip(found, keep).filter(\.1).map(\.0)
            }
            return (found.map(FaceReport.init), { image, thickness in
                for face in found { image.strokePolygon(face.box.corners, color: .green, thickness: thickness) }
            })
        }
        var found = frontal.detect(gray, parameters: parameters)
        if let verifier {
            let keep = verifier.accepts(gray, boxes: found.map(\.box), angles: found.map { _ in 0 })
            found = zip(found, keep).filter(\.1).map(\.0)
        }
        return (found.map(FaceReport.init), { image, thickness in
            for face in found { image.strokeRectangle(face.box, color: .green, thickness: thickness) }
        })
    }
}

private struct FaceReport: Encodable {
    var x: Int, y: Int, width: Int, height: Int, neighbors: Int
    /// Only with --poses multi: degrees clockwise, and frontal/left/right.
    var angle: Double?, pose: String?
    init(_ d: Detection) {
        x = d.box.x; y = d.box.y; width = d.box.width; height = d.box.height; neighbors = d.neighbors
    }
    /// The turned box as its upright twin (same centre and size) plus the angle to turn it by.
    init(_ d: PoseDetection) {
        width = Int(d.box.width.rounded()); height = Int(d.box.height.rounded())
        x = Int((d.box.centerX - d.box.width / 2).rounded()); y = Int((d.box.centerY - d.box.height / 2).rounded())
        neighbors = d.neighbors
        angle = (d.angle * 10).rounded() / 10
        pose = d.pose.rawValue
    }

    /// The text line: position and size, the angle and pose with --poses multi, then the neighbours.
    var textLine: String {
        let turned = angle.map { " angle \($0) pose \(pose ?? "")" } ?? ""
        return "  x \(x) y \(y) width \(width) height \(height)\(turned) neighbors \(neighbors)"
    }
}

private struct ImageReport: Encodable {
    var image: String
    var width: Int
    var height: Int
    var faces: [FaceReport]
}
