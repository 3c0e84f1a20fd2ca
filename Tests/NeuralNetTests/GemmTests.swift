// The GEMM seam: OpenBLAS and EmoNet's own kernel against the naive reference on odd shapes, every
// transpose, alpha/beta; the pre-packed product with its bias and ReLU in both layouts.
import CBLAS
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class GemmTests: XCTestCase {
    /// FFmpeg's libavfilter loads Debian's OpenBLAS (through libsphinxbase's libblas.so.3), maybe before we do;
    /// it must start with one thread all the same (its idle threads otherwise spin, and a batch's jobs queue for
    /// its thread pool). A program prepares OPENBLAS_NUM_THREADS first thing for that, as this test does; it then
    /// loads OpenBLAS the other library's way, before our loader, and asks it.
    func testOpenBLASRunsOneThreadEvenWhenAnotherLibraryLoadsItFirst() throws {
        Gemm.prepareEnvironment()
        guard !emonet_blas_threads_given() else { throw XCTSkip("OPENBLAS_NUM_THREADS is set: the user's choice is kept") }
        XCTAssertEqual(ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"], "1")
        guard let handle = dlopen("libblas.so.3", RTLD_NOW | RTLD_LOCAL) ?? dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL),
              let symbol = dlsym(handle, "openblas_get_num_threads") else {
            throw XCTSkip("no OpenBLAS as libblas.so.3 here")
        }
        let threads = unsafeBitCast(symbol, to: (@convention(c) () -> Int32).self)
        XCTAssertEqual(threads(), 1, "OpenBLAS started with more than one thread")
        try Gemm.ensureLoaded()
        XCTAssertEqual(Gemm.blasThreads, 1)
    }

    func testOpenBLASMatchesTheReferenceOnOddShapes() throws {
        try Gemm.ensureLoaded()
        Gemm.useOwnKernel(false)
        defer { Gemm.useOwnKernel(true) }
        XCTAssertFalse(Gemm.usesOwnKernel)
        var r = SeededRandom(seed: 42)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (17, 1, 33), (64, 37, 9), (5, 130, 31)] {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    let a = (0..<(m * k)).map { _ in r.normal() }, b = (0..<(k * n)).map { _ in r.normal() }
                    let c0 = (0..<(m * n)).map { _ in r.normal() }
                    var fast = c0, slow = c0
                    let lda = transposeA ? m : k, ldb = transposeB ? k : n
                    Gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda,
                                  b: b, ldb: ldb, beta: 0.3, c: &fast, ldc: n)
                    Gemm.reference(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda,
                                   b: b, ldb: ldb, beta: 0.3, c: &slow, ldc: n)
                    assertClose(fast, slow, tolerance: 1e-5, "gemm \(m)x\(n)x\(k) tA=\(transposeA) tB=\(transposeB)")
                }
            }
        }
    }

    /// Shapes around the own kernel's blocks: 12-row panels, 32-column panels, 384-deep slices, 480-wide blocks.
    static let blockEdges = [(12, 32, 384), (13, 33, 385), (25, 70, 800), (30, 1000, 9), (100, 17, 390), (12, 1, 1)]

    func testOwnKernelMatchesTheReferenceAcrossItsBlocks() throws {
        try Gemm.ensureLoaded()
        guard Gemm.useOwnKernel(true) else { throw XCTSkip("EmoNet's own GEMM needs AVX-512; this CPU has none") }
        defer { Gemm.useOwnKernel(true) }
        var r = SeededRandom(seed: 43)
        for (m, n, k) in Self.blockEdges {
            for transposeA in [false, true] {
                for transposeB in [false, true] {
                    // Padded rows (lda, ldb, ldc wider than the matrices): the kernel must stay inside its columns.
                    let lda = (transposeA ? m : k) + 3, ldb = (transposeB ? k : n) + 1, ldc = n + 2
                    let a = (0..<((transposeA ? k : m) * lda)).map { _ in r.normal() }
                    let b = (0..<((transposeB ? n : k) * ldb)).map { _ in r.normal() }
                    let c0 = (0..<(m * ldc)).map { _ in r.normal() }
                    var fast = c0, slow = c0, nanFilled = [Float](repeating: .nan, count: m * ldc)
                    Gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda,
                                  b: b, ldb: ldb, beta: 0.3, c: &fast, ldc: ldc)
                    Gemm.reference(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda,
                                   b: b, ldb: ldb, beta: 0.3, c: &slow, ldc: ldc)
                    let label = "own gemm \(m)x\(n)x\(k) tA=\(transposeA) tB=\(transposeB)"
                    assertClose(fast, slow, tolerance: 1e-4, label)
                    for i in 0..<m { for j in n..<ldc { XCTAssertEqual(fast[i * ldc + j], c0[i * ldc + j], "\(label): wrote past column n") } }
                    // beta 0: C is not read (BLAS's rule), so NaNs in it do not leak into the result.
                    Gemm.multiply(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.7, a: a, lda: lda,
                                  b: b, ldb: ldb, beta: 0, c: &nanFilled, ldc: ldc)
                    XCTAssertFalse((0..<m).contains { i in (0..<n).contains { nanFilled[i * ldc + $0].isNaN } }, "\(label), beta 0")
                }
            }
        }
    }

    func testPackedProductAddsBiasAndReLUInBothLayouts() throws {
        try Gemm.ensureLoaded()
        guard emonet_avx512_kernels() else { throw XCTSkip("the pre-packed product needs AVX-512; this CPU has none") }
        var r = SeededRandom(seed: 44)
        XCTAssertEqual(emonet_packed_layout(256, 36), 1, "6x6 maps of 256 channels: the transposed layout pads less")
        XCTAssertEqual(emonet_packed_layout(64, 576), 0)
        for (m, n, k) in Self.blockEdges + [(256, 36, 1152), (40, 36, 9)] {
            let a = (0..<(m * k)).map { _ in r.normal() }, b = (0..<(k * n)).map { _ in r.normal() }
            let bias = (0..<m).map { _ in r.normal() }
            var expected = [Float](repeating: 0, count: m * n)
            Gemm.reference(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &expected, ldc: n)
            for i in 0..<m { for j in 0..<n { expected[i * n + j] = max(0, expected[i * n + j] + bias[i]) } }
            for layout in Int32(0)...1 {
                var packed = [Float](repeating: .nan, count: emonet_packed_floats(layout, Int32(m), Int32(k)))
                emonet_pack_weights(layout, Int32(m), Int32(k), a, Int32(k), &packed)
                var c = [Float](repeating: .nan, count: m * n)
                emonet_sgemm_packed(layout, Int32(m), Int32(n), Int32(k), packed, b, Int32(n), &c, Int32(n), bias, true)
                assertClose(c, expected, tolerance: 1e-4, "packed \(m)x\(n)x\(k) layout \(layout)")
            }
        }
    }

    func testTheBLASCoreIsReported() throws {
        try Gemm.ensureLoaded()
        print("  OpenBLAS core: \(Gemm.coreName)")
        XCTAssertFalse(Gemm.coreName.isEmpty)
    }
}
