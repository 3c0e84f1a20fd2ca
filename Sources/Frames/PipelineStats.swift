// Counters and timings of a running pipeline, safe to read from any thread (one lock), and the stage names
// (the keys of `FrameResult.stageSeconds`). The window's HUD and every sink read them, so they live with the frames.
// Rates over the last ~2 seconds are for the HUD; the summary's rates are over the whole run.
// Latencies keep the most recent `latencyWindow` values, so percentiles need no per-frame allocation.
import Foundation

/// Stage names used in `FrameResult.stageSeconds`, in order.
public enum PipelineStage {
    public static let gray = "gray"
    public static let detect = "detect"
    public static let track = "track"
    public static let classify = "classify"
    public static let all = [gray, detect, track, classify]
}

/// A snapshot of the pipeline's counters.
public struct PipelineSummary: Sendable, Equatable {
    public var framesCaptured = 0
    public var framesProcessed = 0
    /// Frames replaced in the latest-frame slot before processing could take them.
    public var framesDropped = 0
    /// Frames the source itself skipped (gaps in frame indices, e.g. a driver with no free buffer).
    public var framesSkippedBySource = 0
    /// Over the last ~2 s.
    public var captureFPS = 0.0
    public var processedFPS = 0.0
    /// Whole run.
    public var averageCaptureFPS = 0.0
    public var averageProcessedFPS = 0.0
    public var latencyP50 = 0.0
    public var latencyP95 = 0.0
    /// Mean seconds per stage over processed frames.
    public var stageMeans: [String: Double] = [:]
    public var facesSeen = 0
    public var elapsed = 0.0

    public init(framesCaptured: Int = 0, framesProcessed: Int = 0, framesDropped: Int = 0, captureFPS: Double = 0,
                processedFPS: Double = 0, latencyP50: Double = 0, latencyP95: Double = 0) {
        self.framesCaptured = framesCaptured
        self.framesProcessed = framesProcessed
        self.framesDropped = framesDropped
        self.captureFPS = captureFPS
        self.processedFPS = processedFPS
        self.latencyP50 = latencyP50
        self.latencyP95 = latencyP95
    }

    /// One line for logs and the end of a run.
    public var line: String {
        String(format: "%d frames captured (%.1f fps), %d processed (%.1f fps), %d dropped, latency p50 %.1f ms p95 %.1f ms",
               framesCaptured, averageCaptureFPS, framesProcessed, averageProcessedFPS, framesDropped,
               latencyP50 * 1000, latencyP95 * 1000)
    }

    /// Mean milliseconds per stage, in stage order ("gray 0.4, detect 4.0, track 0.0, classify 4.9").
    public var stagesLine: String {
        PipelineStage.all.compactMap { stage in stageMeans[stage].map { String(format: "%@ %.1f", stage, $0 * 1000) } }
            .joined(separator: ", ")
    }
}

public final class PipelineStats: @unchecked Sendable {
    public let latencyWindow: Int
    private let lock = NSLock()
    private var summary = PipelineSummary()
    private var start: Double?
    private var firstCapture = 0.0, lastCapture = 0.0, firstProcessed = 0.0, lastProcessed = 0.0
    private var lastIndex: Int?
    private var latencies: [Double]
    private var latencyCount = 0
    private var stageTotals: [String: Double] = [:]
    private var captureTimes = RecentTimes(capacity: 64)
    private var processedTimes = RecentTimes(capacity: 64)

    public init(latencyWindow: Int = 2048) {
        self.latencyWindow = latencyWindow
        latencies = [Double](repeating: 0, count: latencyWindow)
    }

    public func recordCaptured(_ frame: Frame) {
        let now = MonotonicClock.now()
        lock.lock()
        defer { lock.unlock() }
        if summary.framesCaptured == 0 { firstCapture = now }
        if start == nil { start = now }
        lastCapture = now
        summary.framesCaptured += 1
        if let last = lastIndex, frame.index > last + 1 { summary.framesSkippedBySource += frame.index - last - 1 }
        lastIndex = frame.index
        captureTimes.append(now)
    }

    public func recordDropped(total: Int) {
        lock.lock()
        summary.framesDropped = total
        lock.unlock()
    }

    public func recordProcessed(_ result: FrameResult) {
        let now = MonotonicClock.now()
        lock.lock()
        defer { lock.unlock() }
        if summary.framesProcessed == 0 { firstProcessed = now }
        lastProcessed = now
        summary.framesProcessed += 1
        summary.facesSeen += result.faces.count
        latencies[latencyCount % latencyWindow] = result.latency
        latencyCount += 1
        for (stage, seconds) in result.stageSeconds { stageTotals[stage, default: 0] += seconds }
        processedTimes.append(now)
    }

    public func snapshot() -> PipelineSummary {
        lock.lock()
        defer { lock.unlock() }
        var s = summary
        let now = MonotonicClock.now()
        s.elapsed = start.map { now - $0 } ?? 0
        s.captureFPS = captureTimes.rate(now: now)
        s.processedFPS = processedTimes.rate(now: now)
        if s.framesCaptured > 1 { s.averageCaptureFPS = Double(s.framesCaptured - 1) / max(lastCapture - firstCapture, 1e-9) }
        if s.framesProcessed > 1 {
            s.averageProcessedFPS = Double(s.framesProcessed - 1) / max(lastProcessed - firstProcessed, 1e-9)
        }
        let n = min(latencyCount, latencyWindow)
        if n > 0 {
            let sorted = latencies[0..<n].sorted()
            s.latencyP50 = Self.percentile(sorted, 0.50)
            s.latencyP95 = Self.percentile(sorted, 0.95)
        }
        if s.framesProcessed > 0 {
            s.stageMeans = stageTotals.mapValues { $0 / Double(s.framesProcessed) }
        }
        return s
    }

    /// Nearest-rank percentile of sorted values.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// The last few event times in a ring, for a rate over the last ~2 seconds.
struct RecentTimes {
    private var times: [Double]
    private var count = 0

    init(capacity: Int) { times = [Double](repeating: 0, count: capacity) }

    mutating func append(_ t: Double) {
        times[count % times.count] = t
        count += 1
    }

    func rate(now: Double, window: Double = 2) -> Double {
        let n = min(count, times.count)
        guard n >= 2 else { return 0 }
        let newest = times[(count - 1) % times.count]
        var oldest = newest, events = 0
        for k in 1..<n {
            let t = times[(count - 1 - k) % times.count]
            if now - t > window { break }
            oldest = t
            events = k
        }
        guard events > 0, now - newest < window else { return 0 }
        return Double(events) / (newest - oldest)
    }
}
