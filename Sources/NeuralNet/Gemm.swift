// The one GEMM seam: every matrix product of the engine goes through `Gemm.multiply`, which runs
// EmoNet's own AVX-512 kernel (Sources/CBLAS/gemm.c) where the CPU has AVX-512, and OpenBLAS's sgemm
// elsewhere, for products under 12 rows, 32 columns or 16 deep (mostly padding in its 12x32 tiles: the
// first layer's 9-deep products ran at a third of OpenBLAS's speed), when OpenBLAS is asked to thread, or with
// EMONET_GEMM=openblas (see CBLAS.h). `Gemm.reference` is the naive triple loop kept beside them as the
// oracle; tests compare both kernels with it on odd shapes.
import CBLAS

public enum Gemm {
    /// OpenBLAS's environment, set by a program's first line while it is the only thread: another library
    /// (FFmpeg's libavfilter) may start OpenBLAS before `ensureLoaded`, and it reads the variables then.
    public static func prepareEnvironment() { emonet_blas_prepare_environment() }

    /// Loads OpenBLAS once; throws `NeuralNetError.blasUnavailable` with the loader's reason.
    public static func ensureLoaded() throws {
        if emonet_blas_load() != 0 {
            throw NeuralNetError.blasUnavailable(String(cString: emonet_blas_error()))
        }
    }

    /// Loads OpenBLAS or stops: every engine entry point that multiplies calls this first.
    @usableFromInline static let loaded: Void = {
        if emonet_blas_load() != 0 {
            fatalError("EmoNet: \(String(cString: emonet_blas_error()))")
        }
    }()

    /// True when `multiply` runs EmoNet's own kernel (for products of at least 12 rows, 32 columns, 16 deep).
    public static var usesOwnKernel: Bool { emonet_gemm_uses_own() }

    /// Turns EmoNet's own kernel on or off (for tests and benchmarks; on only where the CPU has AVX-512);
    /// returns `usesOwnKernel`. Networks built for inference keep the choice they were built with.
    @discardableResult
    public static func useOwnKernel(_ enabled: Bool) -> Bool { emonet_gemm_use_own(enabled) }

    /// The kernel family OpenBLAS chose ("SkylakeX" on AVX-512 CPUs).
    public static var coreName: String {
        _ = loaded
        return String(cString: emonet_blas_core_name())
    }

    /// Threads OpenBLAS uses inside one call (EmoNet's own parallelism is over images).
    public static var blasThreads: Int {
        get { _ = loaded; return Int(emonet_blas_threads()) }
        set { _ = loaded; emonet_blas_set_threads(Int32(newValue)) }
    }

    /// Row-major C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, where op transposes when asked.
    /// `lda`, `ldb`, `ldc` are the row strides of A, B, C as stored.
    @inlinable
    public static func multiply(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        _ = loaded
        if m >= 12 && n >= 32 && k >= 16 && emonet_gemm_uses_own() {
            emonet_sgemm_own(transposeA, transposeB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                             b, Int32(ldb), beta, c, Int32(ldc))
        } else {
            emonet_sgemm(transposeA, transposeB, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                         b, Int32(ldb), beta, c, Int32(ldc))
        }
    }

    /// The same contract as `multiply`, as a plain triple loop accumulating in Double. The oracle.
    public static func reference(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let aip = transposeA ? a[p * lda + i] : a[i * lda + p]
                    let bpj = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    sum += Double(aip) * Double(bpj)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * sum + old)
            }
        }
    }
}
