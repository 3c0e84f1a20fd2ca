// swift-tools-version:6.0
// EmoNet: real-time facial emotion detection for Linux, in Swift.
// Targets and their dependencies point down only; see ARCHITECTURE.md.
import PackageDescription

/// Hot loops are written with unsafe buffer pointers; exclusivity checks there only cost time.
let fastMath: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"]),
]

let package = Package(
    name: "EmoNet",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "emonet", targets: ["emonet"]),
        // The emulated V4L2 camera (LD_PRELOAD) that capture tests and the pipeline benchmark stream from.
        .library(name: "V4L2Emulator", type: .dynamic, targets: ["V4L2Emulator"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 of the model and cascade in session files.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: - C shims over Debian's libraries
        // OpenBLAS is opened with dlopen so that OPENBLAS_CORETYPE can be chosen before it loads.
        .target(name: "CBLAS", linkerSettings: [.linkedLibrary("dl")]),
        // Pixel loops in C with AVX2 (RGB to gray), for Imaging and for frames read straight from FFmpeg.
        .target(name: "CPixels"),
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png")]),
        .target(name: "CV4L2", linkerSettings: [.linkedLibrary("v4l2"), .linkedLibrary("v4lconvert")]),
        // FFmpeg's libraries (video files decoded in this process) are opened with dlopen on first use, so
        // that only commands reading video load them; without them video goes through the ffmpeg program.
        .target(name: "CLibAV", dependencies: ["CPixels"], linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("m")]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSDL2", pkgConfig: "sdl2",
                       providers: [.apt(["libsdl2-dev", "libsdl2-ttf-dev"])]),

        // Every output file is staged beside its target, flushed and renamed into place (AtomicFile, StagedFile).
        .target(name: "SafeOutput"),

        // MARK: - Pure libraries: values in, values out
        .target(name: "Imaging", dependencies: ["CPixels"], swiftSettings: fastMath),
        // Where the shipped model and assets/ are found, installed or in a checkout (no dependencies).
        .target(name: "Assets"),
        .target(name: "NeuralNet", dependencies: ["CBLAS", "SafeOutput"], swiftSettings: fastMath),
        .target(name: "FaceDetection", dependencies: ["Imaging", "Assets"], swiftSettings: fastMath),
        // The values on the frame's path: frames, sources and sinks, results, emotion labels, run summaries.
        .target(name: "Frames", dependencies: ["Imaging"]),
        .target(name: "Emotion", dependencies: ["Imaging", "NeuralNet", "Frames", "CZlib"], swiftSettings: fastMath),

        // MARK: - The live path and the edges
        .target(name: "Pipeline", dependencies: ["Imaging", "FaceDetection", "Emotion", "Frames"]),
        .target(name: "ImageIO", dependencies: ["Imaging", "CImageCodecs", "SafeOutput"]),
        .target(name: "Capture", dependencies: ["CV4L2", "CLibAV", "CPixels", "Frames", "Imaging"]),
        // How things look, for the window, screenshots, videos and charts alike: one palette, one font
        // service (SDL2_ttf), the overlay drawn with any SDL renderer (the window's or a software one).
        .target(name: "Presentation", dependencies: ["CSDL2", "Frames", "Imaging"]),
        .target(name: "Display", dependencies: ["CSDL2", "Frames", "Presentation", "Imaging", "Assets"]),
        // Charts (training curves, confusion matrices, emotion timelines): values in, RGBImage out.
        .target(name: "Plot", dependencies: ["Imaging", "Frames", "Presentation"]),
        .target(name: "Session", dependencies: ["Frames", "Imaging", "ImageIO", "Plot", "Presentation", "SafeOutput", "CZlib",
                                                .product(name: "Crypto", package: "swift-crypto")]),
        // One run of the live path from open to close (live, replay, the pipeline benchmark): RunSpec → PipelineRun.
        .target(name: "RunService", dependencies: ["Assets", "Pipeline", "Frames", "Capture", "Session", "FaceDetection", "Emotion"]),
        .executableTarget(
            name: "emonet",
            dependencies: [
                "NeuralNet", "Imaging", "ImageIO", "FaceDetection", "Emotion", "Frames",
                "Pipeline", "Capture", "Presentation", "Display", "Session", "Plot", "Assets", "SafeOutput", "RunService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        // Benchmarks (`make bench`): each prints a table and writes JSON under bench-results/.
        .executableTarget(
            name: "EmoNetBench",
            dependencies: ["NeuralNet", "Imaging", "ImageIO", "FaceDetection", "Emotion", "Pipeline", "Capture", "Plot",
                           "RunService", "SafeOutput", "Assets", "CAllocationCounter"],
            swiftSettings: fastMath),
        .target(name: "CAllocationCounter"),
        // libFuzzer targets for every file reader (`make fuzz`, built with -sanitize=fuzzer,address -DFUZZING).
        .executableTarget(
            name: "EmoNetFuzz",
            dependencies: ["CFuzzer", "Capture", "Emotion", "FaceDetection", "ImageIO", "Imaging", "NeuralNet", "Pipeline", "Session"]),
        .target(name: "CFuzzer"),

        // MARK: - Tests
        .target(name: "V4L2Emulator", path: "Tests/V4L2Emulator",
                linkerSettings: [.linkedLibrary("dl"), .linkedLibrary("pthread")]),
        .target(name: "TestSupport", dependencies: ["NeuralNet", "Imaging", "Frames"], path: "Tests/TestSupport"),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "CBLAS", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "CPixels", "ImageIO", "TestSupport"]),
        .testTarget(name: "FaceDetectionTests", dependencies: ["FaceDetection", "ImageIO", "Assets", "TestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "EmotionTests", dependencies: ["Emotion", "Imaging", "NeuralNet", "FaceDetection", "ImageIO", "TestSupport"],
                    exclude: ["Fixtures"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "FaceDetection", "Emotion", "ImageIO", "TestSupport"]),
        .testTarget(name: "CaptureTests", dependencies: ["Capture", "Pipeline", "TestSupport"]),
        .testTarget(name: "DisplayTests", dependencies: ["Display", "Pipeline", "Assets", "TestSupport"]),
        .testTarget(name: "SessionTests", dependencies: ["Session", "Pipeline", "Emotion", "ImageIO", "TestSupport",
                                                        .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "PlotTests", dependencies: ["Plot", "Presentation", "Emotion", "ImageIO", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["TestSupport", "ImageIO", "Imaging"]),
        .testTarget(name: "RunServiceTests", dependencies: ["RunService", "Pipeline", "Imaging", "TestSupport"]),
        .testTarget(name: "SafeOutputTests", dependencies: ["SafeOutput", "TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
