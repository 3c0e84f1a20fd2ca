// Every layer, the loss and a small network against PyTorch's numbers
// (scripts/make_parity_fixture.py wrote Fixtures/torch_parity.safetensors; no Python needed here).
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class TorchParityTests: XCTestCase {
    static let fixture: SafeTensors = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/torch_parity.safetensors").path
        return try! SafeTensors.read(path: path)
    }()

    func t(_ name: String) -> Tensor {
        guard let t = Self.fixture.tensors[name] else { fatalError("fixture has no \(name)") }
        return t
    }

    /// Forward + backward through `layer` and compare output, input gradient and parameter gradients.
    func check(_ prefix: String, _ layer: Layer, training: Bool = true, params: [(String, Parameter)] = [],
               tolerance: Double = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        for (name, p) in params { p.value.copy(from: t("\(prefix).\(name)")) }
        let options = PassOptions(training: training)
        let y = layer.forward(t("\(prefix).input"), options)
        assertClose(y.values, t("\(prefix).output").values, tolerance: tolerance, "\(prefix) output", file: file, line: line)
        XCTAssertEqual(y.shape, t("\(prefix).output").shape, "\(prefix) output shape", file: file, line: line)
        let dx = layer.backward(t("\(prefix).upstream"), options)
        assertClose(dx.values, t("\(prefix).grad_input").values, tolerance: tolerance, "\(prefix) grad input", file: file, line: line)
        for (name, p) in params {
            assertClose(p.grad.values, t("\(prefix).\(name).grad").values, tolerance: tolerance, "\(prefix) grad \(name)",
                        file: file, line: line)
        }
    }

    func testConvolutionsMatchPyTorch() {
        do {
            let padded = Conv2D(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1)
            let strided = Conv2D(name: "c", inputChannels: 2, outputChannels: 5, kernelSize: 3, stride: 2, padding: 0, bias: false)
            let k5 = Conv2D(name: "c", inputChannels: 3, outputChannels: 2, kernelSize: 5, stride: 2, padding: 2)

            check("conv_pad", padded, params: [("weight", padded.weight), ("bias", padded.bias!)])
            check("conv_stride", strided, params: [("weight", strided.weight)])
            check("conv_k5", k5, params: [("weight", k5.weight), ("bias", k5.bias!)])
        }
    }

    func testConvolutionSplitOverWorkersMatchesPyTorch() {
        let conv = Conv2D(name: "c", inputChannels: 3, outputChannels: 4, kernelSize: 3, stride: 1, padding: 1)
        conv.weight.value.copy(from: t("conv_pad.weight"))
        conv.bias!.value.copy(from: t("conv_pad.bias"))
        let options = PassOptions(training: true, workers: 2)
        let y = conv.forward(t("conv_pad.input"), options)
        assertClose(y.values, t("conv_pad.output").values, tolerance: 1e-5, "conv (2 workers) output")
        let dx = conv.backward(t("conv_pad.upstream"), options)
        assertClose(dx.values, t("conv_pad.grad_input").values, tolerance: 1e-5, "conv (2 workers) grad input")
        assertClose(conv.weight.grad.values, t("conv_pad.weight.grad").values, tolerance: 1e-5, "conv (2 workers) grad weight")
    }

    func testBatchNormMatchesPyTorchInTrainingAndInference() {
        let bn = BatchNorm2D(name: "bn", channels: 3)
        check("bn_train", bn, training: true, params: [("weight", bn.weight), ("bias", bn.bias)], tolerance: 1e-4)
        assertClose(bn.runningMean.values, t("bn_train.running_mean_after").values, tolerance: 1e-5, "bn running mean")
        assertClose(bn.runningVar.values, t("bn_train.running_var_after").values, tolerance: 1e-5, "bn running var")
        let eval = BatchNorm2D(name: "bn", channels: 3)
        eval.runningMean.copy(from: t("bn_eval.running_mean"))
        eval.runningVar.copy(from: t("bn_eval.running_var"))
        check("bn_eval", eval, training: false, params: [("weight", eval.weight), ("bias", eval.bias)], tolerance: 1e-5)
    }

    func testPoolingActivationAndReshapingMatchPyTorch() {
        check("relu", ReLU(name: "r"))
        check("maxpool2", MaxPool2D(name: "p", kernelSize: 2))
        check("maxpool3s2", MaxPool2D(name: "p", kernelSize: 3, stride: 2))
        check("avgpool2", AvgPool2D(name: "p", kernelSize: 2))
        check("gap", GlobalAvgPool(name: "g"))
        check("flatten", Flatten(name: "f"))
    }

    func testDenseMatchesPyTorch() {
        let dense = Dense(name: "d", inputFeatures: 12, outputFeatures: 5)
        check("dense", dense, params: [("weight", dense.weight), ("bias", dense.bias!)])
    }

    func testCrossEntropyMatchesPyTorchForHardSmoothedAndSoftTargets() {
        let loss = SoftmaxCrossEntropy()
        let targets = Tensor(shape: [0])
        for (name, smoothing) in [("ce_hard", Float(0)), ("ce_smooth", Float(0.1))] {
            let labels = t("\(name).labels").values.map { Int($0) }
            SoftmaxCrossEntropy.targets(labels: labels, classes: 7, smoothing: smoothing, into: targets)
            let value = loss(logits: t("\(name).logits"), targets: targets)
            assertClose([Float(value)], t("\(name).loss").values, tolerance: 1e-6, "\(name) loss")
            assertClose(loss.gradient.values, t("\(name).grad").values, tolerance: 1e-6, "\(name) gradient")
        }
        let value = loss(logits: t("ce_soft.logits"), targets: t("ce_soft.targets"))
        assertClose([Float(value)], t("ce_soft.loss").values, tolerance: 1e-6, "ce_soft loss")
        assertClose(loss.gradient.values, t("ce_soft.grad").values, tolerance: 1e-6, "ce_soft gradient")
    }

    static let netSpec = ModelSpec(inputShape: [1, 16, 16], layers: [
        .conv("conv1", 1, 4), .batchNorm("bn1", 4), .relu("relu1"), .maxPool("pool1"),
        .conv("conv2", 4, 6), .batchNorm("bn2", 6), .relu("relu2"), .maxPool("pool2"),
        .flatten("flatten"), .dense("fc1", 10), .relu("relu3"), .dense("fc2", 3),
    ])

    /// Four optimizer steps of the small net: logits, first gradients, every loss and final weights.
    func checkTraining(_ name: String, optimizer: Optimizer, workers: Int) throws {
        let model = try Sequential(spec: Self.netSpec)
        model.workers = workers
        for (key, tensor) in model.namedTensors where !key.contains("running") {
            tensor.copy(from: t("net.\(name).initial.\(key)"))
        }
        let loss = SoftmaxCrossEntropy()
        let targets = Tensor(shape: [0])
        SoftmaxCrossEntropy.targets(labels: t("net.labels").values.map { Int($0) }, classes: 3, smoothing: 0.05, into: targets)
        var losses: [Float] = []
        for step in 0..<4 {
            model.zeroGradients()
            let logits = model.forward(t("net.input"), training: true)
            losses.append(Float(loss(logits: logits, targets: targets)))
            if step == 0 {
                assertClose(logits.values, t("net.\(name).logits0").values, tolerance: 1e-5, "net \(name) logits")
            }
            model.backward(loss.gradient)
            if step == 0 {
                for p in model.parameters {
                    assertClose(p.grad.values, t("net.\(name).grad0.\(p.name)").values, tolerance: 1e-4, "net \(name) grad \(p.name)")
                }
            }
            optimizer.step(model.parameters)
        }
        assertClose(losses, t("net.\(name).losses").values, tolerance: 1e-5, "net \(name) losses over 4 steps")
        for (key, tensor) in model.namedTensors {
            assertClose(tensor.values, t("net.\(name).final.\(key)").values, tolerance: 1e-4, "net \(name) final \(key)")
        }
    }

    func testSmallNetworkTrainsLikePyTorchWithNesterovSGD() throws {
        try checkTraining("sgd", optimizer: SGD(learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3), workers: 1)
    }

    func testSmallNetworkTrainsLikePyTorchWithAdamW() throws {
        try checkTraining("adamw", optimizer: Adam(learningRate: 0.01, weightDecay: 0.05, decoupledWeightDecay: true), workers: 2)
    }
}
