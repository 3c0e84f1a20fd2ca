// `EmoNetBench verifier`: makes the face verifier's data, trains it with our engine, measures it on a
// held-out split and writes the model (`make train-verifier` writes models/face-verifier.safetensors).
//
// Every crop is what the product's verifier sees: a box (turned by its angle) cut from a gray frame by
// FaceVerifier.crop. Sources, and which split each goes to (held-out sources are never trained on):
//   faces      FER-2013 Training images (train) and PublicTest images (held out), each box jittered in
//              place, size and angle (±12°, the angle error of a multi-pose box); the known faces of the
//              ../shared photos (dlib's annotations for its photo, the upright frontal detections at
//              OpenCV's defaults for the others) jittered the same way; the Pexels clip's face (frames
//              with exactly one upright detection; the first half trains, the second half is held out);
//              the single-face clip's face (held out only).
//   not faces  what the live finder's multi-pose search proposes on those frames at 1 neighbour (every
//              turned and profile scan) away from every known face; windows next to a known face (the
//              chin below it, a cheek, an eye: shifted by 0.6-1 of its size, or a third of its size inside
//              it); random windows away from faces; the no-face photo (train) and the no-face clip (held out).
// Photos held out: fr_two_people.jpg and skimage_astronaut.png (faces and non-faces alike).
// The threshold written into the file keeps `targetRecall` of the held-out faces.
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging
import NeuralNet
import Pipeline
import SafeOutput

private struct VerifierBenchOptions {
    var media = "../shared/media"
    var data = "../shared/data/fer2013/fer2013-train-publictest.csv.gz"
    var out = "models/face-verifier.safetensors"
    var report = "bench-results/verifier.json"
    var ferTrain = 12_000
    var ferHeldOut = 3_000
    var config = VerifierTrainingConfig()
    var force = false
    /// A folder of photos without faces (non-faces only); `heldOutNegatives` of them are held out.
    var negatives: String?
    /// skimage's lfw_subset.npy (100 LFW faces, then 100 non-faces, 25x25): an independent test set.
    var lfw: String?
}

/// Photos of the negatives folder held out (the rest train): skimage's rocket and coffee, and both
/// motorcycle views (a stereo pair: one would teach the other).
private let heldOutNegatives: Set<String> = ["rocket.jpg", "coffee.png", "motorcycle_left.png", "motorcycle_right.png"]

/// One held-out source's figures at the chosen threshold.
private struct SourceFigures: Encodable {
    var source: String
    var metrics: VerifierMetrics
}

private struct VerifierReport: BenchReport {
    static let format = "emonet-verifier-bench"
    /// Training samples: faces, non-faces.
    var trained: [Int]
    /// "held-out" (at the chosen threshold), "held-out at 0.5", "lfw" (skimage's subset, when given).
    var metrics: [String: VerifierMetrics]
    var perSource: [SourceFigures]
    /// Seconds of training, and microseconds per box verified.
    var costs: [String: Double]
}

/// Frames of one source and the faces known in them (boxes in that frame's pixels).
private struct KnownFrame {
    var image: GrayImage
    var faces: [Rect]
}

private let heldOutPhotos: Set<String> = ["fr_two_people.jpg", "skimage_astronaut.png"]

