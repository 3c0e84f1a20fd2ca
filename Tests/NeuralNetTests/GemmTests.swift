// The GEMM seam: OpenBLAS against the naive reference on odd shapes, every transpose, alpha/beta.
import NeuralNet
import TestSupport
import XCTest

final class GemmTests: XCTestCase {
    func testOpenBLASMatchesTheReferenceOnOddShapes() throws {
        try Gemm.ensureLoaded()
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

    func testTheBLASCoreIsReported() throws {
        try Gemm.ensureLoaded()
        print("  OpenBLAS core: \(Gemm.coreName)")
        XCTAssertFalse(Gemm.coreName.isEmpty)
    }
}
