// `EmoNetBench scans --media DIR [--repeats N] [--clips a.mp4,b.mp4]`: what each search of the live face
// finder costs per frame on the ../shared clips (frames decoded once, at their own size), with the replay's
// finder (frontal and profile cascades, the verifier): the upright full scan, each of the multi-pose
// search's other scans (turned angles, profile sides), and the regional search around the faces the
// upright scan found (the search between full scans). Each figure is the fastest of N passes over all
// frames (noise on a shared machine only adds time), in ms per frame; JSON in bench-results/scans.json.
// --no-verifier leaves the verifier out, to see its share.
import Emotion
import FaceDetection
import Foundation
import Imaging
import NeuralNet
import Pipeline

struct ScanRow: Encodable {
    var clip: String
    var search: String
    var msPerFrame: Double
    var faces: Int
}

struct ScanReport: BenchReport {
    static let format = "emonet-scans-bench"
    var repeats: Int
    var rows: [ScanRow]
}

func runScanBench(_ arguments: [String]) throws {
    var media = "../shared/media", repeats = 5, out = "bench-results/scans.json", useVerifier = true
    var clips = ["pyfeat_single_face.mp4", "pyfeat_no_face.mp4", "pyfeat_WolfgangLanger_Pexels.mp4"]
    try BenchArguments.read(arguments, [
        "--media": .text { media = $0 }, "--out": .text { out = $0 },
        "--repeats": .number(in: 1...1000) { repeats = $0 },
        "--clips": .text { clips = $0.split(separator: ",").map(String.init) },
        "--no-verifier": .flag { useVerifier = false },
    ])
    try BenchResults.checkReplaceable(out, format: ScanReport.format)
    for clip in clips where !FileManager.default.fileExists(atPath: "\(media)/\(clip)") {
        print("scans bench: \(media)/\(clip) absent, nothing measured")
        return
    }
    let frontal = FaceDetector(cascade: try CascadeLocator.load(path: nil))
    let profile = FaceDetector(cascade: try CascadeLocator.load(path: MultiPoseDetector.defaultProfileCascadePath))
    let search = MultiPoseDetector(frontal: frontal, profile: profile)
    let verifierPath = "models/face-verifier.safetensors"
    let verifier = useVerifier && FileManager.default.fileExists(atPath: verifierPath) ? try FaceVerifier(file: try ModelFile.read(path: verifierPath)) : nil
    var parameters = CascadeFaceFinder.defaultParameters
    parameters.threads = 1
    let finder = CascadeFaceFinder(detector: frontal, parameters: parameters, regionThreads: 1, poseSearch: search, verifier: verifier)
    let others = search.scanCount(finder.multiPoseParameters) - 1
    print("searches of the live finder, fastest of \(repeats) passes, ms per frame (verifier: \(verifier == nil ? "none" : verifierPath))")
    print("clip                                search              ms/frame   faces")
    var rows: [ScanRow] = []
    for clip in clips {
        let path = "\(media)/\(clip)"
        let frames = try decodeGrayFrames(path, width: try videoWidth(path))
        let tracked = frames.map { finder.locateUprightFaces(in: $0) }
        var searches: [(String, (GrayImage, Int) -> Int)] = [("upright", { image, _ in finder.locateUprightFaces(in: image).count })]
        for k in 0..<others {
            // MultiPoseDetector.scans' order: the turned angles, then the profile cascade as is and mirrored.
            let angles = finder.multiPoseParameters.angles.filter { $0 != 0 }
            let name = k < angles.count ? "turned \(Int(angles[k]))" : "profile \(k == angles.count ? "as is" : "mirrored")"
            searches.append((name, { image, _ in finder.locateFaces(in: image, poseScan: k).count }))
        }
        searches.append(("around faces", { image, index in finder.locateFaces(in: image, around: tracked[index]).count }))
        for (name, body) in searches {
            var faces = 0
            let times = timedRuns(repeats: repeats, warmup: 1) {
                faces = 0
                for (index, frame) in frames.enumerated() { faces += body(frame, index) }
            }
            let ms = times.min()! * 1000 / Double(frames.count)
            rows.append(ScanRow(clip: clip, search: name, msPerFrame: ms, faces: faces))
            print(clip.padding(toLength: 36, withPad: " ", startingAt: 0) + name.padding(toLength: 18, withPad: " ", startingAt: 0)
                  + String(format: "%9.3f %7d", ms, faces))
        }
    }
    try BenchResults.write(report: ScanReport(repeats: repeats, rows: rows), to: out)
}

/// The width of a video's frames (ffprobe).
func videoWidth(_ path: String) throws -> Int {
    let data = try runChild("/usr/bin/env", ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width",
                                             "-of", "csv=p=0", path])
    guard let width = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw BenchError("\(path): ffprobe gave no width")
    }
    return width
}
