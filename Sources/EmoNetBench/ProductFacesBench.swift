// The product path's half of `EmoNetBench faces` (make bench-faces): what classify, live and replay find
// with the live finder (the frame scaled to 320 px wide, scale step 1.2, 4 neighbours, faces from 24 px
// there) before this round (upright frontal scan, every box kept) and now (multi-pose scan, each face
// checked by the face verifier), on the same photos and clips as the detect-level rows above:
//   - recall and other boxes on the photos turned 0, ±15, ±30, ±45° (the same ground truth);
//   - boxes on the no-face photo and on every frame of the no-face clip;
//   - per clip, frames with a face, and frames where today's search has a face that the new one loses;
//   - time of a full scan of each 640x480 photo (one thread, median of the repeats): frontal, multi-pose,
//     multi-pose + verifier.
// Also the verifier's effect alone: multi-pose boxes with and without it.
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging
import Pipeline

/// Faces found and boxes matching no face, for one search.
struct SearchCounts: Encodable {
    var found = 0
    var other = 0

    mutating func add(_ score: (found: Int, other: Int, angleErrors: [Double])) {
        found += score.found
        other += score.other
    }
}

struct ProductRecallRow: Encodable {
    var angle: Double
    var faces = 0
    var frontal = SearchCounts(), multi = SearchCounts(), verified = SearchCounts()
}

struct ProductClipRow: Encodable {
    var clip: String
    var frames: Int
    /// Frames with a face before (frontal) and now (multi-pose, verified), and their boxes.
    var framesWithFace = [0, 0], boxes = [0, 0]
    /// Frames where today's search has a face and the new one none.
    var lost = 0
    /// Today's boxes the new search has no box on (each a face lost or a false box dropped).
    var dropped = 0
}

/// Milliseconds of a full scan: frontal, multi-pose, multi-pose + verifier.
struct ProductTimingRow: Encodable {
    var image: String
    var milliseconds: [Double]
}

struct ProductFacesReport: BenchReport {
    static let format = "emonet-faces-product-bench"
    var verifier: String
    var recall: [ProductRecallRow]
    var noFacePhoto: [String: Int]
    var clips: [ProductClipRow]
    var timing: [ProductTimingRow]
}

/// The live finder three ways: frontal as before, multi-pose, multi-pose + verifier (one cascade read).
struct ProductFinders {
    let frontal: CascadeFaceFinder
    let multi: CascadeFaceFinder
    let verified: CascadeFaceFinder

    init(profileCascade: String, verifier: FaceVerifier) throws {
        let detector = FaceDetector(cascade: try CascadeLocator.load(path: nil))
        let search = MultiPoseDetector(frontal: detector, profile: FaceDetector(cascade: try CascadeLocator.load(path: profileCascade)))
        var p = CascadeFaceFinder.defaultParameters
        p.threads = 1
        frontal = CascadeFaceFinder(detector: detector, parameters: p)
        multi = CascadeFaceFinder(detector: detector, parameters: p, poseSearch: search)
        verified = CascadeFaceFinder(detector: detector, parameters: p, poseSearch: search, verifier: verifier)
    }
}

private func rotated(_ faces: [FoundFace]) -> [RotatedBox] {
    faces.map { f in
        RotatedBox(centerX: Double(f.box.x) + Double(f.box.width) / 2, centerY: Double(f.box.y) + Double(f.box.height) / 2,
                   width: Double(f.box.width), height: Double(f.box.height), angle: f.angle)
    }
}

