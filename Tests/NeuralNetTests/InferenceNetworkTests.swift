// The inference network (conv + batch norm + ReLU fused, vector max pooling) against the model's own
// layer-by-layer forward, and its max pooling against the portable loop and the training layer.
import CBLAS
import NeuralNet
import TestSupport
import XCTest

/// Non-trivial batch-norm statistics and affine terms in every batch norm of `model`, as after training.
func giveTrainedBatchNorms(_ model: Sequential, _ random: inout SeededRandom) {
    for case let bn as BatchNorm2D in model.layers {
        for c in 0..<bn.channels {
            bn.weight.value[c] = 0.5 + random.uniform()
            bn.bias.value[c] = random.normal() * 0.3
            bn.runningMean[c] = random.normal() * 0.5
            bn.runningVar[c] = 0.2 + random.uniform() * 2
        }
    }
}

final class InferenceNetworkTests: XCTestCase {
    /// Conv with and without bias, batch norm with and without ReLU after it, odd sizes, a dense head.
    let spec = ModelSpec(inputShape: [3, 19, 23], layers: [
        .conv("c1", 3, 8, bias: true), .batchNorm("bn1", 8), .relu("r1"), .maxPool("p1"),
        .conv("c2", 8, 12), .batchNorm("bn2", 12), .maxPool("p2"),
        .conv("c3", 12, 5, bias: true), .relu("r3"),
        .flatten("f"), .dropout("d", 0.3), .dense("fc", 16, bias: false), .batchNorm("bnf", 16), .relu("rf"),
        .dense("out", 7),
    ])

    func trainedModel() throws -> Sequential {
        let model = try Sequential(spec: spec, seed: 5)
        var random = SeededRandom(seed: 6)
        giveTrainedBatchNorms(model, &random)
        for case let conv as Conv2D in model.layers {
            if let bias = conv.bias { for c in 0..<bias.value.count { bias.value[c] = random.normal() * 0.2 } }
        }
        return model
    }

    func input(_ n: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(shape: [n, 3, 19, 23], values: (0..<(n * 3 * 19 * 23)).map { _ in random.normal() })
    }

    func testMatchesLayerByLayerForward() throws {
        try matchLayerByLayer(ownKernel: true)
    }

    /// OpenBLAS and a separate bias/ReLU pass, as on CPUs without AVX-512.
    func testMatchesLayerByLayerForwardOnOpenBLAS() throws {
        Gemm.useOwnKernel(false)
        defer { Gemm.useOwnKernel(true) }
        try matchLayerByLayer(ownKernel: false)
    }

    func matchLayerByLayer(ownKernel: Bool) throws {
        XCTAssertEqual(Gemm.usesOwnKernel, ownKernel && emonet_avx512_kernels())
        let model = try trainedModel()
        for (n, workers) in [(1, 1), (3, 1), (5, 2)] {
            model.workers = workers
            let x = input(n, seed: UInt64(n))
            let expected = model.forward(x, training: false).values
            let network = InferenceNetwork(model, workers: workers)
            let got = network.forward(x).values
            XCTAssertEqual(got.count, expected.count)
            let scale = expected.map(abs).max()!
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            print("InferenceNetwork batch \(n), \(workers) workers: largest difference \(worst) (outputs up to \(scale))")
            XCTAssertLessThan(worst, 1e-5 * max(1, scale), "batch \(n), \(workers) workers")
            // Call again: buffers are reused, results unchanged.
            XCTAssertEqual(network.forward(x).values, got)
        }
    }

    func testIsASnapshotOfTheWeights() throws {
        let model = try trainedModel()
        let network = InferenceNetwork(model)
        let x = input(2, seed: 9)
        let before = network.forward(x).values
        for p in model.parameters { for i in 0..<p.value.count { p.value[i] += 1 } }
        XCTAssertEqual(network.forward(x).values, before, "the inference network saw a later change to the model")
        XCTAssertNotEqual(model.forward(x, training: false).values, before)
    }

    func testMaxPoolMatchesPortableLoopAndTrainingLayer() {
        var random = SeededRandom(seed: 4)
        // Widths around the 16-output vector step and its tails, odd sizes (floor mode).
        for (planes, h, w) in [(3, 4, 4), (2, 5, 7), (4, 9, 31), (2, 8, 32), (3, 7, 33), (1, 6, 65), (2, 48, 48)] {
            let x = Tensor(shape: [1, planes, h, w], values: (0..<(planes * h * w)).map { _ in random.normal() })
            let fast = Tensor(shape: [planes * (h / 2) * (w / 2)]), portable = Tensor(shape: [fast.count])
            emonet_maxpool2x2(x.data, Int32(planes), Int32(h), Int32(w), fast.data)
            emonet_maxpool2x2_portable(x.data, Int32(planes), Int32(h), Int32(w), portable.data)
            let layer = MaxPool2D(name: "p", kernelSize: 2).forward(x, .inference)
            XCTAssertEqual(fast.values, layer.values, "\(planes)x\(h)x\(w)")
            XCTAssertEqual(portable.values, layer.values, "\(planes)x\(h)x\(w)")
        }
    }
}
