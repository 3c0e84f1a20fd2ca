// The micro-kernel's tile of EmoNet's GEMM (gemm.c): 12 rows x 32 columns as 24 AVX-512 accumulators,
// the blocking, and how a finished tile is stored.
// Tried and dropped: bfloat16 inputs (AVX512-BF16's vdpbf16ps). On this project's Xeon it peaks at
// 85 GFLOP/s against 175 for float32 FMAs (a loop of independent instructions), so it only lost.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { MR = 12, NR = 32, KC = 384, NC = 480 };

/// What the micro-kernel does with its sums: c = alpha·sum + beta·c (c not read when beta is 0), then
/// + bias and max(0, ·) when asked (the last K slice only). `transposed`: the tile's rows are C's columns.
typedef struct {
    float alpha, beta;
    const float *bias;  // the tile's first output row's bias, or NULL
    bool relu, transposed;
} epilogue;

#if defined(__x86_64__)
// Tile (r, q), r < rows, q < cols, of the sums s0[r] (columns 0-15) and s1[r] (16-31) stored at
// c[r·ldc + q], or at c[q·ldc + r] when e.transposed, with e's epilogue.
__attribute__((target("avx512f"), always_inline)) static inline void store_tile(const __m512 *s0, const __m512 *s1,
                                                                             float *c, long ldc, int rows, int cols,
                                                                             epilogue e) {
    __m512 alpha = _mm512_set1_ps(e.alpha), beta = _mm512_set1_ps(e.beta), zero = _mm512_setzero_ps();
    if (e.transposed) {
        // Through a tile in L1: each of C's rows q takes lane q of the 12 accumulators (a gather), then
        // gets its epilogue as one vector of 12 floats. (Scattering the accumulators down C's rows instead
        // measured slower.)
        float tile[MR * NR] __attribute__((aligned(64)));
#pragma clang loop unroll(full)
        for (int i = 0; i < MR; i++) {
            _mm512_store_ps(tile + i * NR, s0[i]);
            _mm512_store_ps(tile + i * NR + 16, s1[i]);
        }
        const __m512i down = _mm512_setr_epi32(0, NR, 2 * NR, 3 * NR, 4 * NR, 5 * NR, 6 * NR, 7 * NR, 8 * NR, 9 * NR,
                                               10 * NR, 11 * NR, 0, 0, 0, 0);
        __mmask16 m = (__mmask16)((1u << rows) - 1);
        for (int q = 0; q < cols; q++) {
            float *cq = c + q * ldc;
            __m512 v = _mm512_mask_i32gather_ps(zero, m, down, tile + q, 4);
            if (e.alpha != 1) v = _mm512_mul_ps(alpha, v);
            if (e.beta != 0) v = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m, cq), v);
            if (e.bias) v = _mm512_add_ps(v, _mm512_set1_ps(e.bias[q]));
            if (e.relu) v = _mm512_max_ps(v, zero);
            _mm512_mask_storeu_ps(cq, m, v);
        }
        return;
    }
    __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
#pragma clang loop unroll(full)
    for (int i = 0; i < MR; i++) {
        if (i >= rows) break;
        float *ci = c + i * ldc;
        __m512 v0 = e.alpha == 1 ? s0[i] : _mm512_mul_ps(alpha, s0[i]);
        __m512 v1 = e.alpha == 1 ? s1[i] : _mm512_mul_ps(alpha, s1[i]);
        if (e.beta != 0) {
            v0 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m0, ci), v0);
            v1 = _mm512_fmadd_ps(beta, _mm512_maskz_loadu_ps(m1, ci + 16), v1);
        }
        if (e.bias) {
            __m512 bi = _mm512_set1_ps(e.bias[i]);
            v0 = _mm512_add_ps(v0, bi);
            v1 = _mm512_add_ps(v1, bi);
        }
        if (e.relu) {
            v0 = _mm512_max_ps(v0, zero);
            v1 = _mm512_max_ps(v1, zero);
        }
        _mm512_mask_storeu_ps(ci, m0, v0);
        _mm512_mask_storeu_ps(ci + 16, m1, v1);
    }
}
#endif
