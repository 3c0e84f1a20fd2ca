// `EmoNetBench network [--repeats N] [ARCH...]`: the engine against PyTorch CPU on the same VGG-style nets.
// Measures: inference time per face at batch 1 and 8 (one thread, through InferenceNetwork as the product
// runs it, in fp32 and in int8), and training throughput (batch 64, SGD step included; one thread, and two
// by splitting the batch). PyTorch runs as a persistent worker (scripts/bench_torch.py), and each repeat
// times every measure on our side and then on PyTorch's, so both see the same machine state; the ratio
// quoted is the median of the per-repeat ratios. Also: heap allocations per inference call after warm-up.
// The int8 network's activation scales are calibrated on the bench's random inputs: the timing does not
// depend on the values (docs/engine.md has the shipped model's accuracy at both precisions).
// Results: a table on stdout and bench-results/network.json; ratios are ours / PyTorch's time.
import CAllocationCounter
import CBLAS
import Dispatch
import Emotion
import Foundation
import NeuralNet

/// One measure of the table: our side as a closure, PyTorch's as a worker request.
private struct Measure {
    let label: String
    let unit: String
    /// Images per second (higher is better) rather than milliseconds per face.
    let throughput: Bool
    let torchRequest: String
    let ours: () -> Double
}

struct MeasureFigures: Codable {
    var measure: String
    var unit: String
    var ours: [Double]
    var torch: [Double]?
    /// Ours / PyTorch's time, one per repeat, and their median.
    var ratios: [Double]?
    var medianRatio: Double?
}

struct NetworkFigures: Codable {
    var architecture: String
    var multiplyAdds: Int
    var repeats: Int
    var measures: [MeasureFigures]
    var allocationsPerInferenceCall: Double
    var allocationsPerInt8InferenceCall: Double
    var torchVersion: String?
}

/// scripts/bench_torch.py kept running for one architecture; nil (with a note) when PyTorch is absent.
private final class TorchWorker {
    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffered = Data()
    private(set) var version: String?

    init?(spec: ModelSpec, name: String) {
        let python = ProcessInfo.processInfo.environment["EMONET_BENCH_PYTHON"] ?? ".venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            print("  (PyTorch reference skipped: \(python) not found; `make bench` creates it)")
            return nil
        }
        let specPath = FileManager.default.temporaryDirectory.appendingPathComponent("emonet-bench-\(name)-\(getpid()).json").path
        FileManager.default.createFile(atPath: specPath, contents: Data(spec.jsonString().utf8))
        defer { try? FileManager.default.removeItem(atPath: specPath) }
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["scripts/bench_torch.py", specPath]
        process.standardInput = input
        process.standardOutput = output
        do { try process.run() } catch {
            print("  (PyTorch reference failed to start: \(error))")
            return nil
        }
        // The first line says it is ready (the spec is read before this init returns and removes it).
        guard let hello = readObject(), let version = hello["torch"] as? String else {
            print("  (PyTorch reference did not start, status \(process.isRunning ? 0 : process.terminationStatus))")
            return nil
        }
        self.version = version
    }

    private func readObject() -> [String: Any]? {
        while true {
            if let newline = buffered.firstIndex(of: UInt8(ascii: "\n")) {
                let line = buffered[buffered.startIndex..<newline]
                buffered = Data(buffered[(newline + 1)...])
                return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { return nil }
            buffered.append(more)
        }
    }

    /// The median over `runs` timed runs of `request` (infer1, infer8, train1, train2), or nil if it failed.
    func measure(_ request: String, runs: Int) -> Double? {
        input.fileHandleForWriting.write(Data("\(request) \(runs)\n".utf8))
        return (readObject()?["value"] as? NSNumber)?.doubleValue
    }

    func stop() {
        input.fileHandleForWriting.write(Data("quit\n".utf8))
        process.waitUntilExit()
    }
}

