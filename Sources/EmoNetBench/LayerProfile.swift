// `EmoNetBench layers [ARCH] [--batch N] [--seconds S] [--train]`: where one forward (or forward +
// backward) of a preset network spends its time, layer by layer, with each layer's GFLOP/s (a ReLU that a
// batch norm applies itself shows 0: Sequential skips it, see `Sequential.runs`). For
// profiling the engine, not a comparison: nothing is written under bench-results/.
import Emotion
import Foundation
import NeuralNet

func runLayerProfile(_ arguments: [String]) throws {
    var batch = 1, budget = 5.0, train = false
    // The architecture is the one word before the options (`--batch` last used to read past the end: a trap).
    let named = arguments.first.map { !$0.hasPrefix("--") } ?? false
    let name = named ? arguments[0] : "vgg4s"
    try BenchArguments.read(Array(arguments.dropFirst(named ? 1 : 0)), [
        "--batch": .number(in: 1...4096) { batch = $0 }, "--seconds": .number(in: 0.1...3600) { budget = $0 },
        "--train": .flag { train = true },
    ])
    guard let spec = Architectures.named(name) else { throw BenchError("unknown architecture \(name) (try vgg3, vgg4s, vgg4)") }
    let model = try Sequential(spec: spec, seed: 1)
    var random = SeededRandom(seed: 2)
    let x = Tensor(shape: [batch, 1, 48, 48], values: (0..<(batch * 2304)).map { _ in random.normal() })
    let options = PassOptions(training: train, workers: 1)
    var forward = [Double](repeating: 0, count: model.layers.count)
    var backward = forward
    var shapes: [[Int]] = []
    var shape = spec.inputShape
    for layer in model.layers { shapes.append(shape); shape = try layer.outputShape(for: shape) }
    var passes = 0
    let start = DispatchTime.now().uptimeNanoseconds
    while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < budget {
        var t = x
        for (i, layer) in model.layers.enumerated() where model.runs[i] {
            let s = DispatchTime.now().uptimeNanoseconds
            t = layer.forward(t, options)
            forward[i] += Double(DispatchTime.now().uptimeNanoseconds - s)
        }
        if train {
            var g = Tensor(shape: t.shape, values: [Float](repeating: 0.01, count: t.count))
            for (i, layer) in model.layers.enumerated().reversed() where model.runs[i] {
                let s = DispatchTime.now().uptimeNanoseconds
                g = layer.backward(g, PassOptions(training: true, workers: 1, inputGradient: i > 0))
                backward[i] += Double(DispatchTime.now().uptimeNanoseconds - s)
            }
        }
        passes += 1
    }
    let total = (forward.reduce(0, +) + backward.reduce(0, +)) / Double(passes) / 1e6
    print("\(name), batch \(batch), \(train ? "training" : "inference"), \(passes) passes: \(String(format: "%.3f", total)) ms per pass")
    print("layer                     input          fwd ms   fwd GF/s" + (train ? "   bwd ms" : "") + "   share")
    for (i, layer) in model.layers.enumerated() {
        let f = forward[i] / Double(passes) / 1e6, b = backward[i] / Double(passes) / 1e6
        let flops = 2 * Double(layer.multiplyAdds(for: shapes[i]) * batch)
        let gf = flops > 0 ? String(format: "%8.1f", flops / (f * 1e6)) : "       -"
        let line = layer.name.padding(toLength: 24, withPad: " ", startingAt: 0) + "  "
            + "\(shapes[i])".padding(toLength: 14, withPad: " ", startingAt: 0)
            + String(format: "%8.3f", f) + "   " + gf
            + (train ? String(format: "  %8.3f", b) : "") + String(format: "   %5.1f%%", (f + b) / total * 100)
        print(line)
    }
    guard !train else { return }
    do {
        let network = InferenceNetwork(model)
        var runs = 0
        let begin = DispatchTime.now().uptimeNanoseconds
        while Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e9 < budget / 2 { _ = network.forward(x); runs += 1 }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - begin) / 1e6 / Double(runs)
        print("InferenceNetwork (conv+bn+relu fused): \(String(format: "%.3f", ms)) ms per pass")
    }
}
