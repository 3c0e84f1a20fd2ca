// The options several commands share, each declared once with one help text and one documented default
// (`@OptionGroup`s). Two paths find faces and their defaults differ on purpose:
// - `detect` is OpenCV's detectMultiScale, parameter for parameter, with OpenCV's defaults (its boxes are
//   compared with OpenCV's in the parity tests);
// - the product path (`live`, `replay`, `classify`) is the live finder: the frame scaled to 320 px wide,
//   scale step 1.2, 4 neighbours, faces from 24 px there (CascadeFaceFinder.defaultParameters), the
//   settings the model card and docs/live.md were measured with, so `classify` and `live` agree on an image.
// Detector options are therefore optional here and each command resolves them against its path's defaults.
// Options that are new to the detector (more cascades, poses) belong in DetectorOptions.
import ArgumentParser
import Emotion
import FaceDetection
import Foundation
import Assets
import Pipeline
import RunService

/// Refuses `value` outside `range` as `--name must be in RANGE (found VALUE)`, the one wording of every
/// numeric option's check; nil (an option not given) passes. NaN and infinities are outside any bounded range.
func checkRange<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, option name: String) throws {
    if let value, !range.contains(value) {
        throw ValidationError("\(name) must be in \(range) (found \(value))")
    }
}

/// `--model`: the emotion model of the product path.
struct ModelOptions: ParsableArguments {
    @Option(help: "Emotion model file; the default is the shipped model ($EMONET_MODEL, else models/emonet.safetensors here or beside the built executable).")
    var model: String = ModelPaths.defaultModel

    @OptionGroup var arithmetic: PrecisionOptions
}

/// `--precision`: the emotion network's arithmetic (the product path and `eval`).
struct PrecisionOptions: ParsableArguments {
    enum Precision: String, ExpressibleByArgument, CaseIterable {
        case fp32, int8
    }

    @Option(help: ArgumentHelp("The emotion network's arithmetic: fp32 or int8 (default: fp32).",
                               discussion: "int8 runs the convolutions after the first on 8-bit integers (AVX512-VNNI where the CPU has it), "
                                   + "with the activation scales a model file carries from `emonet quantize`, as the shipped model does; "
                                   + "docs/engine.md gives its speed and PublicTest accuracy beside fp32."))
    var precision: Precision = .fp32

    var int8: Bool { precision == .int8 }
}

/// The cascade and the search parameters of the face detector.
struct DetectorOptions: ParsableArguments {
    /// A factor just above 1 is millions of pyramid levels (work without end).
    static let scaleRange = DetectionParameters.scaleFactorRange
    static let neighborsRange = 0...100
    static let sizeRange = 0...8192

    @Option(help: "Cascade XML file (default: \(CascadeLocator.defaultFrontalFacePath), or $EMONET_CASCADE).")
    var cascade: String?

    @Option(help: "Scale step between pyramid levels, 1.01 to 10 (default: 1.2, the live path's full scan; detect: 1.1, OpenCV's).")
    var scaleFactor: Double?

    @Option(help: "A face needs more than this many raw hits grouped together, 0 to 100; 0 = raw windows (default: 4, the live path's; detect: 3, OpenCV's).")
    var minNeighbors: Int?

    @Option(help: "Smallest face side in pixels, 0 to 8192 (default: 24 in the frame scaled to 320 px wide, the live path's, i.e. 48 px in a 640x480 frame; detect: the cascade's window, OpenCV's, in image pixels).")
    var minSize: Int?

    @Option(help: ArgumentHelp("Poses to search: multi (faces tilted to about ±50° and profiles, found on the live path's frame, 320 px wide, and cropped along the turned box so the network sees the face upright) or frontal (upright frontal faces only). Default: multi for classify, live and replay; frontal for detect, which stays OpenCV-exact.",
                               discussion: "With multi, each face's box is width x height at x, y turned `angle` degrees clockwise "
                                   + "about its centre; pose is frontal, left or right (the side the face looks towards). "
                                   + "Profiles use --profile-cascade. Between full scans a track is searched at its own angle and pose."))
    var poses: FacePoses?

    @Option(help: "Profile cascade for --poses multi (default: \(MultiPoseDetector.defaultProfileCascadePath)).")
    var profileCascade: String?

    @Option(help: "Face verifier: a small network that drops the cascade's boxes that are not faces (default: the shipped \(DataRoot.shippedVerifier); giving one turns verification on, in detect too).")
    var verifier: String?

    @Flag(inversion: .prefixedNo, help: "Check every face a full scan finds with the face verifier (default: on for classify, live and replay; off for detect).")
    var verify: Bool?

