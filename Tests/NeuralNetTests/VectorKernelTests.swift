// The C kernels behind batch norm, ReLU and max pooling (Sources/CBLAS/kernels.c), each in its AVX-512
// and its portable version, against plain Swift loops written from the definitions: odd lengths (vector
// tails), ties in max pooling (the first maximum in row-major order wins, as PyTorch), and the layers
// built on them giving the same results with either version; batch norm with its ReLU fused in equal to
// the two in turn, bit for bit.
import CBLAS
import NeuralNet
import TestSupport
import XCTest

final class VectorKernelTests: XCTestCase {
    override func tearDown() {
        _ = emonet_use_avx512_kernels(true)
        super.tearDown()
    }

    /// Runs `body` with the AVX-512 kernels (where the CPU has them) and with the portable ones.
    private func bothVersions(_ body: (String) throws -> Void) rethrows {
        for avx in [true, false] {
            let used = emonet_use_avx512_kernels(avx)
            try body(used ? "AVX-512" : "portable")
        }
    }

    private func values(_ n: Int, seed: UInt64, ties: Bool = false) -> [Float] {
        var r = SeededRandom(seed: seed)
        return (0..<n).map { _ in ties ? Float(Int(r.uniform() * 4)) - 1 : r.normal() }
    }

    func testMaxPoolKeepsTheFirstMaximumAndItsIndex() {
        bothVersions { version in
            for (planes, h, w) in [(2, 4, 4), (3, 7, 37), (1, 10, 66), (2, 48, 48)] {
                let x = values(planes * h * w, seed: UInt64(h * w), ties: true)
                let ho = h / 2, wo = w / 2
                var y = [Float](repeating: 0, count: planes * ho * wo), arg = [Int32](repeating: 0, count: y.count)
                emonet_maxpool2x2_argmax(x, Int32(planes), Int32(h), Int32(w), &y, &arg)
                for p in 0..<planes {
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var best = 2 * oy * w + 2 * ox
                            for (dy, dx) in [(0, 1), (1, 0), (1, 1)] where x[p * h * w + (2 * oy + dy) * w + 2 * ox + dx] > x[p * h * w + best] {
                                best = (2 * oy + dy) * w + 2 * ox + dx
                            }
                            let o = (p * ho + oy) * wo + ox
                            XCTAssertEqual(Int(arg[o]), best, "\(version) \(planes)x\(h)x\(w) at \(p),\(oy),\(ox)")
                            XCTAssertEqual(y[o], x[p * h * w + best])
                        }
                    }
                }
            }
        }
    }

    func testReLUAndItsGradient() {
        bothVersions { version in
            let n = 1037
            var x = values(n, seed: 1)
            x[5] = 0
            let dy = values(n, seed: 2)
            var y = [Float](repeating: 9, count: n), dx = [Float](repeating: 9, count: n)
            emonet_relu(x, n, &y)
            emonet_relu_backward(y, dy, n, &dx)
            XCTAssertEqual(y, x.map { max(0, $0) }, version)
            XCTAssertEqual(dx, (0..<n).map { y[$0] > 0 ? dy[$0] : 0 }, version)
        }
    }

    func testBatchNormPlaneKernels() {
        bothVersions { version in
            let n = 203
            let x = values(n, seed: 3), dy = values(n, seed: 4)
            var sum = 0.0, squares = 0.0, sumDy = 0.0, dot = 0.0
            emonet_sum_squares(x, Int32(n), &sum, &squares)
            emonet_sum_dot(dy, x, Int32(n), &sumDy, &dot)
            XCTAssertEqual(sum, x.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4, version)
            XCTAssertEqual(squares, x.reduce(0.0) { $0 + Double($1) * Double($1) }, accuracy: 1e-3, version)
            XCTAssertEqual(sumDy, dy.reduce(0.0) { $0 + Double($1) }, accuracy: 1e-4, version)
            XCTAssertEqual(dot, zip(dy, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }, accuracy: 1e-3, version)
            var xh = [Float](repeating: 0, count: n), y = xh, dx = xh
            emonet_bn_normalize(x, Int32(n), 0.25, 1.5, 0.8, -0.1, &xh, &y)
            emonet_bn_backward(dy, xh, Int32(n), 1.2, 0.05, -0.3, &dx)
            for i in 0..<n {
                XCTAssertEqual(xh[i], (x[i] - 0.25) * 1.5, accuracy: 1e-6, version)
                XCTAssertEqual(y[i], 0.8 * xh[i] - 0.1, accuracy: 1e-6, version)
                XCTAssertEqual(dx[i], 1.2 * (dy[i] - 0.05 - xh[i] * -0.3), accuracy: 1e-5, version)
            }
        }
    }

    func testFusedBatchNormReLUKernelsEqualBatchNormThenReLU() {
        bothVersions { version in
            for n in [203, 16, 5] {
                var x = values(n, seed: 11), dy = values(n, seed: 12)
                x[0] = 0.25  // γ·x̂ + β exactly 0 at x = mean: masked out, as ReLU's y > 0 masks it
                dy[1] = 0
                let (mean, inv, g, b): (Float, Float, Float, Float) = (0.25, 1.5, 0.8, 0)
                var xh = [Float](repeating: 9, count: n), y = xh, z = xh, fusedXh = xh, fused = xh
                emonet_bn_normalize(x, Int32(n), mean, inv, g, b, &xh, &y)
                emonet_relu(y, n, &z)
                emonet_bn_normalize_relu(x, Int32(n), mean, inv, g, b, &fusedXh, &fused)
                XCTAssertEqual(fusedXh, xh, version)
                XCTAssertEqual(fused, z, version)
                XCTAssertEqual(fused[0], 0, version)
                var masked = [Float](repeating: 9, count: n)
                emonet_relu_backward(z, dy, n, &masked)
                var (s0, d0, s1, d1) = (0.0, 0.0, 0.0, 0.0)
                emonet_sum_dot(masked, xh, Int32(n), &s0, &d0)
                emonet_sum_dot_relu(dy, xh, Int32(n), g, b, &s1, &d1)
                XCTAssertEqual(s1, s0, version)
                XCTAssertEqual(d1, d0, version)
                var dx = [Float](repeating: 9, count: n), fusedDx = dx
                emonet_bn_backward(masked, xh, Int32(n), 1.2, 0.05, -0.3, &dx)
                emonet_bn_relu_backward(dy, xh, Int32(n), g, b, 1.2, 0.05, -0.3, &fusedDx)
                XCTAssertEqual(fusedDx, dx, "\(version), n \(n)")
            }
        }
    }

    func testSumAddsEveryElement() {
        bothVersions { version in
            for n in [0, 1, 15, 16, 17, 33, 576, 1001] {
                let x = values(n, seed: UInt64(n) + 20)
                let exact = x.reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(Double(emonet_sum(x, n)), exact, accuracy: 1e-4 * Double(max(n, 1)).squareRoot(), "\(version), n \(n)")
            }
        }
    }

    func testBatchNormWithItsReLUEqualsTheTwoLayers() {
        bothVersions { version in
            for training in [true, false] {
                let options = PassOptions(training: training)
                let x = Tensor(shape: [3, 4, 5, 7], values: values(3 * 4 * 35, seed: 13))
                let dy = Tensor(shape: x.shape, values: values(x.count, seed: 14))
                func layer() -> BatchNorm2D {
                    let bn = BatchNorm2D(name: "bn", channels: 4)
                    for c in 0..<4 { bn.weight.value[c] = [0.7, -0.4, 1.3, 0][c]; bn.bias.value[c] = [0.1, 0.2, -0.3, 0][c] }
                    for c in 0..<4 { bn.runningMean[c] = 0.1 * Float(c); bn.runningVar[c] = 1 + 0.2 * Float(c) }
                    return bn
                }
                let bn = layer(), relu = ReLU(name: "relu"), fused = layer()
                fused.appliesReLU = true
                let y = relu.forward(bn.forward(x, options), options).values
                let dx = bn.backward(relu.backward(dy, options), options).values
                let context = "\(version), training \(training)"
                XCTAssertEqual(fused.forward(x, options).values, y, context)
                XCTAssertEqual(fused.backward(dy, options).values, dx, context)
                XCTAssertEqual(fused.weight.grad.values, bn.weight.grad.values, context)
                XCTAssertEqual(fused.bias.grad.values, bn.bias.grad.values, context)
                XCTAssertEqual(fused.runningVar.values, bn.runningVar.values, context)
                XCTAssertTrue(y.contains(0) && y.contains { $0 > 0 }, "the ReLU has something to cut")
            }
        }
    }

    func testSequentialLetsABatchNormApplyTheReLUAfterIt() throws {
        let model = try Sequential(spec: ModelSpec(inputShape: [1, 6, 6], layers: [
            .conv("c1", 1, 3), .batchNorm("bn1", 3), .relu("r1"), .conv("c2", 3, 2), .relu("r2"),
            .flatten("f"), .dense("d", 4), .batchNorm("bn2", 4), .relu("r3"), .dense("out", 2),
        ]))
        XCTAssertEqual(model.runs, [true, true, false, true, true, true, true, true, false, true])
        XCTAssertEqual(model.layers.compactMap { ($0 as? BatchNorm2D)?.appliesReLU }, [true, true])
    }

    func testLayersGiveTheSameResultsWithEitherVersion() {
        var results: [[Float]] = []
        bothVersions { _ in
            let bn = BatchNorm2D(name: "bn", channels: 3), relu = ReLU(name: "r"), pool = MaxPool2D(name: "p", kernelSize: 2)
            let x = Tensor(shape: [2, 3, 9, 11], values: values(2 * 3 * 99, seed: 7))
            let options = PassOptions(training: true)
            let y = pool.forward(relu.forward(bn.forward(x, options), options), options)
            let g = Tensor(shape: y.shape, values: values(y.count, seed: 8))
            let dx = bn.backward(relu.backward(pool.backward(g, options), options), options)
            results.append(y.values + dx.values + bn.weight.grad.values + bn.runningVar.values)
        }
        XCTAssertEqual(results[0].count, results[1].count)
        XCTAssertLessThan(zip(results[0], results[1]).map { abs($0 - $1) }.max()!, 1e-5)
    }

    func testIm2colAndCol2imFollowTheirDefinitions() {
        bothVersions { version in
            for (kernel, stride, pad, h, w) in [(3, 1, 1, 6, 7), (3, 2, 0, 9, 8), (5, 2, 2, 11, 10), (1, 1, 0, 4, 5), (3, 1, 2, 5, 5), (3, 1, 1, 20, 37), (5, 1, 2, 7, 18), (3, 1, 0, 4, 2)] {
                let channels = 2, ho = (h + 2 * pad - kernel) / stride + 1, wo = (w + 2 * pad - kernel) / stride + 1
                let p = ho * wo, rows = channels * kernel * kernel, rowStride = p + 3  // padded rows, as when grouped
                let x = values(channels * h * w, seed: UInt64(h))
                var cols = [Float](repeating: .nan, count: rows * rowStride)
                emonet_im2col(x, Int32(channels), Int32(h), Int32(w), Int32(kernel), Int32(stride), Int32(pad),
                              Int32(ho), Int32(wo), &cols, rowStride)
                let g = values(rows * rowStride, seed: 99)
                var dx = [Float](repeating: .nan, count: x.count)
                emonet_col2im(g, rowStride, Int32(channels), Int32(h), Int32(w), Int32(kernel), Int32(stride), Int32(pad),
                              Int32(ho), Int32(wo), &dx)
                var expectedDx = [Float](repeating: 0, count: x.count)
                for c in 0..<channels {
                    for ki in 0..<kernel {
                        for kj in 0..<kernel {
                            let r = (c * kernel + ki) * kernel + kj
                            for oy in 0..<ho {
                                for ox in 0..<wo {
                                    let iy = oy * stride - pad + ki, ix = ox * stride - pad + kj
                                    let inside = iy >= 0 && iy < h && ix >= 0 && ix < w
                                    let expected = inside ? x[(c * h + iy) * w + ix] : 0
                                    XCTAssertEqual(cols[r * rowStride + oy * wo + ox], expected,
                                                   "\(version) k\(kernel) s\(stride) p\(pad) row \(r) at \(oy),\(ox)")
                                    if inside { expectedDx[(c * h + iy) * w + ix] += g[r * rowStride + oy * wo + ox] }
                                }
                            }
                        }
                    }
                }
                for r in 0..<rows {  // the gap after each row (another image's columns, when grouped) untouched
                    XCTAssertTrue(cols[(r * rowStride + p)..<((r + 1) * rowStride)].allSatisfy(\.isNaN), "\(version) row \(r) wrote past its end")
                }
                XCTAssertLessThan(zip(dx, expectedDx).map { abs($0 - $1) }.max()!, 1e-5, "\(version) col2im k\(kernel) s\(stride) p\(pad)")
            }
        }
    }
}
