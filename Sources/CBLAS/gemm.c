// EmoNet's own single-precision GEMM for AVX-512 CPUs (see CBLAS.h): the BLIS scheme with a 12x32
// micro-kernel. Row-major C[M,N] = alpha·op(A)·op(B) + beta·C.
//
// Why our own: OpenBLAS is the portable path, but where OPENBLAS_CORETYPE pins it to its Haswell (AVX2)
// kernels it uses half of an AVX-512 core's width, and it packs the weights again on every call, which
// on the 6x6 maps of a face network costs as much as the product itself. Here the weights of an
// inference network are packed once (emonet_pack_a), and bias + ReLU are applied on the accumulators.
//
// Blocking (the operands' roles are BLIS's with rows and columns swapped, since C is row-major):
//   for every KC-deep slice of K:     A's slice packed in panels of 12 rows, [panel][k][12] (L3, or pre-packed)
//     for every NC-wide block of N:   B's block packed in panels of 32 columns, [panel][k][32] (L2)
//       for every 12-row panel of A:  its kc x 12 micro-panel stays in L1
//         for every 32-column panel:  the micro-kernel: 24 accumulators, 2 loads and 12 broadcasts per k.
// Edges are zero-padded when packed; the micro-kernel stores only the rows and columns that exist.
#include "CBLAS.h"
#include "gemm_tile.h"
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif


// Which GEMM `Gemm.multiply` runs: ours where the AVX-512 kernels run (see kernels.c) unless
// EMONET_GEMM=openblas, and OpenBLAS whenever it is asked to split one product over several threads.
static pthread_once_t choice_once = PTHREAD_ONCE_INIT;
static bool own_wanted = true;
static int blas_threads_asked = 1;

static void choose(void) {
    const char *setting = getenv("EMONET_GEMM");
    own_wanted = !(setting != NULL && strcmp(setting, "openblas") == 0);
}

bool emonet_gemm_uses_own(void) {
    pthread_once(&choice_once, choose);
    return own_wanted && blas_threads_asked <= 1 && emonet_avx512_kernels();
}

bool emonet_gemm_use_own(bool enabled) {
    pthread_once(&choice_once, choose);
    own_wanted = enabled;
    return emonet_gemm_uses_own();
}

void emonet_gemm_note_blas_threads(int threads) { blas_threads_asked = threads; }

#if defined(__x86_64__)
static void transpose_block(const float *src, long ld, int rows, int cols, float *dst, long dst_stride, int lanes);
#endif

// A packed as [panel][k][MR]: element (i, p) of op(A) at panel i / MR, offset p·MR + i % MR; rows past m are 0.
// `k0`, `kc`: the slice of K packed; `panel_stride`: floats between panels (kc for a slice, K when pre-packed).
static void pack_a(bool trans, const float *a, int lda, int m, int k0, int kc, float *out, size_t panel_stride) {
    for (int i0 = 0; i0 < m; i0 += MR) {
        float *panel = out + (size_t)(i0 / MR) * panel_stride;
        int rows = m - i0 < MR ? m - i0 : MR;
        if (trans) {  // op(A)(i, p) = a[p·lda + i]: each k holds `rows` contiguous floats
            for (int p = 0; p < kc; p++) {
                const float *src = a + (size_t)(k0 + p) * lda + i0;
                float *dst = panel + (size_t)p * MR;
                for (int i = 0; i < rows; i++) dst[i] = src[i];
                for (int i = rows; i < MR; i++) dst[i] = 0;
            }
        } else {  // op(A)(i, p) = a[i·lda + p]: read each row once, write it down a column of the panel
#if defined(__x86_64__)
            if (emonet_avx512_kernels()) {  // transposed 16 k at a time
                for (int p = 0; p < kc; p += 16)
                    transpose_block(a + (size_t)i0 * lda + k0 + p, lda, rows, kc - p < 16 ? kc - p : 16,
                                    panel + (size_t)p * MR, MR, MR);
                continue;
            }
#endif
            for (int i = 0; i < rows; i++) {
                const float *src = a + (size_t)(i0 + i) * lda + k0;
                for (int p = 0; p < kc; p++) panel[(size_t)p * MR + i] = src[p];
            }
            for (int i = rows; i < MR; i++)
                for (int p = 0; p < kc; p++) panel[(size_t)p * MR + i] = 0;
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f")))
_Static_assert(NC % NR == 0, "a block of B holds whole panels");

// Up to 16 rows (`rows`) of up to 16 columns (`cols`) of src, rows `ld` apart, written transposed: column q
// of src becomes `lanes` contiguous floats at dst + q·dst_stride (rows ≤ lanes ≤ 16; those past `rows` 0). The standard 16x16 transpose in three
// rounds of shuffles: the packing of an operand whose K runs along its rows (the weight gradient's
// both operands), which element by element cost as much as the product itself.
AVX512 static void transpose_block(const float *src, long ld, int rows, int cols, float *dst, long dst_stride, int lanes) {
    __mmask16 load = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 store = lanes >= 16 ? 0xFFFF : (__mmask16)((1u << lanes) - 1);
    __m512 r[16], t[16];
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_maskz_loadu_ps(load, src + i * ld) : _mm512_setzero_ps();
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i]), _mm512_castps_pd(t[i + 2])));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(t[i + 1]), _mm512_castps_pd(t[i + 3])));
    }
