// Winograd F(2x2, 3x3) and F(4x4, 3x3) (Sources/CBLAS/winograd.c, winograd43.c) against the convolution's
// definition, computed in Double, and an inference network whose 3x3 layers take either path against the
// layer-by-layer forward.
import CBLAS
import NeuralNet
import TestSupport
import XCTest

final class WinogradTests: XCTestCase {
    /// y[o][r][c] = bias[o] + Σ x[i][r+dy][c+dx]·w[o][i][dy+1][dx+1] over the 3x3 neighbourhood inside the image.
    func reference(_ x: [Float], _ weights: [Float], _ bias: [Float], cin: Int, cout: Int, h: Int, w: Int, relu: Bool) -> [Float] {
        var y = [Float](repeating: 0, count: cout * h * w)
        for o in 0..<cout {
            for r in 0..<h {
                for c in 0..<w {
                    var sum = Double(bias[o])
                    for i in 0..<cin {
                        for dy in -1...1 where r + dy >= 0 && r + dy < h {
                            for dx in -1...1 where c + dx >= 0 && c + dx < w {
                                sum += Double(x[(i * h + r + dy) * w + c + dx]) * Double(weights[((o * cin + i) * 3 + dy + 1) * 3 + dx + 1])
                            }
                        }
                    }
                    y[(o * h + r) * w + c] = Float(relu ? max(0, sum) : sum)
                }
            }
        }
        return y
    }

    /// Runs emonet_winograd_conv (tile 2) or emonet_winograd43_conv (tile 4) on n images, filters transformed and
    /// packed as the network does; returns the outputs and the GEMM layout used.
    func winograd(tile: Int, _ x: [Float], _ weights: [Float], _ bias: [Float], n: Int, cin: Int, cout: Int, h: Int, w: Int,
                  relu: Bool) -> (y: [Float], layout: Int32) {
        let matrices = (tile + 2) * (tile + 2)
        let layout = emonet_packed_layout(Int32(cout), Int32(n * (h / tile) * (w / tile)))
        let u = Tensor(shape: [matrices * cout * cin])
        weights.withUnsafeBufferPointer {
            if tile == 4 { emonet_winograd43_filters(Int32(cout), Int32(cin), $0.baseAddress, u.data) } else {
                emonet_winograd_filters(Int32(cout), Int32(cin), $0.baseAddress, u.data)
            }
        }
        let floats = Int(emonet_packed_floats(layout, Int32(cout), Int32(cin)))
        let packed = Tensor(shape: [matrices * floats])
        for xi in 0..<matrices {
            emonet_pack_weights(layout, Int32(cout), Int32(cin), u.data + xi * cout * cin, Int32(cin), packed.data + xi * floats)
        }
        let (n32, cin32, cout32, h32, w32) = (Int32(n), Int32(cin), Int32(cout), Int32(h), Int32(w))
        let scratch = Tensor(shape: [Int(tile == 4 ? emonet_winograd43_scratch_floats(n32, cin32, cout32, h32, w32)
                                                   : emonet_winograd_scratch_floats(n32, cin32, cout32, h32, w32))])
        let y = Tensor(shape: [n * cout * h * w])
        x.withUnsafeBufferPointer { xs in
            bias.withUnsafeBufferPointer { b in
                if tile == 4 {
                    emonet_winograd43_conv(n32, cin32, cout32, h32, w32, xs.baseAddress, packed.data, layout, b.baseAddress, relu, scratch.data, y.data)
                } else {
                    emonet_winograd_conv(n32, cin32, cout32, h32, w32, xs.baseAddress, packed.data, layout, b.baseAddress, relu, scratch.data, y.data)
                }
            }
        }
        return (y.values, layout)
    }

