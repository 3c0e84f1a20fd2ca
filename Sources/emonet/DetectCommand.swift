// `emonet detect`: find faces in still images with an OpenCV cascade, print them (text or JSON)
// and optionally write an annotated PNG. Defaults are OpenCV detectMultiScale's.
import ArgumentParser
import FaceDetection
import Foundation
import ImageIO
import Imaging

struct Detect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect", abstract: "Find faces in images with an OpenCV Haar/LBP cascade.")

    @Option(help: "Cascade XML file (default: \(CascadeLocator.defaultFrontalFacePath), or $EMONET_CASCADE).")
    var cascade: String?

    @Option(help: "Scale step between pyramid levels, 1.01...10 (OpenCV default 1.1).")
    var scaleFactor: Double = 1.1

    @Option(help: "Raw hits a face needs, more than this many (OpenCV default 3; 0 = raw windows).")
    var minNeighbors: Int = 3

    @Option(help: "Smallest face side in pixels (default: the cascade window).")
    var minSize: Int = 0

    @Option(help: "Largest face side in pixels (default: the image).")
    var maxSize: Int = 0

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = 1

    @Flag(help: "Print JSON: [{image, width, height, faces: [{x, y, width, height, neighbors}]}].")
    var json = false

    @Option(help: "Write the image with boxes drawn to this PNG (with several images, -<name> is appended).")
    var annotate: String?

    @Argument(help: "JPEG or PNG images.")
    var images: [String]

    func validate() throws {
        guard DetectionParameters.scaleFactorRange.contains(scaleFactor) else { throw ValidationError("--scale-factor must be in \(DetectionParameters.scaleFactorRange) (found \(scaleFactor))") }
        guard minNeighbors >= 0 else { throw ValidationError("--min-neighbors must be 0 or more") }
        guard minSize >= 0 && maxSize >= 0 else { throw ValidationError("--min-size and --max-size must be 0 or more") }
        guard maxSize == 0 || maxSize >= minSize else { throw ValidationError("--max-size must be at least --min-size") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be between 1 and 64") }
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    func run() throws {
        try CLIErrors.reporting {
            let detector = FaceDetector(cascade: try CascadeLocator.load(path: cascade))
            let parameters = DetectionParameters(scaleFactor: scaleFactor, minNeighbors: minNeighbors,
                                                 minSize: PixelSize(minSize), maxSize: PixelSize(maxSize),
                                                 threads: threads)
            var reports: [ImageReport] = []
            for path in images {
                let rgb = try ImageFile.read(path: path)
                let faces = detector.detect(GrayImage(rgb: rgb), parameters: parameters)
                reports.append(ImageReport(image: path, width: rgb.width, height: rgb.height,
                                           faces: faces.map(FaceReport.init)))
                if !json { printText(path: path, rgb: rgb, faces: faces) }
                if let annotate {
                    var out = rgb
                    let thickness = max(2, min(rgb.width, rgb.height) / 200)
                    for face in faces { out.strokeRectangle(face.box, color: .green, thickness: thickness) }
                    try ImageFile.writePNG(out, path: annotationPath(annotate, for: path))
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            }
        }
    }

    private func printText(path: String, rgb: RGBImage, faces: [Detection]) {
        print("\(path): \(rgb.width)x\(rgb.height), \(faces.count) face\(faces.count == 1 ? "" : "s")")
        for f in faces {
            print("  x \(f.box.x) y \(f.box.y) width \(f.box.width) height \(f.box.height) neighbors \(f.neighbors)")
        }
    }

    private func annotationPath(_ out: String, for image: String) -> String {
        guard images.count > 1 else { return out }
        let url = URL(fileURLWithPath: out)
        let name = URL(fileURLWithPath: image).deletingPathExtension().lastPathComponent
        let ext = url.pathExtension.isEmpty ? "png" : url.pathExtension
        return url.deletingPathExtension().path + "-\(name).\(ext)"
    }
}

private struct FaceReport: Encodable {
    var x: Int, y: Int, width: Int, height: Int, neighbors: Int
    init(_ d: Detection) {
        x = d.box.x; y = d.box.y; width = d.box.width; height = d.box.height; neighbors = d.neighbors
    }
}

private struct ImageReport: Encodable {
    var image: String
    var width: Int
    var height: Int
    var faces: [FaceReport]
}
