// `EmoNetBench faces`: the upright frontal scan (FaceDetector.detect, OpenCV-exact) against the
// multi-pose search (MultiPoseDetector) on ../shared/media, at the bench-detector parameters
// (scale 1.1, 5 neighbours, faces from 30 px):
//   - recall on the photos turned 0, ±15, ±30, ±45° (ImageRotation, black corners). Ground truth: the
//     annotated boxes of dlib_faces_training.xml for its photo, and the upright frontal detections of
//     the others; each box's centre is turned with the photo. A face is found when a box's centre lies
//     within half its width of the face's centre and the widths are within 2x; other boxes are counted;
//   - boxes on the no-face photo and on every frame of the no-face clip;
//   - faces per frame on the Pexels and single-face clips (frames where the upright scan has a face that
//     the multi-pose search does not, and frames where only the multi-pose search finds one, by pose);
//   - with a model (--model, default models/emonet.safetensors): how often a face's top label in a turned
//     copy agrees with its label in the upright photo, cropped as an upright box (today's crop) or sampled
//     along the turned box (GrayImage.uprightPatch), for the faces the multi-pose search finds;
//   - time per 640x480 photo: ours frontal, ours multi-pose, OpenCV detectMultiScale, timed in the order
//     OpenCV, frontal, multi, multi, frontal, OpenCV (scripts/bench_opencv_detector.py --serve).
// Photos are scaled to fit 640x480 keeping their shape for recall; timing uses the exact 640x480 copies
// bench-detector times (OpenCV's checksum proves both sides timed the same pixels).
// Options override MultiPoseParameters' defaults (--angles, --rotated-scale, --profile-scale,
// --turned-scale-factor, --lone-factor) to measure other settings; --dump-frames DIR writes the clip frames
// where only the multi-pose search finds a face, boxes drawn; EMONET_FACES_DEBUG=1 prints every box.
import Assets
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging

private struct FacesBenchOptions {
    var media = "../shared/media", python = ".venv/bin/python", out = "bench-results/faces.json"
    var profileCascade = "/usr/share/opencv4/haarcascades/haarcascade_profileface.xml"
    var repeats = 5
    var angles: [Double]?
    var rotatedScale: Double?
    var profileScale: Double?
    var turnedScaleFactor: Double?
    var lone: Double?
    var skipTiming = false
    var skipClips = false
    var dumpFrames: String?
    var model = "models/emonet.safetensors"
    var verifier = DataRoot.find(DataRoot.shippedVerifier) ?? DataRoot.shippedVerifier
    /// Beside --out's file unless given.
    var productOut: String?
    var productOnly = false
}

private struct RecallRow: Encodable {
    var angle: Double
    var faces = 0
    var frontal = SearchCounts(), multi = SearchCounts()
    var meanAngleError = 0.0
}

private struct ClipRow: Encodable {
    var clip: String
    var frames: Int
    /// Frames with a face, and boxes: the upright scan, then the multi-pose search.
    var framesWithFace = [0, 0], boxes = [0, 0]
    var lost = 0
    var onlyMulti: [String: Int] = [:]
}

/// One photo's full-scan times in milliseconds: "frontal" (our upright scan), "multi" (the multi-pose search),
/// "opencv" (detectMultiScale), and with one thread the product path's (the live finder, multi-pose,
/// verified) "productStill" (every scan) and "productVideo" (the mean of six video full scans).
private struct TimingRow: Encodable {
    var image: String
    var threads: Int
    var milliseconds: [String: Double]
    subscript(_ key: String) -> Double { milliseconds[key] ?? 0 }
}

private struct FacesBenchReport: BenchReport {
    static let format = "emonet-faces-bench"
    static let version = 2  // 2: recall and clip rows count per search (frontal, multi)
    var parameters: [String: String]
    var recall: [RecallRow]
    var noFacePhoto: [String: Int]
    var clips: [ClipRow]
    var timing: [TimingRow]
    var timingSummary: [String: Double]
    var labelAgreement: [AgreementRow]
}

private struct AgreementRow: Encodable {
    var angle: Double
    var faces: Int
    /// Same top label as the upright photo's face, crop = the upright box of the face's size at its centre.
    var uprightBox: Int
    /// The same, crop = the turned box sampled upright (GrayImage.uprightPatch).
    var turnedBox: Int
}

