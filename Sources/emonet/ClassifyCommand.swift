// `emonet classify`: faces in still images, each with its seven emotion probabilities. Faces come
// from the live path's finder (CascadeFaceFinder's full scan, the same defaults), so an image gives the
// faces `live` finds in it; each is cropped and normalised exactly as the live path does
// (Emotion.FaceCrop). `--poses multi` also finds tilted faces and profiles (the live finder's full scan
// at several angles, CascadeFaceFinder.findTurnedFaces) and crops each along its turned box, so the
// network sees it upright; its upright faces and their crops are the frontal search's.
// `--whole-image` treats each image as one face crop (e.g. FER-style 48x48 faces).
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

    @OptionGroup var modelOptions: ModelOptions

    @OptionGroup(title: "Detector (the live path's defaults, so classify and live find the same faces)")
    var detector: DetectorOptions

    @Option(help: "Test-time augmentation: none or flip (face + mirror image; as the live path's alternate views).")
    var tta: String = "flip"

    @Flag(help: "Classify each whole image as one face (skips detection).")
    var wholeImage = false

    @Flag(help: "Print JSON: [{image, width, height, faces: [{x, y, width, height, label, confidence, probabilities}]}] (--poses multi adds angle, pose).")
    var json = false

    @OptionGroup var imageOptions: ImageOptions
    var images: [String] { imageOptions.images }

    func validate() throws {
        guard tta == "none" || tta == "flip" else { throw ValidationError("--tta must be none or flip (got '\(tta)')") }
    }

    struct FaceReport: Encodable {
        var x: Int, y: Int, width: Int, height: Int
        /// Only with --poses multi: degrees clockwise (the box turned about its centre), and frontal/left/right.
        var angle: Double?, pose: String?
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
            let spec = detector.finderSpec()
            let annotated = try imageOptions.annotatedPaths(otherInputs: [modelOptions.model]
                + (wholeImage ? [] : [CascadeLocator.resolve(detector.cascade), spec.profileCascade, spec.verifier]))
            let model = try EmotionModel.read(path: modelOptions.model)
            let classifier = EmotionClassifier(model: model, testTimeAugmentation: TestTimeAugmentation(rawValue: tta)!,
                                               precision: try model.precision(int8: modelOptions.arithmetic.int8))
            // The live path's full scan (multi-pose and verified unless told otherwise), so an image gives the
            // faces live would find in it.
            let finder = wholeImage ? nil : try spec.make()
            let search = finder?.poseSearch
            let overlay = try annotated.map { _ in try OffscreenOverlay() }
            var reports: [ImageReport] = []
            for (k, path) in images.enumerated() {
                let rgb = try ImageFile.read(path: path)
                let gray = GrayImage(rgb: rgb)
                let found = finder.map { $0.locateFaces(in: gray) } ?? [FoundFace(box: Rect(x: 0, y: 0, width: rgb.width, height: rgb.height))]
                let probabilities = try classifier.classify(gray, faces: found.map(\.box), angles: found.map(\.angle))
                let faces = zip(found, probabilities).enumerated().map { i, face in
                    FaceResult(track: i + 1, box: face.0.box, probabilities: face.1, angle: face.0.angle, pose: face.0.pose)
                }
                reports.append(ImageReport(image: path, width: rgb.width, height: rgb.height, faces: zip(faces, found).map { f, turned in
                    FaceReport(x: f.box.x, y: f.box.y, width: f.box.width, height: f.box.height,
                               angle: search == nil ? nil : (turned.angle * 10).rounded() / 10,
                               pose: search == nil ? nil : turned.pose.rawValue, label: f.label.description,
                               confidence: f.confidence,
                               probabilities: Dictionary(uniqueKeysWithValues: zip(EmotionLabel.names, f.probabilities)))
                }))
                if !json { printText(path: path, rgb: rgb, faces: faces, poses: search == nil ? nil : found.map(\.pose)) }
                if let annotated, let overlay {
                    let drawn = try overlay.render(rgb, result: FrameResult(frameIndex: 0, time: 0, faces: faces),
                                                   options: OverlayOptions(showHUD: false, showBars: true))
                    let out = annotated[k]
                    try ImageFile.writePNG(drawn, path: out)
                    if !json { print("  annotated: \(out)") }
                }
            }
            if json {
                try ImageConsole.printJSON(reports)
            }
        }
    }

    /// One line per face; with --poses multi (`poses` given) each line also says the face's angle and pose.
    private func printText(path: String, rgb: RGBImage, faces: [FaceResult], poses: [FacePose]?) {
        print(ImageConsole.heading(path: path, image: rgb, faces: faces.count))
        for (i, f) in faces.enumerated() {
            let ranked = zip(EmotionLabel.names, f.probabilities).sorted { $0.1 > $1.1 }
            let rest = ranked.dropFirst().prefix(3).map { String(format: "%@ %.0f%%", $0.0, $0.1 * 100) }.joined(separator: ", ")
            let turned = poses.map { String(format: " angle %.1f pose %@", f.angle, $0[i].rawValue) } ?? ""
            print(String(format: "  face %d at x %d y %d %dx%d%@: %@ %.0f%%  (then %@)", f.track, f.box.x, f.box.y, f.box.width,
                         f.box.height, turned, f.label.description, f.confidence * 100, rest))
        }
    }
}