func runProductFacesBench(truth: [(name: String, image: GrayImage, faces: [RotatedBox])], media: String, files: [String],
                          profileCascade: String, verifierPath: String, skipClips: Bool, skipTiming: Bool, repeats: Int,
                          out: String) throws {
    try BenchResults.checkReplaceable(out, format: ProductFacesReport.format)
    let verifier = try FaceVerifier.read(path: verifierPath)
    let finders = try ProductFinders(profileCascade: profileCascade, verifier: verifier)
    print("\nThe product path (classify, live, replay: the live finder at 320 px wide, 1.2, 4 neighbours, 24 px): "
          + "before (frontal) and now (multi-pose + verifier \(verifierPath), threshold \(verifier.threshold))")
    print("angle  faces  found: frontal  multi  multi+verified   other boxes: frontal / multi / multi+verified")
    var recall: [ProductRecallRow] = []
    for magnitude in [0.0, 15, 30, 45] {
        var row = ProductRecallRow(angle: magnitude)
        for signed in magnitude == 0 ? [0.0] : [-magnitude, magnitude] {
            for (_, image, faces) in truth {
                let (turned, expected) = turnedCopy(image, faces: faces, degrees: signed)
                let a = score(rotated(finders.frontal.locateFaces(in: turned)), truth: expected)
                let multi = finders.multi.locateFaces(in: turned)
                let b = score(rotated(multi), truth: expected)
                let kept = finders.verified.locateFaces(in: turned)
                let c = score(rotated(kept), truth: expected)
                if let dump = ProcessInfo.processInfo.environment["EMONET_FACES_DUMP"], c.other > 0 {
                    try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                    var rgb = RGBImage(gray: turned)
                    for r in rotated(kept) {
                        let matched = expected.contains { matchesFace(r, $0) }
                        rgb.strokePolygon(r.corners, color: matched ? .green : .red, thickness: 2)
                    }
                    try ImageFile.writePNG(rgb, path: "\(dump)/photo-\(Int(signed))-\(truth.firstIndex { $0.image == image } ?? 0).png")
                }
                row.faces += expected.count
                row.frontal.add(a)
                row.multi.add(b)
                row.verified.add(c)
            }
        }
        recall.append(row)
        func pct(_ n: Int) -> String { String(format: "%d (%.0f%%)", n, 100 * Double(n) / Double(max(row.faces, 1))) }
        print(String(format: "%4.0f°  %5d  ", magnitude, row.faces)
              + "\(pct(row.frontal.found).padding(toLength: 14, withPad: " ", startingAt: 0))"
              + "\(pct(row.multi.found).padding(toLength: 10, withPad: " ", startingAt: 0))"
              + "\(pct(row.verified.found).padding(toLength: 17, withPad: " ", startingAt: 0))"
              + "\(row.frontal.other) / \(row.multi.other) / \(row.verified.other)")
    }

    var noFace: [String: Int] = [:]
    if let name = files.first(where: { $0.contains("no-face") && ($0.hasSuffix(".jpg") || $0.hasSuffix(".png")) }) {
        let image = try ImageFile.readGray(path: "\(media)/\(name)")
        noFace["frontal"] = finders.frontal.locateFaces(in: image).count
        noFace["multi"] = finders.multi.locateFaces(in: image).count
        noFace["verified"] = finders.verified.locateFaces(in: image).count
        print("\(name): boxes frontal \(noFace["frontal"]!), multi \(noFace["multi"]!), multi+verified \(noFace["verified"]!)")
    }

    var clips: [ProductClipRow] = []
    if !skipClips {
        print("clip (640 wide, a full scan on every frame)  frames  with a face: before  now  frames lost  boxes before/now  before's boxes not kept")
        for clip in files.filter({ $0.hasSuffix(".mp4") }) {
            let frames = try decodeGrayFrames("\(media)/\(clip)", width: 640)
            var row = ProductClipRow(clip: clip, frames: frames.count)
            for frame in frames {
                let before = rotated(finders.frontal.locateFaces(in: frame))
                let now = rotated(finders.verified.locateFaces(in: frame))
                row.boxes[0] += before.count
                row.boxes[1] += now.count
                if !before.isEmpty { row.framesWithFace[0] += 1 }
                if !now.isEmpty { row.framesWithFace[1] += 1 }
                let gone = before.filter { b in !now.contains { matchesFace($0, b) } }
                row.dropped += gone.count
                if !before.isEmpty && now.isEmpty { row.lost += 1 }
                if !gone.isEmpty {
                    if let dump = ProcessInfo.processInfo.environment["EMONET_FACES_DUMP"] {
                        try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
                        var rgb = RGBImage(gray: frame)
                        for b in before { rgb.strokePolygon(b.corners, color: .green, thickness: 2) }
                        for n in now { rgb.strokePolygon(n.corners, color: .red, thickness: 2) }
                        let multi = rotated(finders.multi.locateFaces(in: frame))
                        for m in multi { rgb.strokePolygon(m.corners, color: RGBColor(red: 255, green: 255, blue: 0), thickness: 1) }
                        try ImageFile.writePNG(rgb, path: "\(dump)/\(clip)-\(row.boxes[0]).png")
                    }
                }
            }
            clips.append(row)
            print(clip.padding(toLength: 44, withPad: " ", startingAt: 0)
                  + String(format: "%6d  %19d  %3d  %11d  %16@  %d", row.frames, row.framesWithFace[0], row.framesWithFace[1], row.lost,
                           "\(row.boxes[0])/\(row.boxes[1])", row.dropped))
        }
    }

    var timing: [ProductTimingRow] = []
    if !skipTiming {
        func median(_ body: () -> Void) -> Double {
            body()
            let times = (0..<repeats).map { _ -> Double in
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
            }.sorted()
            return times[times.count / 2]
        }
        print("full scan of a 640x480 photo, one thread, median of \(repeats): frontal ms  multi ms  multi+verified ms")
        for (name, _, _) in truth {
            let gray = try ImageFile.readGray(path: "\(media)/\(name)").resizedBilinear(width: 640, height: 480)
            // Interleaved: frontal, multi, verified, verified, multi, frontal.
            let f1 = median { _ = finders.frontal.locateFaces(in: gray) }
            let m1 = median { _ = finders.multi.locateFaces(in: gray) }
            let v1 = median { _ = finders.verified.locateFaces(in: gray) }
            let v2 = median { _ = finders.verified.locateFaces(in: gray) }
            let m2 = median { _ = finders.multi.locateFaces(in: gray) }
            let f2 = median { _ = finders.frontal.locateFaces(in: gray) }
            let row = ProductTimingRow(image: name, milliseconds: [(f1 + f2) / 2, (m1 + m2) / 2, (v1 + v2) / 2])
            timing.append(row)
            print(name.padding(toLength: 26, withPad: " ", startingAt: 0)
                  + String(format: "%10.1f  %8.1f  %16.1f", row.milliseconds[0], row.milliseconds[1], row.milliseconds[2]))
        }
        let f = timing.map { $0.milliseconds[0] }.reduce(0, +), m = timing.map { $0.milliseconds[1] }.reduce(0, +)
        let v = timing.map { $0.milliseconds[2] }.reduce(0, +)
        print(String(format: "all photos: frontal %.1f ms, multi %.1f ms, multi+verified %.1f ms (%.2fx frontal)", f, m, v, v / max(f, 1e-9)))
    }

    let report = ProductFacesReport(verifier: verifierPath, recall: recall, noFacePhoto: noFace, clips: clips, timing: timing)
    try BenchResults.write(report: report, to: out)
    print("wrote \(out)")
}