/// dlib's training.xml boxes for `file` (its name without the `dlib_` prefix), as upright rects.
func dlibBoxes(xml: String, file: String) -> [Rect] {
    guard let start = xml.range(of: "<image file='\(file)'") else { return [] }
    let rest = xml[start.upperBound...]
    let end = rest.range(of: "</image>")?.lowerBound ?? rest.endIndex
    var boxes: [Rect] = []
    for line in rest[..<end].split(separator: "\n") where line.contains("<box") {
        func value(_ key: String) -> Int? {
            guard let r = line.range(of: "\(key)='") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }
        if let t = value("top"), let l = value("left"), let w = value("width"), let h = value("height") {
            boxes.append(Rect(x: l, y: t, width: w, height: h))
        }
    }
    return boxes
}

/// Gray frames of a video, scaled to `width` (height even, shape kept), decoded by ffmpeg.
func decodeGrayFrames(_ path: String, width: Int) throws -> [GrayImage] {
    let decode = ["ffmpeg", "-v", "error", "-i", path, "-vf", "scale=\(width):-2", "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    let data: Data, first: Data
    do {
        data = try runChild("/usr/bin/env", decode)
        // The height: ask ffmpeg's scale rule (even, from the stream's aspect) through the byte count of a frame.
        first = try runChild("/usr/bin/env", Array(decode.prefix(5)) + ["-frames:v", "1"] + decode.dropFirst(5),
                             standardError: FileHandle.nullDevice)
    } catch {
        throw BenchError("ffmpeg could not decode \(path) (its message is above)")
    }
    guard !first.isEmpty, first.count % width == 0 else { throw BenchError("\(path): no frame decoded") }
    let height = first.count / width, frameBytes = width * height
    let bytes = [UInt8](data)
    return stride(from: 0, to: bytes.count - frameBytes + 1, by: frameBytes).map {
        GrayImage(width: width, height: height, pixels: Array(bytes[$0..<($0 + frameBytes)]))
    }
}

/// Whether a detection box is the face `truth`: centres within half its width, widths within 2x.
func matchesFace(_ box: RotatedBox, _ truth: RotatedBox) -> Bool {
    let ratio = box.width / truth.width
    return ratio >= 0.5 && ratio <= 2 && box.centerDistance(to: truth) < 0.5 * truth.width
}

/// Greedy one-to-one matching of boxes to ground truth: (found, unmatched boxes, angle errors of found faces).
func score(_ boxes: [RotatedBox], truth: [RotatedBox]) -> (found: Int, other: Int, angleErrors: [Double]) {
    let (found, used, errors) = scoreDetail(boxes, truth: truth)
    return (found, used.filter { !$0 }.count, errors)
}

func scoreDetail(_ boxes: [RotatedBox], truth: [RotatedBox]) -> (found: Int, used: [Bool], angleErrors: [Double]) {
    var used = [Bool](repeating: false, count: boxes.count)
    var found = 0
    var errors: [Double] = []
    for t in truth {
        let candidates = boxes.indices.filter { !used[$0] && matchesFace(boxes[$0], t) }
        guard let best = candidates.min(by: { boxes[$0].centerDistance(to: t) < boxes[$1].centerDistance(to: t) }) else { continue }
        used[best] = true
        found += 1
        errors.append(abs(boxes[best].angle - t.angle))
    }
    return (found, used, errors)
}

/// `image` turned `degrees` (ImageRotation, black corners) and its faces' boxes turned with it.
func turnedCopy(_ image: GrayImage, faces: [RotatedBox], degrees: Double) -> (GrayImage, [RotatedBox]) {
    let rotation = ImageRotation(sourceWidth: image.width, sourceHeight: image.height, degrees: degrees)
    return (rotation.apply(to: image), faces.map { f in
        let c = rotation.canvasPoint(x: f.centerX, y: f.centerY)
        return RotatedBox(centerX: c.x, centerY: c.y, width: f.width, height: f.height, angle: degrees)
    })
}

func runFacesBench(_ arguments: [String]) throws {
    var o = FacesBenchOptions()
    try BenchArguments.read(arguments, [
        "--media": .text { o.media = $0 }, "--python": .text { o.python = $0 }, "--out": .text { o.out = $0 },
        "--profile-cascade": .text { o.profileCascade = $0 }, "--model": .text { o.model = $0 },
        "--repeats": .number(in: 1...10_000) { o.repeats = $0 },
        "--angles": .text { text in
            let list = text.split(separator: ",").compactMap { Double($0) }
            guard !list.isEmpty else { throw BenchError("--angles needs numbers separated by commas") }
            o.angles = list
        },
        "--rotated-scale": .number(in: 0.01...1) { o.rotatedScale = $0 },
        "--profile-scale": .number(in: 0.01...1) { o.profileScale = $0 },
        "--turned-scale-factor": .number(in: 1.01...10) { o.turnedScaleFactor = $0 },
        "--lone-factor": .number(in: 0...100) { o.lone = $0 },
        "--skip-timing": .flag { o.skipTiming = true }, "--skip-clips": .flag { o.skipClips = true },
        "--dump-frames": .text { o.dumpFrames = $0 },
        "--verifier": .text { o.verifier = $0 }, "--product-only": .flag { o.productOnly = true },
    ])
    try BenchResults.checkReplaceable(o.out, format: FacesBenchReport.format)
    let productOut = o.productOut ?? URL(fileURLWithPath: o.out).deletingLastPathComponent().appendingPathComponent("faces-product.json").path
    let frontalDetector = FaceDetector(cascade: try CascadeLocator.load(path: nil))
    let profileDetector = FaceDetector(cascade: try CascadeLocator.load(path: o.profileCascade))
    let multi = MultiPoseDetector(frontal: frontalDetector, profile: profileDetector)
    let base = DetectionParameters(scaleFactor: 1.1, minNeighbors: 5, minSize: PixelSize(30), threads: 1)
    var parameters = MultiPoseParameters(frontal: base)
    if let a = o.angles { parameters.angles = a }
    if let s = o.rotatedScale { parameters.rotatedScale = s }
    if let s = o.profileScale { parameters.profileScale = s }
    if let s = o.turnedScaleFactor { parameters.turnedScaleFactor = s }
    if let s = o.lone { parameters.loneNeighborFactor = s }
    print("parameters: frontal (1.1, 5, 30); angles \(parameters.angles); turned frames x\(parameters.rotatedScale); profiles x\(parameters.profileScale); turned scale step \(parameters.turnedScaleFactor); lone factor \(parameters.loneNeighborFactor)")

    let files = try FileManager.default.contentsOfDirectory(atPath: o.media).sorted()
    let photos = try listPhotos(in: o.media).filter { !$0.contains("no-face") }
    let dlibXML = (try? String(contentsOfFile: "\(o.media)/dlib_faces_training.xml", encoding: .isoLatin1)) ?? ""

    // MARK: - Recall on turned photos
    var truthByPhoto: [(name: String, image: GrayImage, faces: [RotatedBox])] = []
    for photo in photos {
        let full = try ImageFile.readGray(path: "\(o.media)/\(photo)")
        let image = fittedTo640x480(full)
        var faces: [RotatedBox]
        if photo.hasPrefix("dlib_"), !dlibXML.isEmpty {
            let s = Double(image.width) / Double(full.width)
            faces = dlibBoxes(xml: dlibXML, file: String(photo.dropFirst(5))).map { r in
                RotatedBox(centerX: (Double(r.x) + Double(r.width) / 2) * s, centerY: (Double(r.y) + Double(r.height) / 2) * s,
                           width: Double(r.width) * s, height: Double(r.height) * s, angle: 0)
            }
        } else {
            faces = frontalDetector.detect(image, parameters: base).map { RotatedBox($0.box) }
        }
        print("\(photo): \(image.width)x\(image.height), \(faces.count) face\(faces.count == 1 ? "" : "s") upright")
        truthByPhoto.append((photo, image, faces))
    }
    if o.productOnly {
        try runProductFacesBench(truth: truthByPhoto, media: o.media, files: files, profileCascade: o.profileCascade,
                                 verifierPath: o.verifier, skipClips: o.skipClips, skipTiming: o.skipTiming, repeats: o.repeats,
                                 out: productOut)
        return
    }
    var recall: [RecallRow] = []
    print("\nangle  faces  frontal found  multi found  other boxes (frontal/multi)  mean angle error (multi)")
    for magnitude in [0.0, 15, 30, 45] {
        var row = RecallRow(angle: magnitude)
        var errors: [Double] = []
        for signed in magnitude == 0 ? [0.0] : [-magnitude, magnitude] {
            for (_, image, faces) in truthByPhoto {
                let (turned, truth) = turnedCopy(image, faces: faces, degrees: signed)
                let upright = frontalDetector.detect(turned, parameters: base).map { RotatedBox($0.box) }
                let detections = multi.detect(turned, parameters: parameters)
                let all = detections.map(\.box)
                let a = score(upright, truth: truth), b = score(all, truth: truth)
                if ProcessInfo.processInfo.environment["EMONET_FACES_DEBUG"] != nil {
                    let used = scoreDetail(all, truth: truth).used
                    for (d, u) in zip(detections, used) {
                        print("debug \(u ? "true " : "false") \(d.pose.rawValue) angle \(d.angle) neighbors \(d.neighbors) support \(d.support) at \(signed)")
                    }
                }
                row.faces += truth.count
                row.frontal.add(a)
                row.multi.add(b)
                errors += b.angleErrors
            }
        }
        row.meanAngleError = errors.isEmpty ? 0 : errors.reduce(0, +) / Double(errors.count)
        recall.append(row)
        print(String(format: "%4.0f°  %5d  %6d (%3.0f%%)  %5d (%3.0f%%)  %8d / %d  %10.1f°", magnitude, row.faces,
                     row.frontal.found, 100 * Double(row.frontal.found) / Double(max(row.faces, 1)),
                     row.multi.found, 100 * Double(row.multi.found) / Double(max(row.faces, 1)),
                     row.frontal.other, row.multi.other, row.meanAngleError))
    }

    // MARK: - No-face media and clips
    var noFace: [String: Int] = [:]
    if let name = files.first(where: { $0.contains("no-face") && ($0.hasSuffix(".jpg") || $0.hasSuffix(".png")) }) {
        let image = fittedTo640x480(try ImageFile.readGray(path: "\(o.media)/\(name)"))
        noFace["frontal"] = frontalDetector.detect(image, parameters: base).count
        let found = multi.detect(image, parameters: parameters)
        noFace["multi"] = found.count
        if ProcessInfo.processInfo.environment["EMONET_FACES_DEBUG"] != nil {
            for d in found { print("debug no-face \(d.pose.rawValue) angle \(d.angle) neighbors \(d.neighbors) support \(d.support) \(d.box)") }
        }
        print("\n\(name) (\(image.width)x\(image.height)): frontal \(noFace["frontal"]!) boxes, multi-pose \(noFace["multi"]!)")
    }
    var clips: [ClipRow] = []
    print("\nclip (640 wide)                     frames  with a face: frontal  multi  lost  only multi (by pose)   boxes frontal/multi")
    for clip in files.filter({ $0.hasSuffix(".mp4") }) where !o.skipClips {
        let frames = try decodeGrayFrames("\(o.media)/\(clip)", width: 640)
        var row = ClipRow(clip: clip, frames: frames.count)
        for (index, frame) in frames.enumerated() {
            let upright = frontalDetector.detect(frame, parameters: base)
            let found = multi.detect(frame, parameters: parameters)
            row.boxes[0] += upright.count
            row.boxes[1] += found.count
            if !upright.isEmpty { row.framesWithFace[0] += 1 }
            if !found.isEmpty { row.framesWithFace[1] += 1 }
            // Lost: an upright face with no multi-pose box on it.
            if upright.contains(where: { u in !found.contains { matchesFace($0.box, RotatedBox(u.box)) } }) { row.lost += 1 }
            if ProcessInfo.processInfo.environment["EMONET_FACES_DEBUG"] != nil {
                for d in found where !upright.contains(where: { matchesFace(d.box, RotatedBox($0.box)) }) {
                    print("debug \(clip) \(index) \(d.pose.rawValue) angle \(d.angle) neighbors \(d.neighbors) support \(d.support) at \(Int(d.box.centerX)),\(Int(d.box.centerY)) w \(Int(d.box.width)) uprightFaces \(upright.count)")
                }
            }
            if upright.isEmpty, let first = found.first {
                row.onlyMulti[first.pose.rawValue, default: 0] += 1
                if let dump = o.dumpFrames {
                    try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                    var rgb = RGBImage(gray: frame)
                    for f in found { rgb.strokeRectangle(f.box.boundingRect, color: .green, thickness: 2) }
                    try ImageFile.writePNG(rgb, path: "\(dump)/\(clip)-\(index)-\(first.pose.rawValue)-\(Int(first.angle)).png")
                }
            }
        }
        clips.append(row)
        let only = row.onlyMulti.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print(clip.padding(toLength: 36, withPad: " ", startingAt: 0)
              + String(format: "%6d  %20d  %5d  %4d  ", row.frames, row.framesWithFace[0], row.framesWithFace[1], row.lost)
              + (only.isEmpty ? "-" : only).padding(toLength: 22, withPad: " ", startingAt: 0)
              + "\(row.boxes[0])/\(row.boxes[1])")
    }

    // MARK: - Label agreement: upright photo vs turned copies
    var agreement: [AgreementRow] = []
    if FileManager.default.fileExists(atPath: o.model) {
        let classifier = try EmotionClassifier(path: o.model)
        func label(_ image: GrayImage, _ box: Rect) throws -> Int {
            let p = try classifier.classify(image, faces: [box])[0]
            return p.indices.max { p[$0] < p[$1] }!
        }
        print("\nlabel agreement with the upright photo (\(o.model)): crop of the upright box vs of the turned box, faces both searches find")
        print("angle  faces  upright-box crop  turned-box crop")
        for magnitude in [0.0, 15, 30, 45] {
            var row = AgreementRow(angle: magnitude, faces: 0, uprightBox: 0, turnedBox: 0)
            for signed in magnitude == 0 ? [0.0] : [-magnitude, magnitude] {
                for (_, image, faces) in truthByPhoto {
                    let rotation = ImageRotation(sourceWidth: image.width, sourceHeight: image.height, degrees: signed)
                    let turned = rotation.apply(to: image)
                    let found = multi.detect(turned, parameters: parameters)
                    for f in faces {
                        let c = rotation.canvasPoint(x: f.centerX, y: f.centerY)
                        let truth = RotatedBox(centerX: c.x, centerY: c.y, width: f.width, height: f.height, angle: signed)
                        guard let d = found.filter({ matchesFace($0.box, truth) }).min(by: { $0.box.centerDistance(to: truth) < $1.box.centerDistance(to: truth) }) else { continue }
                        let reference = try label(image, Rect(x: Int((f.centerX - f.width / 2).rounded()), y: Int((f.centerY - f.height / 2).rounded()),
                                                              width: Int(f.width.rounded()), height: Int(f.height.rounded())))
                        let w = Int(d.box.width.rounded()), h = Int(d.box.height.rounded())
                        let upright = Rect(x: Int((d.box.centerX - d.box.width / 2).rounded()), y: Int((d.box.centerY - d.box.height / 2).rounded()), width: w, height: h)
                        let patch = turned.uprightPatch(centerX: d.box.centerX, centerY: d.box.centerY, width: w, height: h, degrees: d.angle)
                        row.faces += 1
                        if try label(turned, upright) == reference { row.uprightBox += 1 }
                        if try label(patch, Rect(x: 0, y: 0, width: w, height: h)) == reference { row.turnedBox += 1 }
                    }
                }
            }
            agreement.append(row)
            print(String(format: "%4.0f°  %5d  %9d (%3.0f%%)  %8d (%3.0f%%)", magnitude, row.faces, row.uprightBox,
                         100 * Double(row.uprightBox) / Double(max(row.faces, 1)), row.turnedBox, 100 * Double(row.turnedBox) / Double(max(row.faces, 1))))
        }
    } else {
        print("\nno model at \(o.model): label agreement skipped (--model PATH)")
    }

    // MARK: - Time per 640x480 photo
    var timing: [TimingRow] = []
    var summary: [String: Double] = [:]
    if !o.skipTiming {
        let server = try OpenCVServer(python: o.python)
        defer { server.close() }
        print("\nOpenCV \(server.version); time per 640x480 photo, each side the median of \(2 * o.repeats) runs")
        let product = try ProductFinders(profileCascade: o.profileCascade, verifier: FaceVerifier.read(path: o.verifier))
        print("image                     threads  frontal ms  multi ms  OpenCV ms  multi/OpenCV  multi/frontal  product still / video ms")
        func time(_ body: () -> Void) -> [Double] { timedRuns(repeats: o.repeats, warmup: 2, body).map { $0 * 1000 } }
        for threads in [1, 2] {
            var p = parameters
            p.frontal.threads = threads
            for photo in photos + files.filter({ $0.contains("no-face") && $0.hasSuffix(".jpg") }) {
                let path = "\(o.media)/\(photo)"
                let gray = try ImageFile.readGray(path: path).resizedBilinear(width: 640, height: 480)
                var f1: [Double] = [], m1: [Double] = [], m2: [Double] = [], f2: [Double] = [], still: [Double] = [], video: [Double] = []
                let opencv = try server.timeAround({
                    f1 = time { _ = frontalDetector.detect(gray, parameters: p.frontal) }
                    m1 = time { _ = multi.detect(gray, parameters: p) }
                    if threads == 1 {
                        still = time { _ = product.verified.locateFaces(in: gray) }
                        video = time { for k in 0..<6 { _ = product.verified.locateFaces(in: gray, fullScan: k) } }.map { $0 / 6 }
                    }
                    m2 = time { _ = multi.detect(gray, parameters: p) }
                    f2 = time { _ = frontalDetector.detect(gray, parameters: p.frontal) }
                }, photo: path, gray: gray, parameters: p.frontal, minSize: 30, repeats: o.repeats)
                var times = ["frontal": median(f1 + f2), "multi": median(m1 + m2), "opencv": median(opencv.times)]
                if threads == 1 { (times["productStill"], times["productVideo"]) = (median(still), median(video)) }
                let row = TimingRow(image: photo, threads: threads, milliseconds: times)
                timing.append(row)
                print(photo.padding(toLength: 26, withPad: " ", startingAt: 0)
                      + String(format: "%7d  %10.1f  %8.1f  %9.1f  %12.2f  %13.2f", threads, row["frontal"], row["multi"], row["opencv"],
                               row["multi"] / row["opencv"], row["multi"] / row["frontal"])
                      + (threads == 1 ? String(format: "  %10.1f / %.1f", row["productStill"], row["productVideo"]) : ""))
            }
            let rows = timing.filter { $0.threads == threads }
            let f = rows.map { $0["frontal"] }.reduce(0, +), m = rows.map { $0["multi"] }.reduce(0, +), c = rows.map { $0["opencv"] }.reduce(0, +)
            summary["threads\(threads).multiOverOpenCV"] = m / c
            summary["threads\(threads).frontalOverOpenCV"] = f / c
            summary["threads\(threads).multiOverFrontal"] = m / f
            if threads == 1 {
                let still = rows.map { $0["productStill"] }.reduce(0, +), video = rows.map { $0["productVideo"] }.reduce(0, +)
                summary["product.stillOverOpenCV"] = still / c
                summary["product.videoOverOpenCV"] = video / c
                print(String(format: "product path (live finder, multi-pose, verified), all photos: still %.1f ms (%.2fx OpenCV), video full scan %.1f ms (%.2fx OpenCV)",
                             still, still / c, video, video / c))
            }
            print(String(format: "threads %d, all photos: frontal %.1f ms, multi-pose %.1f ms, OpenCV %.1f ms; multi/OpenCV %.2f, frontal/OpenCV %.2f, multi/frontal %.2f",
                         threads, f, m, c, m / c, f / c, m / f))
        }
    }

    try runProductFacesBench(truth: truthByPhoto, media: o.media, files: files, profileCascade: o.profileCascade,
                             verifierPath: o.verifier, skipClips: o.skipClips, skipTiming: o.skipTiming, repeats: o.repeats,
                             out: productOut)

    let report = FacesBenchReport(
        parameters: ["frontal": "scaleFactor 1.1, minNeighbors 5, minSize 30", "angles": "\(parameters.angles)",
                     "rotatedScale": "\(parameters.rotatedScale)", "profileScale": "\(parameters.profileScale)"],
        recall: recall, noFacePhoto: noFace, clips: clips, timing: timing, timingSummary: summary, labelAgreement: agreement)
    try BenchResults.write(report: report, to: o.out)
    print("wrote \(o.out)")
}
