// The batch's one progress display on stderr, shared by its jobs: inputs done / total, frames per second
// over all jobs, and an ETA from the frames still to do (the mean frames of the inputs finished so far times
// the inputs left, less the frames already done of those in progress). On a terminal a bar redrawn at most
// five times a second, with each input's line printed above it; otherwise (a log file, a pod's output) each
// input's line and a plain progress line every 30 s. Thread-safe: every job's frames come through here.
import Foundation
import Frames

final class BatchProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let bar = ProgressBar(plainInterval: 30)
    private let showsBar: Bool
    private let start = MonotonicClock.now()
    /// Inputs that need replaying (not those done earlier or skipped).
    private let work: Int
    private let total: Int
    private var inputsDone = 0
    private var worked = 0
    /// Frames of the inputs finished so far, and of those in progress.
    private var finishedFrames = 0
    private var framesInProgress = 0

    init(total: Int, work: Int, showsBar: Bool) {
        self.total = total
        self.work = work
        self.showsBar = showsBar
    }

    /// A sink for one input's run: counts its frames into the batch's.
    func sink() -> FrameSink { Counter(progress: self) }

    private final class Counter: FrameSink, @unchecked Sendable {
        let progress: BatchProgress
        init(progress: BatchProgress) { self.progress = progress }
        func pipeline(didProduce result: FrameResult, for frame: Frame) { progress.frame() }
    }

    private func frame() {
        lock.lock()
        framesInProgress += 1
        draw(force: false)
        lock.unlock()
    }

    /// One input finished (`frames` of them, nil when it needed no replay): its line, then the bar again.
    func finished(line: String, frames: Int?, replayed: Bool) {
        lock.lock()
        defer { lock.unlock() }
        inputsDone += 1
        if replayed {
            worked += 1
            finishedFrames += frames ?? 0
            framesInProgress = max(0, framesInProgress - (frames ?? 0))
        }
        if showsBar { bar.finish() }
        note(line)
        draw(force: true)
    }

    /// Clears the bar's line for the batch's last lines.
    func end() {
        lock.lock()
        if showsBar { bar.finish() }
        lock.unlock()
    }

    private func draw(force: Bool) {
        let elapsed = MonotonicClock.now() - start
        // Plain lines (no terminal) only once the batch has run a while: each input's line says the rest.
        guard showsBar, bar.isTerminal || elapsed >= 30 else { return }
        let frames = finishedFrames + framesInProgress
        let rate = Double(frames) / max(elapsed, 1e-9)
        var eta = "--"
        if worked > 0 && rate > 0 {
            let left = Double(finishedFrames) / Double(worked) * Double(work - worked) - Double(framesInProgress)
            eta = ProgressBar.duration(max(left, 0) / rate)
        }
        bar.update("batch", fraction: Double(inputsDone) / Double(max(total, 1)),
                   detail: String(format: "%d/%d inputs · %d frames · %.1f fps · ETA %@", inputsDone, total, frames, rate, eta),
                   force: force && bar.isTerminal)
    }
}
