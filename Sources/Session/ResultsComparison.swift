// Checks a replay against a recording: the per-frame JSON lines must be identical except for latency,
// which measures the machine, not the result. Also lists what differs between how the session was
// recorded and how it is being replayed (model, cascade, settings), so a mismatch is explained.
import Foundation

public struct ResultsComparison: Sendable, Equatable {
    /// Frames present in both files.
    public var compared = 0
    /// Of those, frames whose results are identical.
    public var identical = 0
    /// Frames in the recording that the replay did not produce, and vice versa.
    public var onlyRecorded = 0
    public var onlyReplayed = 0
    /// The first frame that differs, described in one line.
    public var firstDifference: String?

    public var isExact: Bool { compared > 0 && identical == compared && onlyRecorded == 0 && onlyReplayed == 0 }

    /// Compares two JSON Lines files of FrameResults (an unparsable line, e.g. the torn last line of an
    /// interrupted recording, is skipped).
    public static func compare(recorded: String, replayed: String) throws -> ResultsComparison {
        let a = try lines(path: recorded), b = try lines(path: replayed)
        var comparison = ResultsComparison()
        for (frame, left) in a.sorted(by: { $0.key < $1.key }) {
            guard let right = b[frame] else {
                comparison.onlyRecorded += 1
                if comparison.firstDifference == nil { comparison.firstDifference = "frame \(frame): not in the replay" }
                continue
            }
            comparison.compared += 1
            if left.isEqual(to: right as! [AnyHashable: Any]) {
                comparison.identical += 1
            } else if comparison.firstDifference == nil {
                comparison.firstDifference = "frame \(frame): " + describe(left, right)
            }
        }
        comparison.onlyReplayed = b.keys.filter { a[$0] == nil }.count
        return comparison
    }

    /// One line for the terminal.
    public var line: String {
        if isExact { return "replay reproduces the recorded results exactly (\(compared) frames)" }
        var text = "replay differs from the recording: \(compared - identical) of \(compared) frames differ"
        if onlyRecorded > 0 { text += ", \(onlyRecorded) recorded frames not replayed" }
        if onlyReplayed > 0 { text += ", \(onlyReplayed) replayed frames not in the recording" }
        if let firstDifference { text += "; first: \(firstDifference)" }
        return text
    }

    /// The longest results line read.
    static let maximumLineLength = 1 << 20

    private static func lines(path: String) throws -> [Int: NSDictionary] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SessionError.unreadable(path, reason: "cannot read the results file")
        }
        var byFrame: [Int: NSDictionary] = [:]
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            // A frame's line is about 300 bytes per face; one over a megabyte is not a results line.
            guard line.count <= maximumLineLength else {
                throw SessionError.invalid(path, field: "line \(number + 1)",
                                           expected: "a JSON line of at most \(maximumLineLength) bytes, found \(line.count)")
            }
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                  let frame = object["frame"] as? Int else { continue }
            var trimmed = object
            trimmed.removeValue(forKey: "latency_ms")
            // Lines written before faces carried an angle and a pose describe upright frontal faces.
            if let faces = object["faces"] as? [[String: Any]] {
                trimmed["faces"] = faces.map { face -> [String: Any] in
                    var face = face
                    if face["angle"] == nil { face["angle"] = 0 }
                    if face["pose"] == nil { face["pose"] = "frontal" }
                    return face
                }
            }
            byFrame[frame] = trimmed as NSDictionary
        }
        return byFrame
    }

    private static func describe(_ left: NSDictionary, _ right: NSDictionary) -> String {
        let l = left["faces"] as? [[String: Any]] ?? [], r = right["faces"] as? [[String: Any]] ?? []
        if l.count != r.count { return "recorded \(l.count) faces, replay found \(r.count)" }
        for (x, y) in zip(l, r) where !(x as NSDictionary).isEqual(to: y) {
            let keys = Set(x.keys).union(y.keys).sorted().filter { key in
                switch (x[key], y[key]) {
                case let (p?, q?): return !NSDictionary(dictionary: [key: p]).isEqual(to: [key: q])
                default: return true
                }
            }
            return "track \(x["track"] ?? "?"): \(keys.joined(separator: ", ")) differ"
        }
        return "time differs"
    }
}

extension SessionManifest {
    /// What differs between how this session was recorded and `other` (how it is replayed), one item each.
    public func differences(replayingWith model: FileFingerprint, cascade: FileFingerprint,
                            settings: SessionSettings) -> [String] {
        var out: [String] = []
        func short(_ hash: String?) -> String { hash.map { String($0.prefix(12)) } ?? "unreadable" }
        if self.model.sha256 != model.sha256 {
            out.append("model \(self.model.path) (sha256 \(short(self.model.sha256))) → \(model.path) (sha256 \(short(model.sha256)))")
        }
        if self.cascade.sha256 != cascade.sha256 {
            out.append("cascade \(self.cascade.path) (sha256 \(short(self.cascade.sha256))) → \(cascade.path) (sha256 \(short(cascade.sha256)))")
        }
        let a = self.settings, b = settings
        if a.detectEvery != b.detectEvery { out.append("detect every \(a.detectEvery) → \(b.detectEvery) frames") }
        if a.smoothing != b.smoothing { out.append("smoothing \(a.smoothing) → \(b.smoothing)") }
        if a.matchThreshold != b.matchThreshold { out.append("match threshold \(a.matchThreshold) → \(b.matchThreshold)") }
        if a.maxMissedFrames != b.maxMissedFrames { out.append("max missed frames \(a.maxMissedFrames) → \(b.maxMissedFrames)") }
        if a.detector != b.detector { out.append("detector \(a.detector) → \(b.detector)") }
        if a.views != b.views { out.append("face views \(a.views.rawValue) → \(b.views.rawValue)") }
        if a.poses != b.poses { out.append("poses \(a.poses) → \(b.poses)") }
        if a.verified != b.verified { out.append("face verifier \(a.verified ? "on" : "off") → \(b.verified ? "on" : "off")") }
        return out
    }
}