func measureNetwork(_ name: String, repeats: Int) throws -> NetworkFigures {
    let spec = Architectures.named(name)!
    let model = try Sequential(spec: spec, seed: 1)
    var random = SeededRandom(seed: 2)
    func input(_ n: Int) -> Tensor {
        Tensor(shape: [n, 1, 48, 48], values: (0..<(n * 2304)).map { _ in random.normal() })
    }
    model.workers = 1
    // Inference as the product runs it: the network fused for inference (conv + batch norm + ReLU).
    let network = InferenceNetwork(model)
    let int8 = InferenceNetwork(model, precision: .int8(Int8Calibration.calibrate(model, images: input(64))))
    let x1 = input(1), x8 = input(8)
    func perFace(_ net: InferenceNetwork, _ x: Tensor, runs: Int) -> Double {
        median(timedRuns(repeats: runs, warmup: 3) { _ = net.forward(x) }) * 1000 / Double(x.batchSize)
    }
    func allocations(_ net: InferenceNetwork) -> Double {
        for _ in 0..<3 { _ = net.forward(x8) }
        let before = emonet_allocation_count()
        for _ in 0..<20 { _ = net.forward(x8) }
        return Double(emonet_allocation_count() - before) / 20
    }

    let x = input(64)
    let targets = Tensor(shape: [0])
    SoftmaxCrossEntropy.targets(labels: (0..<64).map { $0 % 7 }, classes: 7, smoothing: 0.1, into: targets)
    let loss = SoftmaxCrossEntropy()
    let optimizer = SGD(learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
    func imagesPerSecond(workers: Int) -> Double {
        model.workers = workers
        defer { model.workers = 1 }
        return 64 / median(timedRuns(repeats: 5, warmup: 1) {
            model.zeroGradients()
            loss(logits: model.forward(x, training: true), targets: targets)
            model.backward(loss.gradient)
            optimizer.step(model.parameters)
        })
    }

    let measures = [
        Measure(label: "inference fp32, batch 1", unit: "ms/face", throughput: false, torchRequest: "infer1 30") { perFace(network, x1, runs: 30) },
        Measure(label: "inference fp32, batch 8", unit: "ms/face", throughput: false, torchRequest: "infer8 15") { perFace(network, x8, runs: 15) },
        Measure(label: "inference int8, batch 1", unit: "ms/face", throughput: false, torchRequest: "infer1 30") { perFace(int8, x1, runs: 30) },
        Measure(label: "inference int8, batch 8", unit: "ms/face", throughput: false, torchRequest: "infer8 15") { perFace(int8, x8, runs: 15) },
        Measure(label: "training, 1 thread", unit: "img/s", throughput: true, torchRequest: "train1 5") { imagesPerSecond(workers: 1) },
        Measure(label: "training, 2 threads", unit: "img/s", throughput: true, torchRequest: "train2 5") { imagesPerSecond(workers: 2) },
    ]
    let torch = TorchWorker(spec: spec, name: name)
    var ours = [[Double]](repeating: [], count: measures.count), theirs = ours
    for r in 1...repeats {
        for (i, m) in measures.enumerated() {
            ours[i].append(m.ours())
            if let value = torch?.measure(m.torchRequest, runs: Int(m.torchRequest.split(separator: " ")[1])!) { theirs[i].append(value) }
        }
        FileHandle.standardError.write(Data("  \(name): repeat \(r)/\(repeats) done\n".utf8))
    }
    torch?.stop()
    let figures = measures.enumerated().map { i, m -> MeasureFigures in
        let complete = theirs[i].count == ours[i].count
        let ratios = complete ? zip(ours[i], theirs[i]).map { m.throughput ? $1 / $0 : $0 / $1 } : nil
        return MeasureFigures(measure: m.label, unit: m.unit, ours: ours[i], torch: complete ? theirs[i] : nil, ratios: ratios,
                              medianRatio: ratios.map(median))
    }
    return NetworkFigures(architecture: name, multiplyAdds: try spec.multiplyAdds(), repeats: repeats, measures: figures,
                          allocationsPerInferenceCall: allocations(network), allocationsPerInt8InferenceCall: allocations(int8),
                          torchVersion: torch?.version)
}

func runNetworkBench(_ arguments: [String]) throws {
    try Gemm.ensureLoaded()
    var repeats = 5, names: [String] = []
    var rest = arguments[...]
    while let a = rest.popFirst() {
        if a == "--repeats" {
            guard let v = rest.popFirst().flatMap(Int.init), v >= 1 else { throw BenchError("--repeats takes a whole number ≥ 1") }
            repeats = v
        } else {
            names.append(a)
        }
    }
    if names.isEmpty { names = ["vgg4s"] }
    let coretype = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
    let setting = emonet_blas_core_was_chosen() ? "OPENBLAS_CORETYPE unset, so EmoNet chose it" : "OPENBLAS_CORETYPE=\(coretype ?? "unset")"
    print("""
        EmoNet engine vs PyTorch CPU, \(ProcessInfo.processInfo.activeProcessorCount) cores, \(repeats) interleaved repeats
          GEMM: \(Gemm.usesOwnKernel ? "EmoNet's own AVX-512 kernel" : "OpenBLAS"); OpenBLAS \(Gemm.coreName) kernels (\(setting)); \
        int8: \(emonet_qgemm_uses_vnni() ? "AVX512-VNNI" : "portable loop")
        """)
    var all: [NetworkFigures] = []
    for name in names {
        guard Architectures.named(name) != nil else { throw BenchError("unknown architecture \(name) (try vgg3, vgg4s, vgg4)") }
        let figures = try measureNetwork(name, repeats: repeats)
        print(String(format: "\n%@ (%.1f M multiply-adds per face), PyTorch %@", name, Double(figures.multiplyAdds) / 1e6,
                     figures.torchVersion ?? "absent"))
        print("  measure                      EmoNet            PyTorch     ratio (ours/theirs time): median, per repeat")
        for m in figures.measures {
            // String(format:) does not pad %@ on Linux: pad the strings themselves.
            let label = m.measure.padding(toLength: 26, withPad: " ", startingAt: 0)
            let unit = m.unit.padding(toLength: 7, withPad: " ", startingAt: 0)
            let theirs = m.torch.map { String(format: "%8.2f", median($0)) } ?? "       —"
            let ratio = m.medianRatio.map { String(format: "%.2fx", $0) } ?? "—"
            let each = m.ratios.map { "(" + $0.map { String(format: "%.2f", $0) }.joined(separator: " ") + ")" } ?? ""
            print("  \(label) \(String(format: "%8.2f", median(m.ours))) \(unit)  \(theirs) \(unit)  \(ratio) \(each)")
        }
        print(String(format: "  heap allocations per inference call after warm-up: fp32 %.1f, int8 %.1f",
                     figures.allocationsPerInferenceCall, figures.allocationsPerInt8InferenceCall))
        all.append(figures)
    }
    struct Report: Encodable {
        var network: [NetworkFigures]
        var blasCore: String
        var openblasCoretype: String?
        var ownGemm: Bool
        var vnni: Bool
    }
    try BenchResults.write(Report(network: all, blasCore: Gemm.coreName, openblasCoretype: coretype, ownGemm: Gemm.usesOwnKernel,
                                  vnni: emonet_qgemm_uses_vnni()), to: "bench-results/network.json")
    print("\nwritten: bench-results/network.json")
}