#pragma clang loop unroll(full)
    for (int h = 0; h < 16; h += 8)
#pragma clang loop unroll(full)
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
#pragma clang loop unroll(full)
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
    for (int q = 0; q < cols; q++) _mm512_mask_storeu_ps(dst + q * dst_stride, store, r[q]);
}

// The 32-column operand packed as [panel][k][NR], `panel_stride` floats apart (kc per block, K when
// pre-packed); columns past n are 0. op(B)(p, j) = trans ? b[j·ldb + p] : b[p·ldb + j].
AVX512 static void pack_b(bool trans, const float *b, int ldb, int k0, int kc, int j0, int n, float *out,
                          size_t panel_stride) {
    for (int jp = 0; jp < n; jp += NR) {
        float *panel = out + (size_t)(jp / NR) * panel_stride;
        int cols = n - jp < NR ? n - jp : NR;
        if (!trans) {  // 32 contiguous floats per k
            __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
            __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
            for (int p = 0; p < kc; p++) {
                const float *src = b + (size_t)(k0 + p) * ldb + j0 + jp;
                _mm512_storeu_ps(panel + (size_t)p * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_storeu_ps(panel + (size_t)p * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
        } else {  // 16 rows of b by 16 k at a time, transposed (rows past n come out as zeros)
            for (int half = 0; half < NR; half += 16) {
                int rows = cols - half < 0 ? 0 : cols - half > 16 ? 16 : cols - half;
                const float *src = b + (size_t)(j0 + jp + half) * ldb + k0;
                for (int p = 0; p < kc; p += 16)
                    transpose_block(src + p, ldb, rows, kc - p < 16 ? kc - p : 16, panel + (size_t)p * NR + half, NR, 16);
            }
        }
    }
}

// Tile (r, q), r < rows, q < cols, from kc steps of a (kc x MR) and b (kc x NR) micro-panels, stored at
// c[r·ldc + q], or c[q·ldc + r] when transposed.
AVX512 static void micro_kernel(int kc, const float *restrict a, const float *restrict b, float *c, long ldc,
                                int rows, int cols, epilogue e) {
    __m512 s0[MR], s1[MR];
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) s0[i] = s1[i] = _mm512_setzero_ps();
    for (int p = 0; p < kc; p++) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);  // packed buffers need no alignment
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            s0[i] = _mm512_fmadd_ps(ai, b0, s0[i]);
            s1[i] = _mm512_fmadd_ps(ai, b1, s1[i]);
        }
        a += MR;
        b += NR;
    }
    store_tile(s0, s1, c, ldc, rows, cols, e);
}

/// Per-thread packing buffers, grown once to the largest size asked and then reused (no allocation
/// per call after warm-up).
typedef struct { float *data; size_t capacity; } scratch;
static _Thread_local scratch a_buffer, b_buffer;

static float *reserve(scratch *s, size_t floats) {
    if (s->capacity < floats) {
        free(s->data);
        size_t bytes = (floats * sizeof(float) + 63) / 64 * 64;
        s->data = aligned_alloc(64, bytes);
        s->capacity = s->data ? floats : 0;
    }
    if (!s->data) abort();  // out of memory for a few MB: nothing sensible is left to do
    return s->data;
}

/// One operand of the blocked loops: pre-packed over all of K, or packed slice by slice from `src`.
typedef struct {
    const float *packed;
    const float *src;
    int ld;
    bool trans;  // as pack_a / pack_b read it
} operand;

