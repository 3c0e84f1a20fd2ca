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

    @Option(help: "Scale step between pyramid levels, > 1 (OpenCV default 1.1).")
    var scaleFactor: Double = 1.1

    @Option(help: "Raw hits a face needs, more than this many (OpenCV default 3; 0 = raw windows).")
    var minNeighbors: Int = 3

    @Option(help: "Smallest face side in pixels (default: the cascade window).")
    var minSize: Int = 0

    @Option(help: "Largest face side in pixels (default: the image).")
    var maxSize: Int = 0

    @Option(help: "Worker threads (results do not depend on it).")
    var threads: Int = 1

    @Flag(help: "Print JSON: [{image, width, height, faces: [{x, y, width, height, neighbors}]}] (multi adds angle, pose).")
    var json = false

    @Option(help: ArgumentHelp("Poses to search: frontal (upright, OpenCV-exact) or multi (tilts to ±45° and profiles).",
                               discussion: "With multi, each face's box is width x height at x, y turned `angle` degrees clockwise "
                                   + "about its centre; pose is frontal, left or right. Profiles use --profile-cascade."))
    var poses: DetectPoses = .frontal

    @Option(help: "Profile cascade for --poses multi (default: \(MultiPoseDetector.defaultProfileCascadePath)).")
    var profileCascade: String?

    @Option(help: "Write the image with boxes drawn to this PNG (with several images, -<name> is appended).")
    var annotate: String?

    @Argument(help: "JPEG or PNG images.")
    var images: [String]

    func validate() throws {
        guard scaleFactor > 1 && scaleFactor.isFinite else { throw ValidationError("--scale-factor must be greater than 1") }
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
            if poses == .multi {
                try runMultiPose(frontal: detector, parameters: parameters)
                return
            }
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

    /// `--poses multi`: the multi-pose search, boxes with their angle and pose.
    private func runMultiPose(frontal: FaceDetector, parameters: DetectionParameters) throws {
        let profile = FaceDetector(cascade: try CascadeLocator.load(path: profileCascade ?? MultiPoseDetector.defaultProfileCascadePath))
        let detector = MultiPoseDetector(frontal: frontal, profile: profile)
        var reports: [ImageReport] = []
        for path in images {
            let rgb = try ImageFile.read(path: path)
            let faces = detector.detect(GrayImage(rgb: rgb), parameters: MultiPoseParameters(frontal: parameters))
            reports.append(ImageReport(image: path, width: rgb.width, height: rgb.height, faces: faces.map(FaceReport.init)))
            if !json {
                print("\(path): \(rgb.width)x\(rgb.height), \(faces.count) face\(faces.count == 1 ? "" : "s")")
                for f in faces {
                    let r = FaceReport(f)
                    print("  x \(r.x) y \(r.y) width \(r.width) height \(r.height) angle \(r.angle!) pose \(r.pose!) neighbors \(r.neighbors)")
                }
            }
            if let annotate {
                var out = rgb
                let thickness = max(2, min(rgb.width, rgb.height) / 200)
                for face in faces { out.strokePolygon(face.box.corners, color: .green, thickness: thickness) }
                try ImageFile.writePNG(out, path: annotationPath(annotate, for: path))
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(reports), as: UTF8.self))
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

/// Which faces `detect` searches for.
enum DetectPoses: String, ExpressibleByArgument, CaseIterable {
    case frontal, multi
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
}

private struct ImageReport: Encodable {
    var image: String
    var width: Int
    var height: Int
    var faces: [FaceReport]
}
