// `EmoNetBench network`: the engine against PyTorch CPU on the same VGG-style nets, in one run.
// Inference latency per face (batch 1 and 8, one thread, through InferenceNetwork as the product
// runs it), heap allocations per inference call
// after warm-up, and training throughput (batch 64, SGD step included; one thread, two threads by
// splitting the batch, and two OpenBLAS threads inside each GEMM).
// Results: a table on stdout and bench-results/network.json; ratios are ours / PyTorch's time.
import CAllocationCounter
import Dispatch
import Emotion
import Foundation
import NeuralNet

/// The median time of `repeats` runs of `body` in seconds, after `warmup` untimed ones.
func median(repeats: Int, warmup: Int = 3, _ body: () -> Void) -> Double {
    median(timedRuns(repeats: repeats, warmup: warmup, body))
}

struct NetworkFigures: Codable {
    var architecture: String
    var multiplyAdds: Int
    var inferenceMsPerFaceBatch1: Double
    var inferenceMsPerFaceBatch8: Double
    var allocationsPerInferenceCall: Double
    var trainImagesPerSecond1: Double
    var trainImagesPerSecond2: Double
    /// One worker, OpenBLAS splitting each GEMM over two threads (the alternative to splitting the batch).
    var trainImagesPerSecondBLAS2: Double
    /// PyTorch's figures for the same net (scripts/bench_torch.py's keys), nil when it did not run.
    var torch: [String: Double]?
}

func measureNetwork(_ name: String) throws -> NetworkFigures {
    let spec = Architectures.named(name)!
    let model = try Sequential(spec: spec, seed: 1)
    var random = SeededRandom(seed: 2)
    func input(_ n: Int) -> Tensor {
        Tensor(shape: [n, 1, 48, 48], values: (0..<(n * 2304)).map { _ in random.normal() })
    }
    model.workers = 1
    // Inference as the product runs it: the network fused for inference (conv + batch norm + ReLU).
    let network = InferenceNetwork(model)
    let x1 = input(1), x8 = input(8)
    let batch1 = median(repeats: 30) { _ = network.forward(x1) }
    let batch8 = median(repeats: 15) { _ = network.forward(x8) } / 8
    // Warm, then count allocations over many calls.
    for _ in 0..<3 { _ = network.forward(x8) }
    let before = emonet_allocation_count()
    for _ in 0..<20 { _ = network.forward(x8) }
    let allocations = Double(emonet_allocation_count() - before) / 20

    let x = input(64)
    let targets = Tensor(shape: [0])
    SoftmaxCrossEntropy.targets(labels: (0..<64).map { $0 % 7 }, classes: 7, smoothing: 0.1, into: targets)
    let loss = SoftmaxCrossEntropy()
    let optimizer = SGD(learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
    func step() {
        model.zeroGradients()
        loss(logits: model.forward(x, training: true), targets: targets)
        model.backward(loss.gradient)
        optimizer.step(model.parameters)
    }
    var train: [Double] = []
    for workers in [1, 2] {
        model.workers = workers
        train.append(64 / median(repeats: 8, warmup: 2, step))
    }
    model.workers = 1
    Gemm.blasThreads = 2
    let blas2 = 64 / median(repeats: 8, warmup: 2, step)
    Gemm.blasThreads = 1
    return NetworkFigures(architecture: name, multiplyAdds: try spec.multiplyAdds(), inferenceMsPerFaceBatch1: batch1 * 1000,
                          inferenceMsPerFaceBatch8: batch8 * 1000, allocationsPerInferenceCall: allocations,
                          trainImagesPerSecond1: train[0], trainImagesPerSecond2: train[1],
                          trainImagesPerSecondBLAS2: blas2, torch: nil)
}

/// Runs scripts/bench_torch.py on the same architecture; nil (with a note) when PyTorch is absent.
func measureTorch(_ name: String) -> [String: Double]? {
    let python = ProcessInfo.processInfo.environment["EMONET_BENCH_PYTHON"] ?? ".venv/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
        print("  (PyTorch reference skipped: \(python) not found; `make bench` creates it)")
        return nil
    }
    let specPath = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-bench-\(name)-\(getpid()).json").path
    FileManager.default.createFile(atPath: specPath, contents: Data(Architectures.named(name)!.jsonString().utf8))
    defer { try? FileManager.default.removeItem(atPath: specPath) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = ["scripts/bench_torch.py", specPath]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch {
        print("  (PyTorch reference failed to start: \(error))")
        return nil
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0,
          let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        print("  (PyTorch reference failed, status \(process.terminationStatus))")
        return nil
    }
    return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
}

func runNetworkBench(_ arguments: [String]) throws {
    try Gemm.ensureLoaded()
    let names = arguments.isEmpty ? ["vgg3", "vgg4s"] : arguments
    print("EmoNet engine vs PyTorch CPU — OpenBLAS \(Gemm.coreName) kernels, \(ProcessInfo.processInfo.activeProcessorCount) cores")
    var all: [NetworkFigures] = []
    for name in names {
        guard Architectures.named(name) != nil else { throw BenchError("unknown architecture \(name) (try vgg3, vgg4s, vgg4)") }
        var ours = try measureNetwork(name)
        let torch = measureTorch(name)
        print(String(format: "\n%@ (%.1f M multiply-adds per face)", name, Double(ours.multiplyAdds) / 1e6))
        print("  measure                          EmoNet      PyTorch    ratio (ours/theirs time)")
        func row(_ label: String, _ mine: Double, _ key: String, higherIsBetter: Bool, unit: String) {
            let theirs = torch?[key]
            let ratio = theirs.map { higherIsBetter ? $0 / mine : mine / $0 }
            // String(format:) does not pad %@ on Linux: pad the strings themselves.
            let reference: String = theirs.map { String(format: "%.2f", $0) } ?? "—"
            let name: String = label.padding(toLength: 30, withPad: " ", startingAt: 0)
            let padded: String = String(repeating: " ", count: max(0, 8 - reference.count)) + reference
            let times: String = ratio.map { String(format: "%.2fx", $0) } ?? "—"
            print("  \(name) \(String(format: "%8.2f", mine)) \(unit)  \(padded) \(unit)  \(times)")
        }
        row("inference, batch 1, 1 thread", ours.inferenceMsPerFaceBatch1, "inference_ms_per_face_batch1", higherIsBetter: false, unit: "ms/face")
        row("inference, batch 8, 1 thread", ours.inferenceMsPerFaceBatch8, "inference_ms_per_face_batch8", higherIsBetter: false, unit: "ms/face")
        row("training, 1 thread", ours.trainImagesPerSecond1, "train_images_per_s_threads1", higherIsBetter: true, unit: "img/s  ")
        row("training, 2 threads", ours.trainImagesPerSecond2, "train_images_per_s_threads2", higherIsBetter: true, unit: "img/s  ")
        print(String(format: "  (two cores, OpenBLAS threads instead of split batch: %.2f img/s)", ours.trainImagesPerSecondBLAS2))
        print(String(format: "  heap allocations per inference call after warm-up: %.1f", ours.allocationsPerInferenceCall))
        ours.torch = torch
        all.append(ours)
    }
    struct Report: Encodable { var network: [NetworkFigures]; var blasCore: String }
    try BenchResults.write(Report(network: all, blasCore: Gemm.coreName), to: "bench-results/network.json")
    print("\nwritten: bench-results/network.json")
}
