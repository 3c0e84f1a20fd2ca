// int8 inference: the integer product (VNNI and portable kernels) against naive sums, the calibration
// against the activations it measures, and an int8 network against its float32 twin.
import CBLAS
import NeuralNet
import TestSupport
import XCTest

final class Int8InferenceTests: XCTestCase {
    /// Every shape edge of the kernels: rows past a panel of 8, columns past a panel of 48, k not a
    /// multiple of 4, 3x3 windows with padding and stride 2 (the portable im2col), 1x1 windows.
    static let shapes: [(channels: Int, h: Int, w: Int, kernel: Int, stride: Int, pad: Int, m: Int)] = [
        (5, 7, 5, 3, 1, 1, 13), (8, 13, 11, 3, 1, 1, 8), (3, 9, 9, 3, 2, 1, 20), (16, 6, 6, 3, 1, 1, 1),
        (7, 10, 3, 1, 1, 0, 9), (32, 8, 8, 3, 1, 1, 64),
    ]

    func testTheIntegerProductEqualsNaiveSumsInBothKernels() throws {
        var r = SeededRandom(seed: 81)
        let vnni = emonet_qgemm_use_vnni(true)
        defer { emonet_qgemm_use_vnni(true) }
        for s in Self.shapes {
            let ho = (s.h + 2 * s.pad - s.kernel) / s.stride + 1, wo = (s.w + 2 * s.pad - s.kernel) / s.stride + 1
            let k = s.channels * s.kernel * s.kernel, n = ho * wo
            let x = (0..<(s.channels * s.h * s.w)).map { _ in UInt8(truncatingIfNeeded: r.next()) }
            let w = (0..<(s.m * k)).map { _ in Int8(Int(r.next() % 255) - 127) }
            let scale = (0..<s.m).map { _ in 1e-3 * (0.5 + r.uniform()) }, bias = (0..<s.m).map { _ in r.normal() }
            // The naive sums, and the epilogue as the kernels define it.
            var expectedFloat = [Float](repeating: 0, count: s.m * n), expectedBytes = [UInt8](repeating: 0, count: s.m * n)
            for o in 0..<s.m {
                for p in 0..<n {
                    var sum: Int32 = 0
                    for c in 0..<s.channels {
                        for i in 0..<s.kernel {
                            for j in 0..<s.kernel {
                                let y = p / wo * s.stride - s.pad + i, xx = p % wo * s.stride - s.pad + j
                                guard y >= 0, y < s.h, xx >= 0, xx < s.w else { continue }
                                sum += Int32(x[(c * s.h + y) * s.w + xx]) * Int32(w[o * k + (c * s.kernel + i) * s.kernel + j])
                            }
                        }
                    }
                    expectedFloat[o * n + p] = max(0, bias[o].addingProduct(Float(sum), scale[o]))  // fused, as fmaf
                    let q = (expectedFloat[o * n + p] * 0.25).rounded(.toNearestOrEven)
                    expectedBytes[o * n + p] = UInt8(min(255, max(0, q)))
                }
            }
            let packedWeights = [Int8](unsafeUninitializedCapacity: emonet_qpacked_weight_bytes(Int32(s.m), Int32(k))) { b, count in
                emonet_qpack_weights(Int32(s.m), Int32(k), w, Int32(k), b.baseAddress)
                count = b.count
            }
            for useVNNI in vnni ? [true, false] : [false] {
                emonet_qgemm_use_vnni(useVNNI)
                var columns = [UInt8](repeating: 0xAB, count: emonet_qpacked_column_bytes(Int32(k), Int32(n)) + 64)
                emonet_qim2col_packed(x, Int32(s.channels), Int32(s.h), Int32(s.w), Int32(s.kernel), Int32(s.stride),
                                      Int32(s.pad), Int32(ho), Int32(wo), &columns)
                // One spare row after the output: nothing is written past m x n.
                var floats = [Float](repeating: -7, count: (s.m + 1) * n), bytes = [UInt8](repeating: 7, count: (s.m + 1) * n)
                emonet_qgemm(Int32(s.m), Int32(n), Int32(k), packedWeights, columns, scale, bias, true, &floats, nil, 0, Int32(n))
                emonet_qgemm(Int32(s.m), Int32(n), Int32(k), packedWeights, columns, scale, bias, true, nil, &bytes, 0.25, Int32(n))
                let label = "\(s) vnni=\(useVNNI)"
                XCTAssertEqual(Array(floats.prefix(s.m * n)), expectedFloat, label)
                XCTAssertEqual(Array(bytes.prefix(s.m * n)), expectedBytes, label)
                XCTAssertTrue(floats.suffix(n).allSatisfy { $0 == -7 } && bytes.suffix(n).allSatisfy { $0 == 7 }, label)
            }
        }
    }

