// The Session feature's hook into `emonet live`: `--record DIR` records from the first frame, and the
// window's `r` key starts and stops recordings (each into a new directory). The pipeline reads the
// camera through a JPEG round trip while recording, so a replay of the session sees exactly the pixels
// the live run processed. A recording that fails (disk full, unwritable directory) says so on stderr
// and stops; the live view goes on, and the run's exit status is then non-zero (see `finish()`).
import Capture
import Foundation
import Pipeline
import RunService
import Session

final class LiveRecording: FrameSink, @unchecked Sendable {
    /// What the pipeline must read (the camera, through the round trip).
    let source: JPEGRoundTripSource
    private let directory: String?
    private let makeManifest: () -> SessionManifest
    private let lock = NSLock()
    private var recorder: SessionRecorder?
    private var finished: [(path: String, recorder: SessionRecorder)] = []

    /// `directory`: record there from the first frame (nil: only when `r` is pressed).
    init(source: FrameSource, directory: String?, makeManifest: @escaping () -> SessionManifest) throws {
        self.source = JPEGRoundTripSource(source, quality: 90, active: directory != nil)
        self.directory = directory
        self.makeManifest = makeManifest
        if let directory { try start(at: directory) }
    }

    private func start(at path: String) throws {
        let recorder = try SessionRecorder(directory: path, manifest: makeManifest())
        recorder.onStop = { error in
            if let error { RunMessages.say("recording stopped: \(error.localizedDescription)") }
        }
        lock.lock()
        self.recorder = recorder
        lock.unlock()
        source.isActive = true
        RunMessages.say("recording to \(path)")
    }

    /// The `r` key: stops the running recording, or starts one in a new directory. Returns whether one runs now.
    func toggle() -> Bool {
        lock.lock()
        let running = recorder
        recorder = nil
        lock.unlock()
        if let running {
            source.isActive = false
            running.stop()
            remember(running)
            return false
        }
        let stamp = DateFormatter()
        stamp.dateFormat = "yyyyMMdd-HHmmss"
        let base = directory.map(OutputPlan.folder(of:)) ?? "."
        let path = (base.isEmpty ? "." : base) + "/emonet-session-\(stamp.string(from: Date()))"
        do {
            try start(at: path)
            return true
        } catch {
            RunMessages.say("cannot start recording: \((error as? LocalizedError)?.errorDescription ?? "\(error)")")
            return false
        }
    }

    private func remember(_ recorder: SessionRecorder) {
        lock.lock()
        finished.append((recorder.directory, recorder))
        lock.unlock()
    }

    func pipeline(didProduce result: FrameResult, for frame: Frame) {
        lock.lock()
        let recorder = recorder
        lock.unlock()
        recorder?.pipeline(didProduce: result, for: frame)
    }

    func pipelineDidFinish(summary: PipelineSummary, error: Error?) {
        lock.lock()
        let recorder = recorder
        self.recorder = nil
        lock.unlock()
        guard let recorder else { return }
        recorder.pipelineDidFinish(summary: summary, error: error)
        remember(recorder)
    }

    /// After the run: waits for the recorders to finish writing and says where each session is.
    /// Returns the error of the first recording that stopped early (disk full, size limit, too slow).
    func finish() -> Error? {
        lock.lock()
        let all = finished
        lock.unlock()
        var firstFailure: Error?
        for (path, recorder) in all {
            recorder.waitUntilIdle()
            if let failure = recorder.failure {
                RunMessages.say("session in \(path) is incomplete (\(recorder.framesWritten) frames kept); replay it with `emonet replay \(path)`")
                if firstFailure == nil { firstFailure = failure }
            } else {
                RunMessages.say("session saved to \(path) (\(recorder.framesWritten) frames); replay it with `emonet replay \(path)`")
            }
        }
        return firstFailure
    }
}
