// `emonet classify`: faces in still images, each with its seven emotion probabilities. Faces come
// from the cascade detector; each is cropped and normalised exactly as the live path does
// (Emotion.FaceCrop). `--whole-image` treats each image as one face crop (e.g. FER-style 48x48 faces).
import ArgumentParser
import Display
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging
import Pipeline

struct Classify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find the faces in images and classify each one's emotion.")

    @Option(help: "Model file.")
    var model: String = ModelPaths.defaultModel

    @Option(help: "Cascade XML file (default: OpenCV's frontal-face cascade from Debian's opencv-data).")
    var cascade: String?

    @Option(help: "Detector scale step, 1.01...10.")
    var scaleFactor: Double = 1.1

    @Option(help: "Detector neighbours a face needs.")
    var minNeighbors: Int = 5

    @Option(help: "Smallest face side in pixels.")
    var minSize: Int = 30

    @Option(help: "Test-time augmentation: none or flip (face + mirror image).")
    var tta: String = "flip"

    @Flag(help: "Classify each whole image as one face (skips detection).")
    var wholeImage = false

    @Flag(help: "Print JSON: [{image, width, height, faces: [{x, y, width, height, label, confidence, probabilities}]}].")
    var json = false

    @Option(help: "Write the image with labelled boxes and probability bars to this PNG (with several images, -<name> is appended).")
    var annotate: String?

    @Argument(help: "JPEG or PNG images.")
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
        guard DetectionParameters.scaleFactorRange.contains(scaleFactor) else { throw ValidationError("--scale-factor must be in \(DetectionParameters.scaleFactorRange) (found \(scaleFactor))") }
        guard minNeighbors >= 0, minSize >= 0 else { throw ValidationError("--min-neighbors and --min-size must be 0 or more") }
        guard tta == "none" || tta == "flip" else { throw ValidationError("--tta must be none or flip") }
    }

    struct FaceReport: Encodable {
        var x: Int, y: Int, width: Int, height: Int
        var label: String
        var confidence: Float
        var probabilities: [String: Float]
    }

    struct ImageReport: Encodable {
        var image: String
        var width: Int, height: Int
        var faces: [FaceReport]
    }

    func run() throws {
        try CLIErrors.reporting {
            let classifier = try EmotionClassifier(path: model, testTimeAugmentation: TestTimeAugmentation(rawValue: tta)!)
            let detector = wholeImage ? nil : FaceDetector(cascade: try CascadeLocator.load(path: cascade))
            let parameters = DetectionParameters(scaleFactor: scaleFactor, minNeighbors: minNeighbors, minSize: PixelSize(minSize))
            let overlay = try annotate.map { _ in try OffscreenOverlay() }
            var reports: [ImageReport] = []
            for path in images {
                let rgb = try ImageFile.read(path: path)
                let gray = GrayImage(rgb: rgb)
                let boxes = detector.map { $0.detect(gray, parameters: parameters).map(\.box) }
                    ?? [Rect(x: 0, y: 0, width: rgb.width, height: rgb.height)]
                let probabilities = try classifier.classify(gray, faces: boxes)
                let faces = zip(boxes, probabilities).enumerated().map { i, face in
                    FaceResult(track: i + 1, box: face.0, probabilities: face.1)
                }
                reports.append(ImageReport(image: path, width: rgb.width, height: rgb.height, faces: faces.map { f in
                    FaceReport(x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height, label: f.label.description,
                               confidence: f.confidence,
                               probabilities: Dictionary(uniqueKeysWithValues: zip(EmotionLabel.names, f.probabilities)))
                }))
                if !json { printText(path: path, rgb: rgb, faces: faces) }
                if let annotate, let overlay {
                    let drawn = try overlay.render(rgb, result: FrameResult(frameIndex: 0, time: 0, faces: faces),
                                                   options: OverlayOptions(showHUD: false, showBars: true))
                    let out = images.count == 1 ? annotate : Self.suffixed(annotate, with: path)
                    try ImageFile.writePNG(drawn, path: out)
                    if !json { print("  annotated: \(out)") }
                }
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                print(String(decoding: try encoder.encode(reports), as: UTF8.self))
            }
        }
    }

    private func printText(path: String, rgb: RGBImage, faces: [FaceResult]) {
        print("\(path): \(rgb.width)x\(rgb.height), \(faces.count) face\(faces.count == 1 ? "" : "s")")
        for f in faces {
            let ranked = zip(EmotionLabel.names, f.probabilities).sorted { $0.1 > $1.1 }
            let rest = ranked.dropFirst().prefix(3).map { String(format: "%@ %.0f%%", $0.0, $0.1 * 100) }.joined(separator: ", ")
            print(String(format: "  face %d at x %d y %d %dx%d: %@ %.0f%%  (then %@)", f.track, f.box.x, f.box.y, f.box.width,
                         f.box.height, f.label.description, f.confidence * 100, rest))
        }
    }

    /// out.png + /a/b/photo.jpg → out-photo.png
    static func suffixed(_ base: String, with image: String) -> String {
        let url = URL(fileURLWithPath: base)
        let stem = URL(fileURLWithPath: image).deletingPathExtension().lastPathComponent
        return url.deletingPathExtension().path + "-\(stem)." + (url.pathExtension.isEmpty ? "png" : url.pathExtension)
    }
}
