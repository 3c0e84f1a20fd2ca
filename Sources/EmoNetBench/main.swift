// EmoNetBench: `EmoNetBench <benchmark> [options]`. Each benchmark lives in its own file, prints a
// table and writes JSON under bench-results/; this file only dispatches on the first argument.
import Foundation
import NeuralNet

Gemm.prepareEnvironment()  // before any thread or library might start OpenBLAS
let benchArguments = Array(CommandLine.arguments.dropFirst(2))
do {
    switch CommandLine.arguments.dropFirst().first {
    case "detector": try runDetectorBench(benchArguments)
    case "faces": try runFacesBench(benchArguments)
    case "labels": try runLabelBench(benchArguments)
    case "pipeline": try PipelineBench.run(arguments: benchArguments)
    case "network": try runNetworkBench(Array(benchArguments))
    case "replay": try ReplayBench.run(arguments: benchArguments)
    case "batch": try BatchBench.run(arguments: benchArguments)
    case "layers": try runLayerProfile(benchArguments)
    case "soak": try Soak.run(arguments: benchArguments)
    case "verifier": try runVerifierBench(benchArguments)
    case "scans": try runScanBench(benchArguments)
    default:
        FileHandle.standardError.write(Data("usage: EmoNetBench detector|faces|labels|pipeline|network|replay|batch|layers|soak|verifier|scans [options]\n".utf8))
        exit(2)
    }
} catch {
    FileHandle.standardError.write(Data("EmoNetBench: \(error)\n".utf8))
    exit(1)
}