func runVerifierBench(_ arguments: [String]) throws {
    var o = VerifierBenchOptions()
    try BenchArguments.read(arguments, [
        "--media": .text { o.media = $0 }, "--data": .text { o.data = $0 }, "--out": .text { o.out = $0 },
        "--report": .text { o.report = $0 }, "--force": .flag { o.force = true },
        "--negatives": .text { o.negatives = $0 }, "--lfw": .text { o.lfw = $0 },
        "--epochs": .number(in: 1...200) { o.config.epochs = $0 },
        "--seed": .number(in: UInt64(0)...UInt64.max) { o.config.seed = $0 },
        "--fer-train": .number(in: 100...28_000) { o.ferTrain = $0 },
    ])
    if FileManager.default.fileExists(atPath: o.out) && !o.force {
        throw BenchError("\(o.out) exists; pass --force to replace it")
    }
    try BenchResults.checkReplaceable(o.report, format: VerifierReport.format)
    let started = Date()
    let frontal = FaceDetector(cascade: try CascadeLocator.load(path: nil))
    let profile = FaceDetector(cascade: try CascadeLocator.load(path: CascadeLocator.bundledPath(.profileFace) ?? MultiPoseDetector.defaultProfileCascadePath))
    let finder = CascadeFaceFinder(detector: frontal)
    let search = MultiPoseDetector(frontal: frontal, profile: profile)
    var random = SeededRandom(seed: o.config.seed &+ 101)
    var train = VerifierSamples(), heldOut = VerifierSamples()

    // Faces from FER-2013.
    print("verifier: reading \(o.data)")
    let fer = try FERDataset.read(path: o.data)
    let side = FERDataset.side
    var ferTrainTaken = 0, ferHeldTaken = 0
    for i in 0..<fer.count {
        let isTrain = fer.splits[i] == .training
        guard isTrain ? ferTrainTaken < o.ferTrain : ferHeldTaken < o.ferHeldOut else { continue }
        let image = GrayImage(width: side, height: side, pixels: Array(fer.pixels[(i * side * side)..<((i + 1) * side * side)]))
        let box = jittered(Rect(x: 0, y: 0, width: side, height: side), &random, maxShift: 0.06, scale: 0.85...1.05)
        let angle = Double.random(in: -12...12, using: &random)
        if isTrain {
            ferTrainTaken += 1
            train.append(isFace: true, source: "fer") { FaceVerifier.crop(image, box: box, angle: angle, into: $0) }
        } else {
            ferHeldTaken += 1
            heldOut.append(isFace: true, source: "fer") { FaceVerifier.crop(image, box: box, angle: angle, into: $0) }
        }
    }

    // Photos and clips at the live finder's frame size (320 px wide), as the product scans them.
    let xml = (try? String(contentsOfFile: "\(o.media)/dlib_faces_training.xml", encoding: .utf8)) ?? ""
    let photos = try FileManager.default.contentsOfDirectory(atPath: o.media)
        .filter { [".jpg", ".png"].contains(where: $0.hasSuffix) }.sorted()
    for name in photos {
        let full = fittedTo640x480(try ImageFile.readGray(path: "\(o.media)/\(name)"))
        let known: [Rect]
        if name.hasPrefix("dlib_") {
            let original = try ImageFile.readGray(path: "\(o.media)/\(name)")
            let s = Double(full.width) / Double(original.width)
            known = dlibBoxes(xml: xml, file: String(name.dropFirst(5))).map { scaled($0, s) }
        } else if name.contains("no-face") {
            known = []
        } else {
            known = frontal.detect(full, parameters: DetectionParameters()).map(\.box)
        }
        let (small, s) = finderFrame(full, finder)
        let frame = KnownFrame(image: small, faces: known.map { scaled($0, 1 / s) })
        let held = heldOutPhotos.contains(name)
        if held {
            addSamples(from: frame, source: name, into: &heldOut, search: search, finder: finder, faceCopies: 40, random: &random)
        } else {
            addSamples(from: frame, source: name, into: &train, search: search, finder: finder, faceCopies: 40, random: &random)
        }
    }
    // Photos with no face at all: everything the search proposes and random windows, at two sizes.
    if let folder = o.negatives {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { [".jpg", ".png"].contains(where: $0.hasSuffix) }.sorted()
        for name in names {
            guard let gray = try? ImageFile.readGray(path: "\(folder)/\(name)"), gray.width >= 48, gray.height >= 48 else {
                print("verifier: skipping \(name) (not a readable photo of at least 48x48)")
                continue
            }
            let full = fittedTo640x480(gray)
            for scale in [1.0, 0.6] {
                let image = scale == 1 ? finderFrame(full, finder).0
                    : finderFrame(full, finder).0.resizedBilinear(width: Int(Double(finder.detectionWidth) * scale),
                                                                  height: Int(Double(finderFrame(full, finder).0.height) * scale))
                let frame = KnownFrame(image: image, faces: [])
                if heldOutNegatives.contains(name) {
                    addSamples(from: frame, source: name, into: &heldOut, search: search, finder: finder, faceCopies: 0, random: &random, randomWindows: 60)
                } else {
                    addSamples(from: frame, source: name, into: &train, search: search, finder: finder, faceCopies: 0, random: &random, randomWindows: 60)
                }
            }
        }
    }
    for (clip, rule) in [("pyfeat_WolfgangLanger_Pexels.mp4", "half"), ("pyfeat_single_face.mp4", "held"),
                         ("pyfeat_no_face.mp4", "held")] {
        let path = "\(o.media)/\(clip)"
        guard FileManager.default.fileExists(atPath: path) else { continue }
        let frames = try decodeGrayFrames(path, width: finder.detectionWidth)
        print("verifier: \(clip): \(frames.count) frames")
        for (k, image) in frames.enumerated() where k % 3 == 0 {
            let faces = clip.contains("no_face") ? [] : finder.findFaces(in: image)
            // A frame of a one-person clip with two upright boxes holds a false one: which is unknown, so skip it.
            guard faces.count <= 1 else { continue }
            let held = rule == "held" || k >= frames.count / 2
            let known = KnownFrame(image: image, faces: faces)
            if held {
                addSamples(from: known, source: clip, into: &heldOut, search: search, finder: finder, faceCopies: 2, random: &random)
            } else {
                addSamples(from: known, source: clip, into: &train, search: search, finder: finder, faceCopies: 2, random: &random)
            }
        }
    }
    print("verifier: train \(train.faces) faces, \(train.count - train.faces) non-faces; held out \(heldOut.faces) faces, \(heldOut.count - heldOut.faces) non-faces")

    let t0 = Date()
    let model = try VerifierTrainer.train(train, config: o.config) { epoch, loss, accuracy in
        print(String(format: "verifier: epoch %d/%d  loss %.4f  train accuracy %.2f%%  (%.0f s)", epoch, o.config.epochs, loss,
                     accuracy * 100, Date().timeIntervalSince(t0)))
    }
    let trainingSeconds = Date().timeIntervalSince(t0)
    let scores = VerifierTrainer.scores(model, heldOut)
    let threshold = VerifierMetrics.threshold(scores: scores, isFace: heldOut.isFace, recall: o.config.targetRecall)
    let metrics = VerifierMetrics(scores: scores, isFace: heldOut.isFace, threshold: threshold)
    let half = VerifierMetrics(scores: scores, isFace: heldOut.isFace, threshold: 0.5)
    var perSource: [SourceFigures] = []
    for source in Set(heldOut.sources).sorted() {
        let idx = heldOut.sources.indices.filter { heldOut.sources[$0] == source }
        let m = VerifierMetrics(scores: idx.map { scores[$0] }, isFace: idx.map { heldOut.isFace[$0] }, threshold: threshold)
        perSource.append(SourceFigures(source: source, metrics: m))
    }

    // LFW (skimage's subset): never seen in training, a different crop of faces and other non-faces.
    var lfwMetrics: VerifierMetrics?
    if let path = o.lfw {
        let lfw = try lfwSamples(path)
        let m = VerifierMetrics(scores: VerifierTrainer.scores(model, lfw), isFace: lfw.isFace, threshold: threshold)
        lfwMetrics = m
        print(String(format: "verifier: LFW subset: faces kept %d/%d, non-faces dropped %d/%d", m.facesKept, m.faces,
                     m.nonFaces - m.nonFacesKept, m.nonFaces))
    }

    // Cost per box through the product's path (crop + network), 5 boxes a call as in a busy frame.
    let file = VerifierTrainer.file(model, threshold: threshold, facts: [
        "training": String(decoding: try JSONEncoder().encode(o.config), as: UTF8.self),
        "made_by": "EmoNetBench verifier (make train-verifier)",
        "held_out": String(format: "recall %.4f, non-faces rejected %.4f at threshold %.4f", metrics.recall, metrics.rejection, threshold),
    ])
    let verifier = try FaceVerifier(file: ModelFile.decode(file.encoded(), file: o.out))
    let probe = fittedTo640x480(try ImageFile.readGray(path: "\(o.media)/fr_two_people.jpg"))
    let boxes = (0..<5).map { Rect(x: 40 + 60 * $0, y: 100, width: 90, height: 90) }
    let angles = [0, 30, -30, 45, 0.0]
    _ = verifier.faceProbabilities(probe, boxes: boxes, angles: angles)
    let repeats = 400
    let c0 = Date()
    for _ in 0..<repeats { _ = verifier.faceProbabilities(probe, boxes: boxes, angles: angles) }
    let perBox = Date().timeIntervalSince(c0) / Double(repeats * boxes.count) * 1e6

    try AtomicFile.write(file.encoded(), to: o.out)
    print(String(format: "verifier: held out, threshold %.4f: faces kept %d/%d (recall %.2f%%), non-faces dropped %d/%d (%.2f%%), precision %.2f%%",
                 threshold, metrics.facesKept, metrics.faces, metrics.recall * 100, metrics.nonFaces - metrics.nonFacesKept,
                 metrics.nonFaces, metrics.rejection * 100, metrics.precision * 100))
    print(String(format: "verifier: at 0.5: recall %.2f%%, non-faces dropped %.2f%%", half.recall * 100, half.rejection * 100))
    for s in perSource {
        print("verifier:   \(s.source): faces kept \(s.metrics.facesKept)/\(s.metrics.faces), non-faces kept \(s.metrics.nonFacesKept)/\(s.metrics.nonFaces)")
    }
    print(String(format: "verifier: %.1f µs per box (crop + network, 5 boxes a call); trained in %.0f s; total %.0f s; wrote %@",
                 perBox, trainingSeconds, Date().timeIntervalSince(started), o.out))
    var all = ["held-out": metrics, "held-out at 0.5": half]
    all["lfw"] = lfwMetrics
    let report = VerifierReport(trained: [train.faces, train.count - train.faces], metrics: all, perSource: perSource,
                                costs: ["trainingSeconds": trainingSeconds, "microsecondsPerBox": perBox])
    try BenchResults.write(report: report, to: o.report)
}

