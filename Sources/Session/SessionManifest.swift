// session.json: what a session directory holds and how it was made, so a replay can check that it runs
// the same model, detector and settings. Written at the start (end state "recording") and rewritten at
// the end, each time to a temporary file that is fsynced and renamed over the old one, so a crash leaves
// either the old or the new manifest, never a torn one. A manifest still saying "recording" after the
// process is gone means the recording was interrupted (crash, kill -9, power loss).
import Crypto
import Foundation
import Frames
import SafeOutput

/// The files of a session directory.
public enum SessionFiles {
    public static let manifest = "session.json"
    /// Concatenated JPEG images (also playable as MJPEG: `ffplay -f mjpeg frames.mjpeg`).
    public static let frames = "frames.mjpeg"
    /// Fixed-size records locating each frame in `frames` with its index, timestamp and CRC-32.
    public static let index = "frames.index"
    /// One JSON line per processed frame (FrameResult.jsonLine), the same lines `emonet live` prints.
    public static let results = "results.jsonl"
    /// Optional, with --annotated-video.
    public static let annotatedVideo = "annotated.mp4"
}

/// The pipeline settings a session was recorded with; replay compares them field by field.
public struct SessionSettings: Codable, Equatable, Sendable {
    public var detectEvery: Int
    public var smoothing: Double
    public var matchThreshold: Double
    public var maxMissedFrames: Int
    /// Full-frame detection parameters of CascadeFaceFinder, e.g. "scale 1.2, neighbours 4, min 24, width 320".
    public var detector: String
    /// Which views of each face were classified. Sessions recorded before the setting existed classified
    /// each face as seen: `single`.
    public var views: FaceViews
    /// Which faces full scans searched: "frontal" (upright frontal faces) or "multi" (turned and profile
    /// faces too). Sessions recorded before the setting existed searched frontal faces.
    public var poses: String
    /// Whether every face of a full scan had to pass the face verifier (false before the setting existed).
    public var verified: Bool
    public static let posesValues = ["frontal", "multi"]

    public init(detectEvery: Int, smoothing: Double, matchThreshold: Double, maxMissedFrames: Int, detector: String,
                views: FaceViews = .single, poses: String = "frontal", verified: Bool = false) {
        self.detectEvery = detectEvery
        self.smoothing = smoothing
        self.matchThreshold = matchThreshold
        self.maxMissedFrames = maxMissedFrames
        self.detector = detector
        self.views = views
        self.poses = poses
        self.verified = verified
    }

    enum CodingKeys: String, CodingKey {
        case detectEvery = "detect_every", smoothing, matchThreshold = "match_threshold"
        case maxMissedFrames = "max_missed_frames", detector, views, poses, verified
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(detectEvery: try c.decode(Int.self, forKey: .detectEvery), smoothing: try c.decode(Double.self, forKey: .smoothing),
                  matchThreshold: try c.decode(Double.self, forKey: .matchThreshold),
                  maxMissedFrames: try c.decode(Int.self, forKey: .maxMissedFrames), detector: try c.decode(String.self, forKey: .detector),
                  views: try c.decodeIfPresent(FaceViews.self, forKey: .views) ?? .single,
                  poses: try c.decodeIfPresent(String.self, forKey: .poses) ?? "frontal",
                  verified: try c.decodeIfPresent(Bool.self, forKey: .verified) ?? false)
    }

    /// The values a replay accepts: the ranges the pipeline's stages require (a shared or edited
    /// session.json may hold anything, and out of range they would stop the pipeline).
    public static let detectEveryRange = 1...1000
    public static let maxMissedFramesRange = 0...1000

    /// Checks every setting against its range; `file` names the manifest in the error.
    public func validate(file: String) throws {
        func check(_ ok: Bool, _ key: CodingKeys, _ expected: String, _ found: CustomStringConvertible) throws {
            guard ok else { throw SessionError.invalid(file, field: "settings.\(key.stringValue)", expected: "\(expected), found \(found)") }
        }
        try check(Self.detectEveryRange.contains(detectEvery), .detectEvery, "an integer in \(Self.detectEveryRange)", detectEvery)
        try check(smoothing > 0 && smoothing <= 1, .smoothing, "a weight in (0, 1]", smoothing)
        try check(matchThreshold > 0 && matchThreshold <= 1, .matchThreshold, "an IoU in (0, 1]", matchThreshold)
        try check(Self.maxMissedFramesRange.contains(maxMissedFrames), .maxMissedFrames,
                  "an integer in \(Self.maxMissedFramesRange)", maxMissedFrames)
        try check(Self.posesValues.contains(poses), .poses, "one of \(Self.posesValues.joined(separator: ", "))", "'\(poses)'")
    }
}

/// A file the results depend on, by path and content hash.
public struct FileFingerprint: Codable, Equatable, Sendable {
    public var path: String
    public var sha256: String?

    public init(path: String, sha256: String?) {
        self.path = path
        self.sha256 = sha256
    }

    /// The fingerprint of the file at `path` (sha256 nil when it cannot be read).
    public static func of(path: String) -> FileFingerprint {
        FileFingerprint(path: path, sha256: SHA256.hex(fileAt: path))
    }
}

public struct SessionManifest: Codable, Equatable, Sendable {
    public static let formatName = "emonet-session"
    public static let currentVersion = 1