    /// conv c1 (normalised input: float32) → ReLU → pool → c2 → ReLU → c3 → ReLU → pool → c4 (no ReLU) → head:
    /// c2, c3 and c4 take ReLU outputs and run on bytes; c2 and c3 hand bytes on, c4 floats.
    let spec = ModelSpec(inputShape: [2, 20, 18], layers: [
        .conv("c1", 2, 8, bias: true), .batchNorm("bn1", 8), .relu("r1"), .maxPool("p1"),
        .conv("c2", 8, 12), .batchNorm("bn2", 12), .relu("r2"),
        .conv("c3", 12, 16, bias: true), .relu("r3"), .maxPool("p3"),
        .conv("c4", 16, 6), .batchNorm("bn4", 6),
        .flatten("f"), .dense("fc", 7),
    ])

    func images(_ n: Int, seed: UInt64) -> Tensor {
        var random = SeededRandom(seed: seed)
        return Tensor(shape: [n, 2, 20, 18], values: (0..<(n * 2 * 20 * 18)).map { _ in random.normal() })
    }

    func testCalibrationTakesThePercentileOfEachInt8ConvolutionsInput() throws {
        let model = try Sequential(spec: spec, seed: 3)
        let x = images(16, seed: 4)
        let calibration = Int8Calibration.calibrate(model, images: x, batchSize: 5, percentile: 100)
        XCTAssertEqual(Set(calibration.activationScales.keys), ["c2", "c3", "c4"], "c1 reads normalised pixels")
        XCTAssertEqual(calibration.images, 16)
        // The input of c2 is the output of p1 (layer 3): its largest value over the 16 images.
        var h = x
        for layer in model.layers.prefix(4) { h = layer.forward(h, .inference) }
        let largest = h.values.max()!
        XCTAssertEqual(calibration.activationScales["c2"]! * 255, largest, accuracy: largest * 1e-5)
        let median = Int8Calibration.calibrate(model, images: x, batchSize: 16, percentile: 50)
        XCTAssertLessThan(median.activationScales["c2"]!, calibration.activationScales["c2"]!)
    }

    func testAnInt8NetworkStaysCloseToItsFloat32Twin() throws {
        let model = try Sequential(spec: spec, seed: 3)
        let calibration = Int8Calibration.calibrate(model, images: images(64, seed: 5))
        let x = images(48, seed: 6)
        let float32 = InferenceNetwork(model).forward(x).values
        for vnni in [true, false] {
            emonet_qgemm_use_vnni(vnni)
            defer { emonet_qgemm_use_vnni(true) }
            let int8 = InferenceNetwork(model, precision: .int8(calibration))
            XCTAssertEqual(int8.int8Convolutions, 3)
            let got = int8.forward(x).values
            let range = float32.map(abs).max()!
            let worst = zip(got, float32).map { abs($0 - $1) }.max()!
            print("int8 vs float32 (vnni \(vnni)): largest difference \(worst), outputs up to \(range)")
            XCTAssertLessThan(worst, 0.05 * range)
            XCTAssertGreaterThan(worst, 0, "the int8 path rounds: equal outputs mean it did not run")
            let argmax = { (v: ArraySlice<Float>) in v.indices.max { v[$0] < v[$1] }! - v.startIndex }
            let agree = (0..<48).filter { argmax(got[($0 * 7)..<($0 * 7 + 7)]) == argmax(float32[($0 * 7)..<($0 * 7 + 7)]) }.count
            XCTAssertGreaterThanOrEqual(agree, 44, "predictions agree on \(agree) of 48")
            // Split over two workers, and called again: the same bytes, the same outputs.
            let two = InferenceNetwork(model, workers: 2, precision: .int8(calibration))
            XCTAssertEqual(two.forward(x).values, got)
            XCTAssertEqual(two.forward(x).values, got)
        }
    }
}