/// Face crops (jittered copies of each known face) and non-face crops (the search's other proposals,
/// windows beside each face, random windows) of one frame.
private func addSamples(from frame: KnownFrame, source: String, into samples: inout VerifierSamples,
                        search: MultiPoseDetector, finder: CascadeFaceFinder, faceCopies: Int, random: inout SeededRandom,
                        randomWindows: Int = 30) {
    let image = frame.image
    for face in frame.faces {
        for _ in 0..<faceCopies {
            let box = jittered(face, &random, maxShift: 0.08, scale: 0.85...1.15)
            let angle = Double.random(in: -12...12, using: &random)
            samples.append(isFace: true, source: source) { FaceVerifier.crop(image, box: box, angle: angle, into: $0) }
        }
    }
    func farFromFaces(_ cx: Double, _ cy: Double, _ width: Double) -> Bool {
        frame.faces.allSatisfy { f in
            let fx = Double(f.x) + Double(f.width) / 2, fy = Double(f.y) + Double(f.height) / 2
            let distance = ((cx - fx) * (cx - fx) + (cy - fy) * (cy - fy)).squareRoot()
            let ratio = width / Double(f.width)
            return distance > 0.55 * Double(f.width) || ratio < 0.45 || ratio > 2.2
        }
    }
    // What the search proposes at its most permissive (1 neighbour, every lone scan kept).
    var parameters = finder.multiPoseParameters
    parameters.frontal.minNeighbors = 1
    parameters.frontal.minSize = PixelSize(20)
    parameters.loneNeighborFactor = 0
    for d in search.detect(image, parameters: parameters) where farFromFaces(d.box.centerX, d.box.centerY, d.box.width) {
        let box = Rect(x: Int((d.box.centerX - d.box.width / 2).rounded()), y: Int((d.box.centerY - d.box.height / 2).rounded()),
                       width: Int(d.box.width.rounded()), height: Int(d.box.height.rounded()))
        samples.append(isFace: false, source: source) { FaceVerifier.crop(image, box: box, angle: d.angle, into: $0) }
    }
    // Beside each face: below (a chin or collar), to a side, above; and parts of it.
    for face in frame.faces {
        let w = Double(face.width)
        for _ in 0..<max(4, faceCopies / 2) {
            let box: Rect
            if Bool.random(using: &random) {
                let direction = Double.random(in: 0..<(2 * .pi), using: &random), shift = Double.random(in: 0.65...1.0, using: &random) * w
                let size = w * Double.random(in: 0.7...1.3, using: &random)
                box = Rect(x: Int(Double(face.x) + w / 2 + cos(direction) * shift - size / 2),
                           y: Int(Double(face.y) + w / 2 + sin(direction) * shift - size / 2), width: Int(size), height: Int(size))
            } else {
                // A part of the face (an eye, a cheek, the mouth and chin), off its centre.
                let size = w * Double.random(in: 0.25...0.6, using: &random)
                var x = 0.0, y = 0.0
                repeat {
                    x = Double.random(in: 0...(w - size), using: &random)
                    y = Double.random(in: 0...(w - size), using: &random)
                } while abs(x + size / 2 - w / 2) < 0.15 * w && abs(y + size / 2 - w / 2) < 0.15 * w
                box = Rect(x: face.x + Int(x), y: face.y + Int(y), width: Int(size), height: Int(size))
            }
            guard box.width >= 12 else { continue }
            let angle = Double.random(in: -45...45, using: &random)
            samples.append(isFace: false, source: source) { FaceVerifier.crop(image, box: box, angle: angle, into: $0) }
        }
    }
    // Random windows away from faces.
    var taken = 0, tries = 0
    while taken < randomWindows && tries < 20 * randomWindows {
        tries += 1
        let size = Int.random(in: 20...max(21, min(image.width, image.height) / 2), using: &random)
        let x = Int.random(in: 0...max(0, image.width - size), using: &random), y = Int.random(in: 0...max(0, image.height - size), using: &random)
        guard farFromFaces(Double(x + size / 2), Double(y + size / 2), Double(size)) else { continue }
        let angle: Double = [0.0, 0, 30, -30, 45, -45][Int.random(in: 0..<6, using: &random)]
        samples.append(isFace: false, source: source) {
            FaceVerifier.crop(image, box: Rect(x: x, y: y, width: size, height: size), angle: angle, into: $0)
        }
        taken += 1
    }
}