// The loops above the micro-kernel: `rows` (the 12-row operand, rows x K) times `cols` (K x ncols).
AVX512 static void gemm_blocked(int nrows, int ncols, int k, operand r, operand q, float *c, int ldc,
                                epilogue e0) {
    size_t row_panels = (size_t)((nrows + MR - 1) / MR);
    float *pr = r.packed ? NULL : reserve(&a_buffer, row_panels * MR * KC);
    float *pq = q.packed ? NULL : reserve(&b_buffer, (size_t)KC * NC);
    const float *bias = e0.bias;
    bool relu = e0.relu;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        bool last = k0 + kc >= k;
        epilogue e = e0;
        e.beta = k0 == 0 ? e0.beta : 1;
        e.relu = last && relu;
        const float *r_slice;
        size_t r_stride;
        if (r.packed) {
            r_slice = r.packed + (size_t)k0 * MR;
            r_stride = (size_t)k * MR;
        } else {
            pack_a(r.trans, r.src, r.ld, nrows, k0, kc, pr, (size_t)kc * MR);
            r_slice = pr;
            r_stride = (size_t)kc * MR;
        }
        for (int j0 = 0; j0 < ncols; j0 += NC) {
            int nc = ncols - j0 < NC ? ncols - j0 : NC;
            const float *q_block;
            size_t q_stride;
            if (q.packed) {
                q_block = q.packed + (size_t)(j0 / NR) * k * NR + (size_t)k0 * NR;
                q_stride = (size_t)k * NR;
            } else {
                pack_b(q.trans, q.src, q.ld, k0, kc, j0, nc, pq, (size_t)kc * NR);
                q_block = pq;
                q_stride = (size_t)kc * NR;
            }
            for (int i0 = 0; i0 < nrows; i0 += MR) {
                const float *ap = r_slice + (size_t)(i0 / MR) * r_stride;
                int rows = nrows - i0 < MR ? nrows - i0 : MR;
                if (!e.transposed) e.bias = last && bias ? bias + i0 : NULL;
                for (int jp = 0; jp < nc; jp += NR) {
                    int col = j0 + jp;
                    float *tile = e.transposed ? c + (size_t)col * ldc + i0 : c + (size_t)i0 * ldc + col;
                    if (e.transposed) e.bias = last && bias ? bias + col : NULL;
                    micro_kernel(kc, ap, q_block + (size_t)(jp / NR) * q_stride, tile, ldc, rows,
                                 nc - jp < NR ? nc - jp : NR, e);
                }
            }
        }
    }
}

// Tiles computed (padding included) with C's rows as the 12-row side, and with C's columns there instead.
static bool transposed_is_cheaper(int m, int n) {
    long normal = (long)((m + MR - 1) / MR) * MR * ((n + NR - 1) / NR) * NR;
    long transposed = (long)((n + MR - 1) / MR) * MR * ((m + NR - 1) / NR) * NR;
    // The transposed store (a gather per row of C) costs 10-20%: measured faster only where the normal
    // layout pads a lot, e.g. 256 x 36 (6x6 maps, 36 columns padded to 64), not 64 x 576.
    return transposed * 4 < normal * 3;
}
#endif

// C = beta·C when there is nothing to multiply (k = 0), as BLAS defines it.
static void scale_only(int m, int n, float beta, float *c, int ldc, const float *bias, bool relu) {
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float v = beta == 0 ? 0 : beta * c[(size_t)i * ldc + j];
            if (bias) v += bias[i];
            c[(size_t)i * ldc + j] = relu && v < 0 ? 0 : v;
        }
}

void emonet_sgemm_own(bool transA, bool transB, int m, int n, int k, float alpha, const float *a, int lda,
                      const float *b, int ldb, float beta, float *c, int ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { scale_only(m, n, beta, c, ldc, NULL, false); return; }
#if defined(__x86_64__)
    // (Computing Cᵀ instead, as the pre-packed path may, would transpose-pack A on every call: slower.)
    epilogue e = {alpha, beta, NULL, false, false};
    gemm_blocked(m, n, k, (operand){NULL, a, lda, transA}, (operand){NULL, b, ldb, transB}, c, ldc, e);
#else
    (void)transA; (void)transB; (void)alpha; (void)a; (void)lda; (void)b; (void)ldb;
    abort();  // emonet_gemm_uses_own() is false here: callers take OpenBLAS
#endif
}

int emonet_packed_layout(int m, int n) {
#if defined(__x86_64__)
    return transposed_is_cheaper(m, n) ? 1 : 0;
#else
    (void)m; (void)n;
    return 0;
#endif
}

size_t emonet_packed_floats(int layout, int m, int k) {
    int unit = layout == 1 ? NR : MR;
    return (size_t)((m + unit - 1) / unit) * unit * (size_t)k;
}

void emonet_pack_weights(int layout, int m, int k, const float *a, int lda, float *packed) {
#if defined(__x86_64__)
    if (layout == 1) {  // the 32-column side: op(A)ᵀ (p, i) = a[i·lda + p]
        pack_b(true, a, lda, 0, k, 0, m, packed, (size_t)k * NR);
        return;
    }
#endif
    pack_a(false, a, lda, m, 0, k, packed, (size_t)k * MR);
}

void emonet_sgemm_packed(int layout, int m, int n, int k, const float *packed, const float *b, int ldb, float *c,
                         int ldc, const float *bias, bool relu) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) { scale_only(m, n, 0, c, ldc, bias, relu); return; }
#if defined(__x86_64__)
    epilogue e = {1, 0, bias, relu, layout == 1};
    if (layout == 1)
        gemm_blocked(n, m, k, (operand){NULL, b, ldb, true}, (operand){packed, NULL, 0, false}, c, ldc, e);
    else
        gemm_blocked(m, n, k, (operand){packed, NULL, 0, false}, (operand){NULL, b, ldb, false}, c, ldc, e);
#else
    (void)layout; (void)packed; (void)b; (void)ldb; (void)ldc;
    abort();
#endif
}