    func check(tile: Int, shapes: [(Int, Int, Int, Int, Int)], tolerance: Float) throws {
        guard emonet_avx512_kernels() else { throw XCTSkip("Winograd runs on our GEMM, which needs AVX-512") }
        var random = SeededRandom(seed: 11)
        for (n, cin, cout, h, w) in shapes {
            let x = (0..<(n * cin * h * w)).map { _ in random.normal() }
            let weights = (0..<(cout * cin * 9)).map { _ in random.normal() * 0.2 }
            let bias = (0..<cout).map { _ in random.normal() }
            for relu in [false, true] {
                let size = cin * h * w
                let expected = (0..<n).flatMap { i in
                    reference(Array(x[(i * size)..<((i + 1) * size)]), weights, bias, cin: cin, cout: cout, h: h, w: w, relu: relu)
                }
                let (y, layout) = winograd(tile: tile, x, weights, bias, n: n, cin: cin, cout: cout, h: h, w: w, relu: relu)
                let scale = expected.map(abs).max()!
                let worst = zip(y, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(worst, tolerance * max(1, scale),
                                  "tile \(tile), \(n) x \(cin)->\(cout) at \(h)x\(w) (layout \(layout)), relu \(relu): off by \(worst) of \(scale)")
                if relu { XCTAssertTrue(y.contains(0) && y.contains { $0 > 0 }, "the ReLU clips some outputs and keeps others") }
            }
        }
    }

    func testTwoByTwoTilesMatchTheConvolutionsDefinition() throws {
        // The vgg4s shapes, channel counts off the micro-kernel's 12 and 32, a single tile, a wide map (33 tiles a row:
        // three vector steps), a tall one, and several images sharing the products (both GEMM layouts). Measured: at
        // most 4.4e-7 of the outputs' scale.
        try check(tile: 2, shapes: [(1, 32, 64, 24, 24), (1, 128, 256, 6, 6), (1, 64, 128, 12, 12), (1, 8, 5, 2, 2), (1, 13, 33, 4, 10),
                                    (1, 9, 12, 14, 6), (1, 8, 8, 4, 66), (3, 16, 40, 6, 6), (5, 24, 8, 4, 8), (2, 8, 12, 12, 10)],
                  tolerance: 1e-5)
    }

    func testFourByFourTilesMatchTheConvolutionsDefinition() throws {
        // F(4x4, 3x3)'s larger coefficients cost some precision: measured at most 5.4e-6 of the outputs' scale.
        // Shapes as above on sides that are multiples of 4, and a map 17 tiles wide (three 8-tile steps).
        try check(tile: 4, shapes: [(1, 32, 64, 24, 24), (1, 64, 128, 12, 12), (1, 8, 5, 4, 4), (1, 13, 33, 8, 12),
                                    (1, 9, 12, 16, 4), (1, 8, 8, 4, 68), (3, 16, 40, 12, 12), (5, 24, 8, 4, 8)],
                  tolerance: 2e-5)
    }

    /// 3x3 layers with 8 or more input channels take the Winograd path: c2 on 16x12 in 4x4 tiles, c3 on 8x6 in
    /// 2x2 tiles; the first layer (2 channels) and c4 on a 4x3 map do not. All must match the layer-by-layer forward.
    func testAnInferenceNetworkOnWinogradMatchesTheLayerByLayerForward() throws {
        guard emonet_avx512_kernels() else { throw XCTSkip("Winograd runs on our GEMM, which needs AVX-512") }
        let spec = ModelSpec(inputShape: [2, 16, 12], layers: [
            .conv("c1", 2, 8), .batchNorm("bn1", 8), .relu("r1"),
            .conv("c2", 8, 16), .batchNorm("bn2", 16), .relu("r2"), .maxPool("p2"),
            .conv("c3", 16, 24, bias: true), .relu("r3"), .maxPool("p3"),
            .conv("c4", 24, 10), .batchNorm("bn4", 10),
            .flatten("f"), .dense("out", 7),
        ])
        let model = try Sequential(spec: spec, seed: 3)
        var random = SeededRandom(seed: 4)
        giveTrainedBatchNorms(model, &random)
        for (n, workers) in [(1, 1), (4, 2), (7, 1)] {
            model.workers = workers
            let x = Tensor(shape: [n, 2, 16, 12], values: (0..<(n * 2 * 16 * 12)).map { _ in random.normal() })
            let expected = model.forward(x, training: false).values
            let network = InferenceNetwork(model, workers: workers)
            let got = network.forward(x).values
            let scale = expected.map(abs).max()!
            let worst = zip(got, expected).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 2e-5 * max(1, scale), "batch \(n), \(workers) workers: off by \(worst)")
            XCTAssertEqual(network.forward(x).values, got, "buffers reused, results unchanged")
        }
    }
}