private func jittered(_ r: Rect, _ random: inout SeededRandom, maxShift: Double, scale: ClosedRange<Double>) -> Rect {
    let s = Double.random(in: scale, using: &random)
    let w = Double(r.width) * s, h = Double(r.height) * s
    let cx = Double(r.x) + Double(r.width) / 2 + Double.random(in: -maxShift...maxShift, using: &random) * Double(r.width)
    let cy = Double(r.y) + Double(r.height) / 2 + Double.random(in: -maxShift...maxShift, using: &random) * Double(r.height)
    return Rect(x: Int((cx - w / 2).rounded()), y: Int((cy - h / 2).rounded()), width: Int(w.rounded()), height: Int(h.rounded()))
}

private func scaled(_ r: Rect, _ s: Double) -> Rect {
    Rect(x: Int((Double(r.x) * s).rounded()), y: Int((Double(r.y) * s).rounded()),
         width: Int((Double(r.width) * s).rounded()), height: Int((Double(r.height) * s).rounded()))
}

/// The frame the live finder scans (at most its detection width) and the factor from it to `image`.
private func finderFrame(_ image: GrayImage, _ finder: CascadeFaceFinder) -> (GrayImage, Double) {
    guard image.width > finder.detectionWidth else { return (image, 1) }
    let s = Double(image.width) / Double(finder.detectionWidth)
    let height = max(1, Int((Double(image.height) / s).rounded()))
    return (image.resizedBilinear(width: finder.detectionWidth, height: height), s)
}