    func validate() throws {
        try checkRange(scaleFactor, Self.scaleRange, option: "--scale-factor")
        try checkRange(minNeighbors, Self.neighborsRange, option: "--min-neighbors")
        try checkRange(minSize, Self.sizeRange, option: "--min-size")
    }

    /// The poses searched: --poses, else `defaults` (detect: frontal; the product path: multi).
    func poses(default defaults: FacePoses) -> FacePoses { poses ?? defaults }

    /// The profile cascade's path when the search is multi-pose (nil with frontal).
    func profileCascadePath(default defaults: FacePoses) -> String? {
        poses(default: defaults) == .multi ? (profileCascade ?? MultiPoseDetector.defaultProfileCascadePath) : nil
    }

    /// The multi-pose search when the poses are multi (nil with frontal): `frontal` and the profile cascade.
    func multiPoseSearch(frontal: FaceDetector, default defaults: FacePoses) throws -> MultiPoseDetector? {
        guard let path = profileCascadePath(default: defaults) else { return nil }
        return MultiPoseDetector(frontal: frontal, profile: FaceDetector(cascade: try CascadeLocator.load(path: path)))
    }

    /// The verifier's path when faces are verified (--verify, else on when --verifier is given, else `defaults`),
    /// nil when not.
    func verifierPath(default defaults: Bool) -> String? {
        guard verify ?? (verifier != nil || defaults) else { return nil }
        return verifier ?? ModelPaths.defaultVerifier
    }

    /// `defaults` with the options that were given.
    func parameters(over defaults: DetectionParameters) -> DetectionParameters {
        var parameters = defaults
        if let scaleFactor { parameters.scaleFactor = scaleFactor }
        if let minNeighbors { parameters.minNeighbors = minNeighbors }
        if let minSize { parameters.minSize = PixelSize(minSize) }
        return parameters
    }

    /// The product path's finder (live, replay, classify): the live defaults with the options given;
    /// `threads` overrides the full scan's threads (results do not depend on them).
    func liveFinder(threads: Int? = nil) throws -> CascadeFaceFinder {
        try finderSpec(threads: threads).make()
    }

    /// The product path's finder as the run service builds it: multi-pose and verified unless told otherwise.
    func finderSpec(threads: Int? = nil, recorded: (poses: FacePoses, verified: Bool)? = nil) -> FinderSpec {
        var parameters = self.parameters(over: CascadeFaceFinder.defaultParameters)
        if let threads { parameters.threads = max(1, threads) }
        let defaults = recorded ?? (.multi, true)
        return FinderSpec(cascade: cascade, parameters: parameters, profileCascade: profileCascadePath(default: defaults.poses),
                          verifier: verifierPath(default: defaults.verified))
    }
}

/// Which faces a search looks for (`--poses`).
enum FacePoses: String, ExpressibleByArgument, CaseIterable {
    case frontal, multi
}

/// Tracking and smoothing of the live path (`live`, `replay`).
struct PipelineOptions: ParsableArguments {
    @Option(help: "Full-frame face detection every N frames, 1 to 1000; in between only around tracked faces (default: 5; replay: the session's).")
    var detectEvery: Int?

    @Option(help: "Weight of the newest frame in the per-face moving average, in (0, 1], or 'off' (= 1, raw) (default: 0.4; replay: the session's).")
    var smoothing: String?

    @Option(help: "Views of each face classified: alternate (the face and its mirror on alternate frames, each answer the mean of both: flip TTA at no extra cost), both (both every frame, twice the work) or single (default: alternate; replay: the session's).")
    var views: String?

    func validate() throws {
        try checkRange(detectEvery, 1...1000, option: "--detect-every")
        if let smoothing, Self.alpha(smoothing) == nil {
            throw ValidationError("--smoothing must be a number in (0, 1] or 'off' (found '\(smoothing)')")
        }
        if let views, FaceViews(rawValue: views) == nil {
            throw ValidationError("--views must be alternate, both or single (found '\(views)')")
        }
    }

    static func alpha(_ text: String) -> Float? {
        if text == "off" { return 1 }
        guard let value = Float(text), value > 0, value <= 1 else { return nil }
        return value
    }

    /// The settings given; the run service resolves the rest (a replayed session's, else the live defaults).
    var tuning: PipelineTuning {
        PipelineTuning(detectEvery: detectEvery, smoothing: smoothing.flatMap(Self.alpha), views: views.flatMap(FaceViews.init))
    }

    /// How a run describes its configuration on stderr.
    static func describe(_ configuration: PipelineConfiguration) -> String {
        let smoothing = configuration.smoothing == 1 ? "off" : String(format: "%g", configuration.smoothing)
        return "detect every \(configuration.detectEvery) frames, smoothing \(smoothing), \(configuration.views.rawValue) face views"
    }
}

