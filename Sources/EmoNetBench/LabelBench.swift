// `EmoNetBench labels`: label agreement of turned faces through `emonet classify --poses multi`'s own path
// (the live finder's multi-pose full scan, CascadeFaceFinder.findTurnedFaces, and EmotionClassifier with
// flip TTA, classify's default). For each ../shared/media photo (scaled to fit 640x480, shape kept):
// the faces and top labels of the upright photo; then for copies turned ±15, ±30, ±45° (ImageRotation,
// black corners), each upright face the search finds again (a face whose centre is within half the upright
// face's width of its turned centre, widths within 2x) is classified twice on the same box: cropped as an
// upright box (the crop before issue 19, angle ignored) and cropped along the turned box (classify's crop).
// Prints faces, agreement of each crop with the upright label, and the mean and largest L1 distance of
// the turned-box crop's probabilities to the upright face's. Profiles are classified as they are: with
// flip TTA every face is averaged with its mirror image, so mirroring profiles to one side changes nothing.
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging
import Pipeline

func runLabelBench(_ arguments: [String]) throws {
    var media = "../shared/media", model = "models/emonet.safetensors"
    var profileCascade = MultiPoseDetector.defaultProfileCascadePath
    try BenchArguments.read(arguments, [
        "--media": .text { media = $0 }, "--model": .text { model = $0 }, "--profile-cascade": .text { profileCascade = $0 },
    ])
    let finder = CascadeFaceFinder(detector: FaceDetector(cascade: try CascadeLocator.load(path: nil)))
    let search = MultiPoseDetector(frontal: finder.detector, profile: FaceDetector(cascade: try CascadeLocator.load(path: profileCascade)))
    let classifier = try EmotionClassifier(path: model, testTimeAugmentation: .flip)
    let photos = try listPhotos(in: media).filter { !$0.contains("no-face") }

    func top(_ p: [Float]) -> Int { p.indices.max { p[$0] < p[$1] }! }
    var uprights: [(name: String, image: GrayImage, faces: [TurnedFace], probabilities: [[Float]])] = []
    for name in photos {
        let image = fittedTo640x480(try ImageFile.readGray(path: "\(media)/\(name)"))
        let faces = finder.findTurnedFaces(in: image, search: search)
        let p = try classifier.classify(image, faces: faces.map(\.box), angles: faces.map(\.angle))
        uprights.append((name, image, faces, p))
    }
    print("label agreement with the upright photo, classify --poses multi's path (\(model), flip TTA), \(uprights.map(\.faces.count).reduce(0, +)) upright faces in \(photos.count) photos")
    print("angle  faces  upright-box crop  turned-box crop  L1 mean/max (turned)")
    for magnitude in [15.0, 30, 45] {
        var faces = 0, uprightBox = 0, turnedBox = 0
        var distances: [Double] = []
        for signed in [-magnitude, magnitude] {
            for upright in uprights where !upright.faces.isEmpty {
                let rotation = ImageRotation(sourceWidth: upright.image.width, sourceHeight: upright.image.height, degrees: signed)
                let turned = rotation.apply(to: upright.image)
                let found = finder.findTurnedFaces(in: turned, search: search)
                for (f, reference) in zip(upright.faces, upright.probabilities) {
                    let c = rotation.canvasPoint(x: Double(f.box.x) + Double(f.box.width) / 2, y: Double(f.box.y) + Double(f.box.height) / 2)
                    let width = Double(f.box.width)
                    func distance(_ d: TurnedFace) -> Double {
                        let dx = Double(d.box.x) + Double(d.box.width) / 2 - c.x, dy = Double(d.box.y) + Double(d.box.height) / 2 - c.y
                        return (dx * dx + dy * dy).squareRoot()
                    }
                    let candidates = found.filter {
                        let ratio = Double($0.box.width) / width
                        return ratio >= 0.5 && ratio <= 2 && distance($0) < 0.5 * width
                    }
                    guard let d = candidates.min(by: { distance($0) < distance($1) }) else { continue }
                    faces += 1
                    let before = try classifier.classify(turned, faces: [d.box])[0]
                    let after = try classifier.classify(turned, faces: [d.box], angles: [d.angle])[0]
                    if top(before) == top(reference) { uprightBox += 1 }
                    if top(after) == top(reference) { turnedBox += 1 }
                    distances.append(zip(after, reference).map { Double(abs($0 - $1)) }.reduce(0, +))
                    if ProcessInfo.processInfo.environment["EMONET_LABELS_DEBUG"] != nil {
                        print("  \(upright.name) \(signed)°: found at \(d.angle)° \(d.pose), labels upright \(top(reference)) before \(top(before)) after \(top(after))")
                    }
                }
            }
        }
        let pct = { (n: Int) in 100 * Double(n) / Double(max(faces, 1)) }
        print(String(format: "±%2.0f°  %5d  %9d (%3.0f%%)  %8d (%3.0f%%)  %.2f / %.2f", magnitude, faces,
                     uprightBox, pct(uprightBox), turnedBox, pct(turnedBox),
                     distances.isEmpty ? 0 : distances.reduce(0, +) / Double(distances.count), distances.max() ?? 0))
    }
}