/// skimage's lfw_subset.npy: 200 little-endian float64 images of 25x25 in 0...1, faces first, then non-faces.
/// The file's own header is checked (type, order, shape) before any value is read.
private func lfwSamples(_ path: String) throws -> VerifierSamples {
    guard let data = FileManager.default.contents(atPath: path) else { throw BenchError("\(path): cannot be read") }
    let bytes = [UInt8](data)
    guard bytes.count > 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8), bytes[6] == 1 else {
        throw BenchError("\(path): not a version-1 .npy file")
    }
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    guard 10 + headerLength <= bytes.count else { throw BenchError("\(path): header runs past the end") }
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    let n = 200, side = 25
    guard header.contains("'descr': '<f8'"), header.contains("'fortran_order': False"), header.contains("(200, 25, 25)"),
          bytes.count == 10 + headerLength + n * side * side * 8 else {
        throw BenchError("\(path): expected 200 float64 images of 25x25, found header \(header)")
    }
    var samples = VerifierSamples()
    for i in 0..<n {
        var pixels = [UInt8](repeating: 0, count: side * side)
        for p in 0..<(side * side) {
            let offset = 10 + headerLength + (i * side * side + p) * 8
            var bits: UInt64 = 0
            for b in 0..<8 { bits |= UInt64(bytes[offset + b]) << (8 * b) }
            pixels[p] = UInt8(max(0, min(255, (Double(bitPattern: bits) * 255).rounded())))
        }
        let image = GrayImage(width: side, height: side, pixels: pixels)
        samples.append(isFace: i < 100, source: "lfw") {
            FaceVerifier.crop(image, box: Rect(x: 0, y: 0, width: side, height: side), angle: 0, into: $0)
        }
    }
    return samples
}
