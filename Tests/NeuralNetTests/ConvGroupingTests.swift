// Convolution with several images per GEMM (small feature maps) against one GEMM per image: the same
// outputs and gradients up to float rounding, for group sizes that divide the batch and that do not,
// with one worker and with two.
import NeuralNet
import TestSupport
import XCTest

final class ConvGroupingTests: XCTestCase {
    func testGroupedImagesGiveThePerImageResults() {
        for (stride, padding, bias) in [(1, 1, true), (2, 0, false)] {
            func conv(groupColumns: Int) -> Conv2D {
                let c = Conv2D(name: "c", inputChannels: 3, outputChannels: 5, kernelSize: 3, stride: stride, padding: padding, bias: bias)
                var r = SeededRandom(seed: 8)
                for p in c.parameters { for i in 0..<p.value.count { p.value[i] = r.normal() * 0.3 } }
                c.groupColumns = groupColumns
                return c
            }
            var r = SeededRandom(seed: 9)
            let n = 7, x = Tensor(shape: [n, 3, 9, 8], values: (0..<(n * 3 * 72)).map { _ in r.normal() })
            let reference = conv(groupColumns: 1)
            let y0 = reference.forward(x, PassOptions(training: true)).values
            let dy = Tensor(shape: reference.forward(x, PassOptions(training: true)).shape, values: y0.map { $0 * 0.5 + 0.1 })
            let dx0 = reference.backward(dy, PassOptions(training: true)).values
            let dw0 = reference.weight.grad.values
            let p = y0.count / (n * 5)
            // 3 images per group (7 = 3 + 3 + 1), and the whole batch in one.
            for (groupColumns, workers) in [(3 * p, 1), (3 * p, 2), (100 * p, 1)] {
                let grouped = conv(groupColumns: groupColumns)
                let options = PassOptions(training: true, workers: workers)
                let y = grouped.forward(x, options).values
                let dx = grouped.backward(dy, options).values
                let context = "stride \(stride), \(groupColumns / p) images per group, \(workers) workers"
                XCTAssertEqual(y.count, y0.count)
                XCTAssertLessThan(zip(y, y0).map { abs($0 - $1) }.max()!, 1e-5, "output, " + context)
                XCTAssertLessThan(zip(dx, dx0).map { abs($0 - $1) }.max()!, 1e-5, "input gradient, " + context)
                XCTAssertLessThan(zip(grouped.weight.grad.values, dw0).map { abs($0 - $1) }.max()!, 1e-4, "weight gradient, " + context)
                if bias {
                    XCTAssertLessThan(zip(grouped.bias!.grad.values, reference.bias!.grad.values).map { abs($0 - $1) }.max()!, 1e-4, context)
                }
            }
        }
    }

    func testSkippingTheInputGradientKeepsTheParameterGradients() {
        for n in [1, 5] {
            var r = SeededRandom(seed: 3)
            let x = Tensor(shape: [n, 2, 7, 6], values: (0..<(n * 84)).map { _ in r.normal() })
            var results: [[Float]] = []
            for inputGradient in [true, false] {
                let c = Conv2D(name: "c", inputChannels: 2, outputChannels: 4, kernelSize: 3, padding: 1)
                var w = SeededRandom(seed: 4)
                for p in c.parameters { for i in 0..<p.value.count { p.value[i] = w.normal() * 0.3 } }
                let y = c.forward(x, PassOptions(training: true))
                let dy = Tensor(shape: y.shape, values: y.values.map { $0 * 0.5 - 0.2 })
                let dx = c.backward(dy, PassOptions(training: true, inputGradient: inputGradient))
                XCTAssertEqual(dx.shape, x.shape)
                results.append(c.weight.grad.values + c.bias!.grad.values)
            }
            XCTAssertEqual(results[0], results[1], "\(n) images")
            XCTAssertTrue(results[0].contains { $0 != 0 })
        }
    }
}
