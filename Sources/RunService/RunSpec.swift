// What one run of the live path is made of, as values: where the frames come from, the emotion model, the
// face finder's cascade and parameters, the tracking and smoothing settings and what to do when processing
// is slower than the source. The command line's option groups map onto it (Sources/emonet/Options.swift);
// the benchmarks fill it in directly. `PipelineRun` turns it into an open source and a running pipeline.
import Assets
import Capture
import Emotion
import FaceDetection
import Foundation
import NeuralNet
import Pipeline
import Session

/// Where a run's frames come from.
public enum RunInput {
    /// A V4L2 camera (nil: the first capture device).
    case camera(device: String?, request: V4L2Camera.Request)
    /// A video file played like a camera: paced to its rate, at its own size, or fitted inside `size` when
    /// given (scaled keeping its shape, with black bars; never stretched).
    case videoFile(path: String, paced: Bool, size: (width: Int, height: Int)?)
    /// What replay reads: a session directory (with its recorded settings) or a video file.
    case recording(path: String, paced: Bool)
    /// A source the caller opened (tests, embedders); the run owns it from here and closes it.
    case source(FrameSource)

    /// Cameras and live files drop stale frames (latency stays low); a replay processes every frame.
    public var defaultDropPolicy: FrameDropPolicy {
        if case .recording = self { return .waitForProcessing }
        return .dropStale
    }

    /// A device: the model and cascade load before it is opened, so a missing file never touches it.
    var isDevice: Bool {
        if case .camera = self { return true }
        return false
    }
}

/// The emotion classifier of a run.
public enum RunModel {
    /// An EmotionClassifier read from this model file (a missing file is `RunError.modelNotFound`), its
    /// convolutions in int8 when `int8` (the file must carry a calibration).
    case file(path: String, workers: Int = 1, int8: Bool = false)
    /// A classifier the caller made (the benchmark's "no classifier", test doubles).
    case given(FaceClassifying)
}

/// The live finder: a cascade file (nil: the default lookup, CascadeLocator) and its full-scan parameters;
/// the regional scans use as many threads as the full scan. With `profileCascade` set, full scans are
/// multi-pose (turned and profile faces, MultiPoseDetector); with `verifier` set, every face a full scan
/// finds must pass that face verifier. A finder built once can be passed in (`built`, a batch's many runs:
/// the cascades and the verifier are read once); the finder keeps no state between runs.
public struct FinderSpec {
    public var cascade: String?
    public var parameters: DetectionParameters
    /// The profile cascade of a multi-pose search (nil: upright frontal faces only).
    public var profileCascade: String?
    /// The face verifier file (nil: no false-face check).
    public var verifier: String?
    /// A finder already built from this spec; `make()` returns it instead of reading the cascade again.
    public var built: CascadeFaceFinder?

    public init(cascade: String? = nil, parameters: DetectionParameters = CascadeFaceFinder.defaultParameters,
                profileCascade: String? = nil, verifier: String? = nil) {
        self.cascade = cascade
        self.parameters = parameters
        self.profileCascade = profileCascade
        self.verifier = verifier
    }

    public func make() throws -> CascadeFaceFinder {
        if let built { return built }
        return try make(from: load())
    }

    /// The files this spec's finder reads, read once: the cascades and the verifier's model file.
    public struct Loaded {
        public let cascade: HaarCascade
        public let profileCascade: HaarCascade?
        public let verifier: ModelFile?
    }

    public func load() throws -> Loaded {
        let verifierFile: ModelFile?
        if let path = verifier {
            guard FileManager.default.fileExists(atPath: path) else { throw RunError.verifierNotFound(path: path) }
            verifierFile = try ModelFile.read(path: path)
        } else {
            verifierFile = nil
        }
        return Loaded(cascade: try CascadeLocator.load(path: cascade), profileCascade: try profileCascade.map { try CascadeLocator.load(path: $0) },
                      verifier: verifierFile)
    }

