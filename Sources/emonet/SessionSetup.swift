// What `emonet replay` and `emonet live --record` share: the fingerprint of the model, cascade and
// pipeline settings a session is recorded with (so a replay can say what changed), the session
// manifest for a new recording, and the progress line of a long replay.
import FaceDetection
import Foundation
import Pipeline
import Session

enum SessionSetup {
    /// A readable description of the finder's parameters, stored in session.json and compared on replay.
    static func detectorDescription(_ finder: CascadeFaceFinder) -> String {
        let p = finder.parameters, r = finder.regionParameters
        return String(format: "full: scale %g, neighbours %d, min %dx%d at width %d; regional: scale %g, neighbours %d, margin %g, sizes within %gx",
                      p.scaleFactor, p.minNeighbors, p.minSize.width, p.minSize.height, finder.detectionWidth,
                      r.scaleFactor, r.minNeighbors, finder.regionMargin, finder.regionSizeRange)
    }

    static func settings(_ configuration: PipelineConfiguration, finder: CascadeFaceFinder) -> SessionSettings {
        SessionSettings(detectEvery: configuration.detectEvery, smoothing: (Double(configuration.smoothing) * 1e6).rounded() / 1e6,
                        matchThreshold: configuration.matchThreshold, maxMissedFrames: configuration.maxMissedFrames,
                        detector: detectorDescription(finder), views: configuration.views,
                        poses: finder.poseSearch == nil ? "frontal" : "multi", verified: finder.verifier != nil)
    }

    /// The manifest of a new recording from `source`.
    static func manifest(source: FrameSource, modelPath: String, cascadePath: String?,
                         configuration: PipelineConfiguration, finder: CascadeFaceFinder, jpegQuality: Int = 90) -> SessionManifest {
        SessionManifest(softwareVersion: EmoNet.version,
                        source: .init(description: source.description, width: source.width, height: source.height,
                                      framesPerSecond: source.framesPerSecond),
                        model: FileFingerprint.of(path: modelPath),
                        cascade: FileFingerprint.of(path: CascadeLocator.resolve(cascadePath)),
                        settings: settings(configuration, finder: finder), jpegQuality: jpegQuality)
    }
}

/// Draws a progress bar with ETA on stderr as frames are processed (processing queue).
final class ReplayProgressSink: FrameSink, @unchecked Sendable {
    private let bar = ProgressBar(plainInterval: 10)
    private let total: Int?
    private let start = MonotonicClock.now()
    private var done = 0

    init(total: Int?) { self.total = total.flatMap { $0 > 0 ? $0 : nil } }

    func pipeline(didProduce result: FrameResult, for frame: Frame) {
        done += 1
        let elapsed = MonotonicClock.now() - start
        let rate = Double(done) / max(elapsed, 1e-9)
        if let total {
            let eta = Double(max(total - done, 0)) / max(rate, 1e-9)
            bar.update("replay", fraction: Double(done) / Double(total),
                       detail: String(format: "%d/%d frames · %.1f fps · ETA %@", done, total, rate, ProgressBar.duration(eta)))
        } else {
            bar.update("replay", fraction: 0, detail: String(format: "%d frames · %.1f fps", done, rate))
        }
    }

    func pipelineDidFinish(summary: PipelineSummary, error: Error?) { bar.finish() }
}

/// Frames in a video, estimated before decoding (for the progress bar): exact for .y4m, from the
/// container's duration for anything else; nil when unknown.
enum VideoFrameCount {
    /// `duration`: the container's, when the source already knows it (ffmpeg reports it as it starts).
    static func estimate(path: String, width: Int, height: Int, framesPerSecond: Double, duration: Double? = nil) -> Int? {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if let handle = FileHandle(forReadingAtPath: path), let head = try? handle.read(upToCount: 256),
           head.starts(with: Data("YUV4MPEG2 ".utf8)), let newline = head.firstIndex(of: 0x0A) {
            try? handle.close()
            // Every frame is "FRAME\n" plus the planes; assume 4:2:0 unless the header says otherwise.
            let header = String(decoding: head[..<newline], as: UTF8.self)
            let chroma = header.contains("C444") ? 2 * width * height : header.contains("C422") ? width * height
                       : header.contains("Cmono") ? 0 : 2 * ((width + 1) / 2) * ((height + 1) / 2)
            return (size - newline - 1) / (6 + width * height + chroma)
        }
        if let duration, framesPerSecond > 0 { return Int((duration * framesPerSecond).rounded()) }
        let process = Process(), output = Pipe()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path]
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let duration = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), framesPerSecond > 0 else { return nil }
        return Int((duration * framesPerSecond).rounded())
    }
}
