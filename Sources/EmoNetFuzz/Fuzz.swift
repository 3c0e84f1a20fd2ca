// libFuzzer targets for every reader of files people hand to EmoNet, in one binary (`make fuzz`):
// EMONET_FUZZ_TARGET picks cascade (OpenCV XML), model (safetensors model file), csv (FER-2013 rows),
// y4m (YUV4MPEG2), session (session.json, frame index, MJPEG store, results.jsonl) or image (PNG/JPEG).
// Each reader must either return or throw: a crash, a hang, a sanitizer report or an out-of-bounds
// read is a finding. Readers that take paths get the input through a file in a private temp folder.
// EMONET_FUZZ_SEEDS=DIR writes a seed corpus for the chosen target (valid files made here or taken
// from Debian's opencv-data) into DIR and exits.
//
// Built by `make fuzz` with -sanitize=fuzzer,address -DFUZZING: main hands control to libFuzzer's
// driver; an ordinary build gets a main that says how to run it.
import CFuzzer
import Capture
import Emotion
import FaceDetection
import Foundation
import ImageIO
import Imaging
import NeuralNet
import Pipeline
import Session

enum FuzzTarget: String, CaseIterable {
    case cascade, model, csv, y4m, session, image

    static var current: FuzzTarget {
        let name = ProcessInfo.processInfo.environment["EMONET_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("EMONET_FUZZ_TARGET must be one of \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }
}

/// A session's files travel in one input, separated by this line.
let sessionSeparator = Array("\n--emonet-part--\n".utf8)

enum Fuzz {
    static let folder: String = {
        let path = NSTemporaryDirectory() + "emonet-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()
    static let target = FuzzTarget.current

    static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    /// Runs one input through the chosen reader; errors are the expected outcome for most inputs.
    static func run(_ bytes: [UInt8]) {
        switch target {
        case .cascade:
            if let cascade = try? HaarCascade(xml: bytes) {
                // A cascade that loads must also be safe to run on a small frame.
                let detector = FaceDetector(cascade: cascade)
                _ = detector.detect(GrayImage(width: 64, height: 48), parameters: DetectionParameters())
            }
        case .model:
            if let file = try? ModelFile.decode(bytes, file: "input"), let model = try? EmotionModel(file: file) {
                let input = Tensor(shape: [1, 1, 48, 48])
                _ = model.network.forward(input, training: false)
            }
        case .csv:
            _ = try? FERDataset.read(path: file("input.csv", bytes))
        case .y4m:
            if let source = try? Y4MFileSource(path: file("input.y4m", bytes), paced: false) {
                var frames = 0
                while frames < 64, let frame = try? source.nextFrame() {
                    _ = frame
                    frames += 1
                }
                source.close()
            }
        case .session:
            let directory = folder + "/session"
            try? FileManager.default.removeItem(atPath: directory)
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let names = [SessionFiles.manifest, SessionFiles.index, SessionFiles.frames, SessionFiles.results]
            for (name, part) in zip(names, split(bytes, by: sessionSeparator) + [[], [], [], []]) {
                FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(part))
            }
            if let source = try? SessionSource(directory: directory) {
                // A manifest that reads is safe to replay with: its settings build the pipeline's stages
                // (out of range, they once reached their preconditions).
                let settings = source.manifest.settings
                _ = FaceTracker(matchThreshold: settings.matchThreshold, maxMissedFrames: settings.maxMissedFrames)
                _ = ProbabilitySmoother(alpha: Float(settings.smoothing))
                _ = FrameProcessor(finder: NoFaces(), classifier: NoFaces(),
                                   configuration: PipelineConfiguration(detectEvery: settings.detectEvery, smoothing: Float(settings.smoothing),
                                                                        matchThreshold: settings.matchThreshold,
                                                                        maxMissedFrames: settings.maxMissedFrames, views: settings.views))
                var frames = 0
                while frames < 64, let frame = try? source.nextFrame() {
                    _ = frame
                    frames += 1
                }
                source.close()
            }
            let results = directory + "/" + SessionFiles.results
            _ = try? ResultsComparison.compare(recorded: results, replayed: results)
        case .image:
            _ = try? ImageFile.read(path: file("input.img", bytes))
        }
    }

    static func split(_ bytes: [UInt8], by separator: [UInt8]) -> [[UInt8]] {
        var parts: [[UInt8]] = [], start = 0, i = 0
        while i + separator.count <= bytes.count {
            if bytes[i..<(i + separator.count)].elementsEqual(separator) {
                parts.append(Array(bytes[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(Array(bytes[start...]))
        return parts
    }
}

/// A finder and classifier that see nothing: enough to build a FrameProcessor from fuzzed settings.
final class NoFaces: FaceFinding, FaceClassifying {
    func findFaces(in image: GrayImage) -> [Rect] { [] }
    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] { [] }
    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] { [] }
}

@main
struct FuzzMain {
    static func main() {
        #if FUZZING
        if let seeds = ProcessInfo.processInfo.environment["EMONET_FUZZ_SEEDS"] {
            do {
                try FuzzSeeds.write(Fuzz.target, into: seeds)
                exit(0)
            } catch {
                FileHandle.standardError.write(Data("EmoNetFuzz: cannot write seeds: \(error)\n".utf8))
                exit(1)
            }
        }
        _ = Fuzz.target  // a bad EMONET_FUZZ_TARGET stops here, before libFuzzer starts
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            Fuzz.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
            return 0
        })
        #else
        print("EmoNetFuzz is a libFuzzer target: build and run it with `make fuzz` (see the Makefile).")
        #endif
    }
}