    /// A finder of this spec's parameters over files already read (a batch's jobs each get their own finder,
    /// with its own scratch planes and verifier buffers, from one parsed copy).
    public func make(from loaded: Loaded) throws -> CascadeFaceFinder {
        let frontal = FaceDetector(cascade: loaded.cascade)
        let search = loaded.profileCascade.map { MultiPoseDetector(frontal: frontal, profile: FaceDetector(cascade: $0)) }
        return CascadeFaceFinder(detector: frontal, parameters: parameters, regionThreads: parameters.threads,
                                 poseSearch: search, verifier: try loaded.verifier.map { try FaceVerifier(file: $0) })
    }

    /// This spec with its finder built now, for many runs.
    public func building() throws -> FinderSpec {
        var spec = self
        spec.built = try make()
        return spec
    }
}

/// Tracking and smoothing settings a user gave; the rest come from a replayed session's recording, else
/// from PipelineConfiguration's defaults.
public struct PipelineTuning {
    public var detectEvery: Int?
    public var smoothing: Float?
    public var views: FaceViews?

    public init(detectEvery: Int? = nil, smoothing: Float? = nil, views: FaceViews? = nil) {
        self.detectEvery = detectEvery
        self.smoothing = smoothing
        self.views = views
    }

    /// The settings given, else the recorded session's, else the live defaults.
    public func configuration(recorded: SessionSettings? = nil) -> PipelineConfiguration {
        let defaults = PipelineConfiguration()
        return PipelineConfiguration(
            detectEvery: detectEvery ?? recorded?.detectEvery ?? defaults.detectEvery,
            smoothing: smoothing ?? recorded.map { Float($0.smoothing) } ?? defaults.smoothing,
            matchThreshold: recorded?.matchThreshold ?? defaults.matchThreshold,
            maxMissedFrames: recorded?.maxMissedFrames ?? defaults.maxMissedFrames,
            views: views ?? recorded?.views ?? defaults.views)
    }
}

/// Everything `PipelineRun` needs to open, run and close one pipeline.
public struct RunSpec {
    public var input: RunInput
    public var model: RunModel
    public var finder: FinderSpec
    public var tuning: PipelineTuning
    public var dropPolicy: FrameDropPolicy
    /// SIGINT/SIGTERM stop the run (a second one exits at once, status 130) while it is started.
    public var stopsOnSignals: Bool
    /// How a video file (not a plain .y4m) is decoded.
    public var videoDecoder: VideoDecoder = .preferred
    /// Its decoding threads (0: FFmpeg's choice); a batch running one input per core asks for 1.
    public var decoderThreads = 0
    /// Whether a video file's frames are needed in colour (a window, a recording, an annotated video); else
    /// it is read straight into gray, which is all the pipeline looks at.
    public var colour = true

    public init(input: RunInput, model: RunModel, finder: FinderSpec = FinderSpec(), tuning: PipelineTuning = PipelineTuning(),
                dropPolicy: FrameDropPolicy? = nil, stopsOnSignals: Bool = true) {
        self.input = input
        self.model = model
        self.finder = finder
        self.tuning = tuning
        self.dropPolicy = dropPolicy ?? input.defaultDropPolicy
        self.stopsOnSignals = stopsOnSignals
    }
}

/// The run service's own errors, one line each.
public enum RunError: Error, LocalizedError {
    case modelNotFound(path: String)
    case verifierNotFound(path: String)

    public var errorDescription: String? {
        switch self {
        case .modelNotFound(let path):
            return "model file \(path) not found: pass --model PATH or set $EMONET_MODEL (the shipped model is "
                + "\(DataRoot.shippedModel) beside emonet; `make train STAGE=k` trains one into runs/)"
        case .verifierNotFound(let path):
            return "face verifier \(path) not found: pass --verifier PATH, or --no-verify to keep every face the cascade finds "
                + "(the shipped verifier is \(DataRoot.shippedVerifier) beside emonet; `make train-verifier` makes one)"
        }
    }
}

/// One line on stderr, prefixed like every emonet message.
public enum RunMessages {
    public static func say(_ text: String) {
        FileHandle.standardError.write(Data("emonet: \(text)\n".utf8))
    }
}