/// `--data` and `--workers`: the commands that read FER-2013 (`train`, `average`, `eval`).
struct DatasetOptions: ParsableArguments {
    static let workersRange = 1...256

    @Option(help: "FER-2013 CSV (emotion,pixels,Usage), plain or .gz (train: Training, validated on PublicTest; average: Training recounts the statistics, PublicTest evaluates; eval: the --split).")
    var data: String

    @Option(help: "Threads, 1 to 256 (default: train, the config's workers; average and eval, all cores).")
    var workers: Int?

    /// What a whole FER-2013 file's "reading" bar counts towards: its 35,887 rows and header (progress
    /// counts the lines read, whichever splits are kept).
    static let expectedLines = 36_000

    func validate() throws {
        try checkRange(workers, Self.workersRange, option: "--workers")
    }

    /// --data's rows of `splits`, drawn as "reading" on `bar` while the file is read.
    func read(splits: Set<FERSplit>, bar: ProgressBar) throws -> FERDataset {
        let dataset = try FERDataset.read(path: data, splits: splits) { lines in
            bar.update("reading", fraction: Double(lines) / Double(Self.expectedLines), detail: "\(lines) rows")
        }
        bar.finish()
        return dataset
    }

    /// --workers, else every core this process may use (average and eval; train's default is its config's).
    var workersOrAllCores: Int { workers ?? ProcessInfo.processInfo.activeProcessorCount }
}

/// `--force`: every command that writes files.
struct OutputOptions: ParsableArguments {
    @Flag(help: "Replace output files that already exist (an output that is one of the command's inputs is refused even so).")
    var force = false
}

/// The still-image commands' inputs and outputs (`detect`, `classify`): the images, `--annotate`, `--force`.
struct ImageOptions: ParsableArguments {
    @OptionGroup var annotation: AnnotationOptions
    @OptionGroup var output: OutputOptions

    @Argument(help: "JPEG or PNG images.")
    var images: [String]

    func validate() throws {
        guard !images.isEmpty else { throw ValidationError("give at least one image") }
    }

    /// The annotated file of each image (nil without --annotate), checked before any work against the images
    /// and `otherInputs` (the other files the command reads): never an input, an existing file only with --force.
    func annotatedPaths(otherInputs: [String?]) throws -> [String]? {
        let annotated = annotation.paths(for: images)
        try OutputPlan(inputs: images + otherInputs, force: output.force).check(annotated ?? [])
        return annotated
    }
}

/// `--annotate`: `detect` and `classify` draw the faces they found.
struct AnnotationOptions: ParsableArguments {
    @Option(help: "Write each image with its faces drawn to this PNG; with several images -<name> is appended to it (out-photo.png), and -<name>-<k> for the k-th of several images with the same name (out-x-1.png, out-x-2.png for a/x.jpg b/x.jpg).")
    var annotate: String?

    /// The files written are PNGs, so a path with another extension is refused: it is most often a photo
    /// meant as an input (`--annotate holiday1.jpg holiday2.jpg`, the flag taken for a switch).
    func validate() throws {
        if let annotate, URL(fileURLWithPath: annotate).pathExtension.lowercased() != "png" {
            throw ValidationError("--annotate writes PNG files: its path must end in .png (found \(annotate); "
                                  + "an image to read goes after the options)")
        }
    }

    /// The annotated file of each image, in order (distinct for distinct positions).
    func paths(for images: [String]) -> [String]? {
        guard let annotate else { return nil }
        return AnnotationNames.paths(base: annotate, images: images)
    }
}

enum AnnotationNames {
    /// out.png + [a/x.jpg, b/x.jpg, c/y.jpg] → [out-x-1.png, out-x-2.png, out-y.png]; one image → [out.png].
    static func paths(base: String, images: [String]) -> [String] {
        guard images.count > 1 else { return images.map { _ in base } }
        let url = URL(fileURLWithPath: base)
        let ext = url.pathExtension.isEmpty ? "png" : url.pathExtension
        let prefix = url.pathExtension.isEmpty ? base : String(base.dropLast(url.pathExtension.count + 1))
        let stems = images.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
        var counts: [String: Int] = [:]
        for stem in stems { counts[stem, default: 0] += 1 }
        var seen: [String: Int] = [:]
        return stems.map { stem in
            seen[stem, default: 0] += 1
            let name = counts[stem]! > 1 ? "\(stem)-\(seen[stem]!)" : stem
            return "\(prefix)-\(name).\(ext)"
        }
    }
}
