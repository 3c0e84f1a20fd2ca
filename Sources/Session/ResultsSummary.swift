// What a run saw, for people: per track its time on screen and the share of frames in which each
// emotion was the most probable, overall the distribution over all face observations, and the
// per-track probability series for the timeline plot. Collected as a FrameSink, written as
// summary.json and printed as a few lines.
// Time on screen: each processed frame lasts until the next processed frame (the last one lasts the
// median frame interval), capped at `maxFrameDuration` so a pause in the input is not counted; a track
// is on screen for the frames it appears in.
import Foundation
import Frames
import Plot

public final class ResultsSummary: FrameSink, @unchecked Sendable {
    public struct TrackSummary: Sendable, Equatable {
        public var track: Int
        public var firstTime: Double
        public var lastTime: Double
        public var frames: Int
        public var secondsOnScreen: Double
        /// Frames in which each emotion was the most probable, in EmotionLabel order.
        public var labelCounts: [Int]
        /// Sum of probabilities (for means), in EmotionLabel order.
        public var probabilitySums: [Double]

        public var shares: [Double] { labelCounts.map { frames > 0 ? Double($0) / Double(frames) : 0 } }
        public var dominant: EmotionLabel {
            EmotionLabel(rawValue: labelCounts.indices.max { labelCounts[$0] < labelCounts[$1] } ?? 6) ?? .neutral
        }
    }

    public let maxFrameDuration: Double
    private let lock = NSLock()
    private var times: [Double] = []
    private var facesPerFrame: [[FaceResult]] = []

    public init(maxFrameDuration: Double = 0.5) {
        self.maxFrameDuration = maxFrameDuration
    }

    public func pipeline(didProduce result: FrameResult, for frame: Frame) {
        add(result)
    }

    /// Adds one frame's result (frames must come in time order).
    public func add(_ result: FrameResult) {
        lock.lock()
        times.append(result.time)
        facesPerFrame.append(result.faces)
        lock.unlock()
    }

