// Analytic gradients against central finite differences computed in Double, for every layer and
// the loss. The loss is L = Σ y·R for a fixed random R, so ∂L/∂y = R. Inputs are drawn away from
// ReLU's and max pooling's kinks so the finite difference is meaningful there.
import NeuralNet
import TestSupport
import XCTest

final class GradientCheckTests: XCTestCase {
    /// Relative tolerance: float32 forward passes limit finite differences to about 1e-4 here.
    let tolerance = 2e-3

    func randomTensor(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var r = SeededRandom(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in r.normal() * scale })
    }

    /// Σ y·R in Double.
    func objective(_ layer: Layer, _ x: Tensor, _ r: Tensor, training: Bool) -> Double {
        let y = layer.forward(x, PassOptions(training: training))
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }

    /// Compares analytic ∂L/∂x and ∂L/∂θ with (L(v+h) − L(v−h)) / 2h on `samples` coordinates each.
    func check(_ name: String, _ layer: Layer, input: Tensor, training: Bool = true, h: Float = 1e-2, samples: Int = 40) {
        let y = layer.forward(input, PassOptions(training: training))
        let r = randomTensor(y.shape, seed: 99)
        for p in layer.parameters { p.grad.zero() }
        let dx = layer.backward(r, PassOptions(training: training)).clone()
        var worst = 0.0
        func compare(_ analytic: Float, _ target: Tensor, _ i: Int) {
            let saved = target[i]
            target[i] = saved + h
            let plus = objective(layer, input, r, training: training)
            target[i] = saved - h
            let minus = objective(layer, input, r, training: training)
            target[i] = saved
            let numeric = (plus - minus) / (2 * Double(h))
            let diff = abs(numeric - Double(analytic)) / max(1, abs(numeric))
            worst = max(worst, diff)
        }
        let stepX = max(1, input.count / samples)
        for i in stride(from: 0, to: input.count, by: stepX) { compare(dx[i], input, i) }
        for p in layer.parameters {
            let g = p.grad.clone()
            let step = max(1, p.value.count / samples)
            for i in stride(from: 0, to: p.value.count, by: step) { compare(g[i], p.value, i) }
        }
        print(String(format: "  %-28@ largest relative difference %.2e (tolerance %.0e)", name as NSString, worst, tolerance))
        XCTAssertLessThan(worst, tolerance, "\(name): analytic and numerical gradients differ by \(worst)")
    }

    /// Values at least `gap` away from zero, so ReLU and max pooling have no kink within ±h.
    func awayFromKinks(_ shape: [Int], seed: UInt64) -> Tensor {
        var r = SeededRandom(seed: seed)
        var values: [Float] = []
        for i in 0..<shape.reduce(1, *) {
            // Distinct magnitudes (no ties in a pooling window), both signs, none near zero.
            let magnitude = 0.2 + Float(i % 97) * 0.05 + r.uniform() * 0.01
            values.append(r.uniform() < 0.5 ? -magnitude : magnitude)
        }
        return Tensor(shape: shape, values: values)
    }

    func testConvolutionGradients() {
        let conv = Conv2D(name: "c", inputChannels: 2, outputChannels: 3, kernelSize: 3, stride: 1, padding: 1)
        let strided = Conv2D(name: "c", inputChannels: 2, outputChannels: 2, kernelSize: 3, stride: 2, padding: 1, bias: false)
        for c in [conv, strided] {
            var r = SeededRandom(seed: 5)
            for p in c.parameters { for i in 0..<p.value.count { p.value[i] = r.normal() * 0.5 } }
        }
        check("conv 3x3 pad 1", conv, input: randomTensor([2, 2, 5, 6], seed: 1))
        check("conv 3x3 stride 2", strided, input: randomTensor([2, 2, 7, 7], seed: 2))
    }

    func testBatchNormGradientsInBothModes() {
        let bn = BatchNorm2D(name: "bn", channels: 3)
        var r = SeededRandom(seed: 6)
        for i in 0..<3 {
            bn.weight.value[i] = 1 + r.normal() * 0.3
            bn.bias.value[i] = r.normal() * 0.3
            bn.runningMean[i] = r.normal()
            bn.runningVar[i] = 1 + r.uniform()
        }
        check("batchnorm training", bn, input: randomTensor([3, 3, 4, 4], seed: 3), h: 5e-3)
        check("batchnorm inference", bn, input: randomTensor([3, 3, 4, 4], seed: 4), training: false)
    }

    func testActivationPoolingAndReshapeGradients() {
        check("relu", ReLU(name: "r"), input: awayFromKinks([2, 3, 4, 4], seed: 7), h: 1e-2)
        check("maxpool 2", MaxPool2D(name: "p", kernelSize: 2), input: awayFromKinks([2, 2, 6, 6], seed: 8), h: 1e-3)
        check("maxpool 3 stride 2", MaxPool2D(name: "p", kernelSize: 3, stride: 2), input: awayFromKinks([1, 2, 7, 7], seed: 9), h: 1e-3)
        check("avgpool 2", AvgPool2D(name: "p", kernelSize: 2), input: randomTensor([2, 2, 6, 5], seed: 10))
        check("global avgpool", GlobalAvgPool(name: "g"), input: randomTensor([2, 3, 3, 4], seed: 11))
        check("flatten", Flatten(name: "f"), input: randomTensor([2, 3, 2, 2], seed: 12))
        check("dropout (inference)", Dropout(name: "d", probability: 0.5), input: randomTensor([2, 8], seed: 13), training: false)
    }

    func testDenseGradients() {
        let dense = Dense(name: "d", inputFeatures: 7, outputFeatures: 4)
        var r = SeededRandom(seed: 14)
        for p in dense.parameters { for i in 0..<p.value.count { p.value[i] = r.normal() } }
        check("dense", dense, input: randomTensor([3, 7], seed: 15))
    }

    func testDropoutGradientFollowsItsMask() {
        let d = Dropout(name: "d", probability: 0.3, seed: 1)
        let x = randomTensor([4, 1000], seed: 16)
        let y = d.forward(x, PassOptions(training: true)).clone()
        let ones = Tensor(shape: x.shape, values: [Float](repeating: 1, count: x.count))
        let dx = d.backward(ones, PassOptions(training: true))
        var dropped = 0
        for i in 0..<x.count {
            // Kept elements are scaled by 1/(1-p) in both directions; dropped ones are zero in both.
            if y[i] == 0 { dropped += 1; XCTAssertEqual(dx[i], 0) } else {
                XCTAssertEqual(y[i], x[i] / 0.7, accuracy: 1e-5)
                XCTAssertEqual(dx[i], 1 / 0.7, accuracy: 1e-5)
            }
        }
        let rate = Double(dropped) / Double(x.count)
        print(String(format: "  dropout: %.3f of elements dropped (p = 0.3)", rate))
        XCTAssertEqual(rate, 0.3, accuracy: 0.03)
    }

    func testCrossEntropyGradient() {
        let loss = SoftmaxCrossEntropy()
        let logits = randomTensor([4, 7], seed: 17, scale: 2)
        let targets = Tensor(shape: [0])
        SoftmaxCrossEntropy.targets(labels: [0, 6, 3, 3], classes: 7, smoothing: 0.1, into: targets)
        loss(logits: logits, targets: targets)
        let g = loss.gradient.clone()
        var worst = 0.0
        let h: Float = 1e-3
        for i in 0..<logits.count {
            let saved = logits[i]
            logits[i] = saved + h
            let plus = loss(logits: logits, targets: targets)
            logits[i] = saved - h
            let minus = loss(logits: logits, targets: targets)
            logits[i] = saved
            worst = max(worst, abs((plus - minus) / (2 * Double(h)) - Double(g[i])))
        }
        print(String(format: "  %-28@ largest difference %.2e (tolerance 1e-3)", "cross-entropy" as NSString, worst))
        XCTAssertLessThan(worst, 1e-3)
    }
}