    public struct Source: Codable, Equatable, Sendable {
        public var description: String
        public var width: Int
        public var height: Int
        public var framesPerSecond: Double
        public init(description: String, width: Int, height: Int, framesPerSecond: Double) {
            self.description = description
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
        }
        enum CodingKeys: String, CodingKey { case description, width, height, framesPerSecond = "fps" }
    }

    public enum State: String, Codable, Sendable {
        /// Still being written, or interrupted if no process is writing it.
        case recording
        /// Ended at the end of the stream or when the user stopped it.
        case completed
        /// Ended by an error (see `message`); the frames before it are kept.
        case failed
    }

    public var format = SessionManifest.formatName
    public var version = SessionManifest.currentVersion
    public var software: String
    public var softwareVersion: String
    /// ISO 8601, UTC.
    public var startedAt: String
    public var endedAt: String?
    public var source: Source
    public var model: FileFingerprint
    public var cascade: FileFingerprint
    public var settings: SessionSettings
    public var jpegQuality: Int
    public var state: State
    public var message: String?
    /// Frames written when the manifest was last rewritten (the index is authoritative).
    public var frames: Int

    public init(softwareVersion: String, startedAt: Date = Date(), source: Source, model: FileFingerprint,
                cascade: FileFingerprint, settings: SessionSettings, jpegQuality: Int) {
        software = "emonet"
        self.softwareVersion = softwareVersion
        self.startedAt = Self.timestamp(startedAt)
        self.source = source
        self.model = model
        self.cascade = cascade
        self.settings = settings
        self.jpegQuality = jpegQuality
        state = .recording
        frames = 0
    }

    enum CodingKeys: String, CodingKey {
        case format, version, software, softwareVersion = "software_version", startedAt = "started_at"
        case endedAt = "ended_at", source, model, cascade, settings, jpegQuality = "jpeg_quality", state, message, frames
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    // MARK: - Reading and writing

    /// The largest session.json read (a manifest is about 1 KB; a bigger file is not one).
    public static let maximumManifestBytes = 1 << 20

    /// Reads and checks `dir/session.json`.
    public static func read(directory: String) throws -> SessionManifest {
        let path = (directory as NSString).appendingPathComponent(SessionFiles.manifest)
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > maximumManifestBytes {
            throw SessionError.invalid(path, field: "(document)", expected: "a manifest of at most \(maximumManifestBytes) bytes, found \(size)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SessionError.unreadable(directory, reason: FileManager.default.fileExists(atPath: path)
                                          ? "\(SessionFiles.manifest) cannot be read" : "no \(SessionFiles.manifest) (not a session directory)")
        }
        // The format and version first, so a newer or foreign file gets a precise message.
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: data) else {
            throw SessionError.invalid(path, field: "(document)", expected: "a JSON object")
        }
        guard header.format == formatName else {
            throw SessionError.invalid(path, field: "format", expected: "\"\(formatName)\", found \(header.format.map { "\"\($0)\"" } ?? "none")")
        }
        guard header.version == currentVersion else {
            throw SessionError.invalid(path, field: "version", expected: "\(currentVersion), found \(header.version.map(String.init) ?? "none") (written by another emonet version)")
        }
        let manifest: SessionManifest
        do {
            manifest = try JSONDecoder().decode(SessionManifest.self, from: data)
        } catch let DecodingError.keyNotFound(key, _) {
            throw SessionError.invalid(path, field: key.stringValue, expected: "a value (it is missing)")
        } catch let DecodingError.typeMismatch(type, context) {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw SessionError.invalid(path, field: field, expected: "a \(type)")
        } catch {
            throw SessionError.invalid(path, field: "(document)", expected: "a session manifest (\(error))")
        }
        try manifest.validate(file: path)
        return manifest
    }

    /// The largest frame side a session holds (as the frame index allows).
    public static let maximumSide = 16_384

    /// Checks the values a replay uses: the settings, the source's size and rate, the JPEG quality.
    public func validate(file: String) throws {
        func check(_ ok: Bool, _ field: String, _ expected: String, _ found: CustomStringConvertible) throws {
            guard ok else { throw SessionError.invalid(file, field: field, expected: "\(expected), found \(found)") }
        }
        try settings.validate(file: file)
        let sides = 1...Self.maximumSide
        try check(sides.contains(source.width), "source.width", "a width in \(sides) pixels", source.width)
        try check(sides.contains(source.height), "source.height", "a height in \(sides) pixels", source.height)
        try check(source.framesPerSecond >= 0 && source.framesPerSecond <= 1000, "source.fps", "a rate in 0...1000", source.framesPerSecond)
        try check((1...100).contains(jpegQuality), "jpeg_quality", "a quality in 1...100", jpegQuality)
        try check(frames >= 0, "frames", "a count of at least 0", frames)
    }

    /// Writes `dir/session.json` crash-safely: temporary file, fsync, rename, fsync of the directory.
    public func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(self) + Data("\n".utf8)
        let path = (directory as NSString).appendingPathComponent(SessionFiles.manifest)
        do { try AtomicFile.write(data, to: path) } catch let error as OutputError {
            if case let .unwritable(_, reason) = error { throw SessionError.unwritable(path, reason: reason) }
            throw error
        }
    }
}
