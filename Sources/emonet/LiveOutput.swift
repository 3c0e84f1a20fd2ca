// Where `emonet live` sends results when it has no window: one JSON line per processed frame on
// stdout (flushed per line, so a pipe sees each frame at once), or with --quiet a summary on stderr
// every few seconds. Messages always go to stderr.
import Foundation
import Pipeline
import RunService

/// Writes each FrameResult as one JSON line on stdout.
final class JSONLinesSink: FrameSink, @unchecked Sendable {
    func pipeline(didProduce result: FrameResult, for frame: Frame) {
        let line = result.jsonLine + "\n"
        line.withCString { _ = fputs($0, stdout) }
        fflush(stdout)
    }
}

/// Prints the pipeline's summary line on stderr at most every `interval` seconds.
final class PeriodicSummarySink: FrameSink, @unchecked Sendable {
    private let stats: () -> PipelineSummary
    private let interval: Double
    private var last = MonotonicClock.now()

    init(interval: Double = 5, stats: @escaping () -> PipelineSummary) {
        self.interval = interval
        self.stats = stats
    }

    func pipeline(didProduce result: FrameResult, for frame: Frame) {
        let now = MonotonicClock.now()
        guard now - last >= interval else { return }
        last = now
        RunMessages.say(stats().line)
    }
}