final class WinogradTrainingTests: XCTestCase {
    /// A training pass of a 3x3 convolution that takes the Winograd path (forward, and the input gradient as the
    /// convolution of dY with the turned filters) against the definitions in Double, in 4x4 tiles (8x12 maps)
    /// and 2x2 tiles (6x10), on one and two workers.
    func testForwardAndGradientsMatchTheirDefinitions() throws {
        guard Gemm.usesOwnKernel else { throw XCTSkip("Winograd runs on our GEMM, which needs AVX-512") }
        var random = SeededRandom(seed: 21)
        for (n, cin, cout, h, w, workers) in [(3, 8, 12, 8, 12, 1), (4, 9, 8, 6, 10, 2), (2, 16, 24, 12, 12, 2)] {
            let conv = Conv2D(name: "c", inputChannels: cin, outputChannels: cout, kernelSize: 3, padding: 1)
            for i in 0..<conv.weight.value.count { conv.weight.value[i] = random.normal() * 0.2 }
            for i in 0..<cout { conv.bias!.value[i] = random.normal() }
            let x = Tensor(shape: [n, cin, h, w], values: (0..<(n * cin * h * w)).map { _ in random.normal() })
            let dy = Tensor(shape: [n, cout, h, w], values: (0..<(n * cout * h * w)).map { _ in random.normal() })
            let options = PassOptions(training: true, workers: workers)
            let y = conv.forward(x, options).values
            conv.weight.grad.zero()
            conv.bias!.grad.zero()
            let dx = conv.backward(dy, options).values
            let (xv, dyv, wv, bv) = (x.values, dy.values, conv.weight.value.values, conv.bias!.value.values)
            func X(_ b: Int, _ c: Int, _ r: Int, _ s: Int) -> Double {
                r >= 0 && r < h && s >= 0 && s < w ? Double(xv[((b * cin + c) * h + r) * w + s]) : 0
            }
            func DY(_ b: Int, _ o: Int, _ r: Int, _ s: Int) -> Double {
                r >= 0 && r < h && s >= 0 && s < w ? Double(dyv[((b * cout + o) * h + r) * w + s]) : 0
            }
            func W(_ o: Int, _ c: Int, _ a: Int, _ b: Int) -> Double { Double(wv[((o * cin + c) * 3 + a) * 3 + b]) }
            var worst = (y: 0.0, dx: 0.0, dw: 0.0), scale = (y: 0.0, dx: 0.0, dw: 0.0)
            for b in 0..<n {
                for r in 0..<h {
                    for s in 0..<w {
                        for o in 0..<cout {
                            var sum = Double(bv[o])
                            for c in 0..<cin { for a in 0..<3 { for e in 0..<3 { sum += X(b, c, r + a - 1, s + e - 1) * W(o, c, a, e) } } }
                            worst.y = max(worst.y, abs(sum - Double(y[((b * cout + o) * h + r) * w + s])))
                            scale.y = max(scale.y, abs(sum))
                        }
                        for c in 0..<cin {
                            var sum = 0.0
                            for o in 0..<cout { for a in 0..<3 { for e in 0..<3 { sum += DY(b, o, r - a + 1, s - e + 1) * W(o, c, a, e) } } }
                            worst.dx = max(worst.dx, abs(sum - Double(dx[((b * cin + c) * h + r) * w + s])))
                            scale.dx = max(scale.dx, abs(sum))
                        }
                    }
                }
            }
            let dw = conv.weight.grad.values
            for o in 0..<cout {
                for c in 0..<cin {
                    for a in 0..<3 {
                        for e in 0..<3 {
                            var sum = 0.0
                            for b in 0..<n { for r in 0..<h { for s in 0..<w { sum += DY(b, o, r, s) * X(b, c, r + a - 1, s + e - 1) } } }
                            worst.dw = max(worst.dw, abs(sum - Double(dw[((o * cin + c) * 3 + a) * 3 + e])))
                            scale.dw = max(scale.dw, abs(sum))
                        }
                    }
                }
            }
            let shape = "\(n) x \(cin)->\(cout) at \(h)x\(w), \(workers) workers"
            XCTAssertLessThan(worst.y, 2e-5 * max(1, scale.y), "\(shape): output off by \(worst.y)")
            XCTAssertLessThan(worst.dx, 2e-5 * max(1, scale.dx), "\(shape): input gradient off by \(worst.dx)")
            XCTAssertLessThan(worst.dw, 2e-5 * max(1, scale.dw), "\(shape): weight gradient off by \(worst.dw)")
        }
    }
}