    public var frameCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return times.count
    }

    /// Seconds each processed frame stands for.
    private func frameDurations() -> [Double] {
        guard times.count > 1 else { return times.map { _ in 0 } }
        var steps = zip(times, times.dropFirst()).map { max(0, $1 - $0) }
        let sorted = steps.sorted()
        steps.append(sorted[sorted.count / 2])
        return steps.map { min($0, maxFrameDuration) }
    }

    /// Per-track summaries in track order.
    public func tracks() -> [TrackSummary] {
        lock.lock()
        defer { lock.unlock() }
        let durations = frameDurations()
        var byTrack: [Int: TrackSummary] = [:]
        for (k, faces) in facesPerFrame.enumerated() {
            for face in faces {
                var s = byTrack[face.track] ?? TrackSummary(track: face.track, firstTime: times[k], lastTime: times[k], frames: 0,
                                                            secondsOnScreen: 0, labelCounts: Array(repeating: 0, count: 7),
                                                            probabilitySums: Array(repeating: 0, count: 7))
                s.lastTime = times[k]
                s.frames += 1
                s.secondsOnScreen += durations[k]
                s.labelCounts[face.label.rawValue] += 1
                for j in 0..<7 { s.probabilitySums[j] += Double(face.probabilities[j]) }
                byTrack[face.track] = s
            }
        }
        return byTrack.values.sorted { $0.track < $1.track }
    }

    /// The probability series of every track, for TimelineChart.
    public func timelineTracks() -> [TimelineChart.Track] {
        let seconds = Dictionary(uniqueKeysWithValues: tracks().map { ($0.track, $0.secondsOnScreen) })
        lock.lock()
        defer { lock.unlock() }
        var series: [Int: (times: [Double], probabilities: [[Float]])] = [:]
        for (k, faces) in facesPerFrame.enumerated() {
            for face in faces {
                series[face.track, default: ([], [])].times.append(times[k])
                series[face.track, default: ([], [])].probabilities.append(face.probabilities)
            }
        }
        return series.keys.sorted().map {
            TimelineChart.Track(id: $0, times: series[$0]!.times, probabilities: series[$0]!.probabilities, secondsOnScreen: seconds[$0])
        }
    }

    /// The timeline plot of this run.
    public func timeline(title: String, width: Int = 1400, height: Int = 0) -> TimelineChart {
        let tracks = timelineTracks()
        lock.lock()
        let range = times.isEmpty ? nil : (times.first! ... max(times.last!, times.first! + 1e-3))
        lock.unlock()
        return TimelineChart(title: title, tracks: tracks, timeRange: range, gap: max(1.0, maxFrameDuration * 2))
    }

    /// summary.json: per track and overall, with the input and the pipeline's counters.
    public func json(input: String, pipeline: PipelineSummary?) -> [String: Any] {
        let tracks = tracks()
        lock.lock()
        let frames = times.count, withFaces = facesPerFrame.filter { !$0.isEmpty }.count
        let duration = frames > 0 ? (times.last! - times.first!) + (frameDurations().last ?? 0) : 0
        lock.unlock()
        func shares(_ counts: [Int]) -> [String: Double] {
            let total = counts.reduce(0, +)
            return Dictionary(uniqueKeysWithValues: EmotionLabel.allCases.map {
                ($0.description, total > 0 ? round4(Double(counts[$0.rawValue]) / Double(total)) : 0)
            })
        }
        func means(_ sums: [Double], _ n: Int) -> [String: Double] {
            Dictionary(uniqueKeysWithValues: EmotionLabel.allCases.map { ($0.description, n > 0 ? round4(sums[$0.rawValue] / Double(n)) : 0) })
        }
        var overallCounts = Array(repeating: 0, count: 7), overallSums = Array(repeating: 0.0, count: 7), observations = 0
        for t in tracks {
            for j in 0..<7 { overallCounts[j] += t.labelCounts[j]; overallSums[j] += t.probabilitySums[j] }
            observations += t.frames
        }
        var object: [String: Any] = [
            "version": 1,
            "input": input,
            "frames": frames,
            "frames_with_faces": withFaces,
            "duration_s": round4(duration),
            "tracks": tracks.map { t -> [String: Any] in
                ["track": t.track, "first_s": round4(t.firstTime), "last_s": round4(t.lastTime), "frames": t.frames,
                 "on_screen_s": round4(t.secondsOnScreen), "dominant": t.dominant.description,
                 "share": shares(t.labelCounts), "mean_probabilities": means(t.probabilitySums, t.frames)]
            },
            "overall": ["face_observations": observations, "share": shares(overallCounts),
                        "mean_probabilities": means(overallSums, observations)] as [String: Any],
        ]
        if let pipeline {
            object["pipeline"] = ["frames_processed": pipeline.framesProcessed, "frames_dropped": pipeline.framesDropped,
                                  "processed_fps": round4(pipeline.averageProcessedFPS), "elapsed_s": round4(pipeline.elapsed)]
        }
        return object
    }

    /// A few lines for the terminal.
    public func lines() -> [String] {
        let tracks = tracks()
        var out: [String] = []
        lock.lock()
        let frames = times.count, withFaces = facesPerFrame.filter { !$0.isEmpty }.count
        lock.unlock()
        out.append("\(frames) frames, \(withFaces) with faces, \(tracks.count) track\(tracks.count == 1 ? "" : "s")")
        func top(_ counts: [Int]) -> String {
            let total = max(1, counts.reduce(0, +))
            return counts.indices.sorted { counts[$0] > counts[$1] }.prefix(3).filter { counts[$0] > 0 }
                .map { "\(EmotionLabel(rawValue: $0)!) \(Int((100 * Double(counts[$0]) / Double(total)).rounded()))%" }
                .joined(separator: ", ")
        }
        for t in tracks.sorted(by: { $0.secondsOnScreen > $1.secondsOnScreen }).prefix(10) {
            out.append(String(format: "  track %d: %.1f s on screen (%.1f–%.1f s): ", t.track, t.secondsOnScreen,
                              t.firstTime, t.lastTime) + top(t.labelCounts))
        }
        if tracks.count > 10 { out.append("  … and \(tracks.count - 10) shorter tracks (see summary.json)") }
        var overall = Array(repeating: 0, count: 7)
        for t in tracks { for j in 0..<7 { overall[j] += t.labelCounts[j] } }
        if !tracks.isEmpty { out.append("  overall: " + top(overall)) }
        return out
    }
}

private func round4(_ x: Double) -> Double { (x * 10000).rounded() / 10000 }
