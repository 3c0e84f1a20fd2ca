// See CBLAS.h: the few loops of the engine that want AVX-512 and cannot get it from Swift, whose
// code is compiled for baseline x86-64. Each is compiled for AVX-512F with a function attribute and
// chosen at run time; other CPUs (or EMONET_AVX512=0) run the portable loop beside it.
#include "CBLAS.h"
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

#if defined(__x86_64__)
static bool has_avx512f(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0xE6) != 0xE6) return false;  // the OS saves ZMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 16)) != 0;
}

#define EMONET_AVX512 __attribute__((target("avx512f")))
#endif

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool available;

static void probe(void) {
    const char *setting = getenv("EMONET_AVX512");
    bool disabled = setting != NULL && strcmp(setting, "0") == 0;
#if defined(__x86_64__)
    available = !disabled && has_avx512f();
#else
    (void)disabled;
    available = false;
#endif
}

bool emonet_avx512_kernels(void) {
    pthread_once(&probe_once, probe);
    return available;
}

bool emonet_use_avx512_kernels(bool enabled) {
    pthread_once(&probe_once, probe);
#if defined(__x86_64__)
    available = enabled && has_avx512f();
#else
    (void)enabled;
#endif
    return available;
}

// 2x2 max pooling, stride 2, floor mode: y[plane, oy, ox] = max of x[plane, 2oy..2oy+1, 2ox..2ox+1].
#if defined(__x86_64__)
EMONET_AVX512 static void maxpool_avx512(const float *x, int planes, int h, int w, float *y) {
    const int ho = h / 2, wo = w / 2;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    for (int p = 0; p < planes; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        for (int oy = 0; oy < ho; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * w, *r1 = r0 + w;
            float *out = yp + (size_t)oy * wo;
            for (int ox = 0; ox < wo; ox += 16) {
                int left = wo - ox < 16 ? wo - ox : 16;  // outputs in this step; reads 2 * left inputs
                __mmask16 lo = left >= 8 ? 0xFFFF : (__mmask16)((1u << (2 * left)) - 1);
                __mmask16 hi = left > 8 ? (__mmask16)(left == 16 ? 0xFFFF : (1u << (2 * (left - 8))) - 1) : 0;
                __m512 a = _mm512_max_ps(_mm512_maskz_loadu_ps(lo, r0 + 2 * ox), _mm512_maskz_loadu_ps(lo, r1 + 2 * ox));
                __m512 b = _mm512_max_ps(_mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16),
                                         _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16));
                __m512 m = _mm512_max_ps(_mm512_permutex2var_ps(a, even, b), _mm512_permutex2var_ps(a, odd, b));
                _mm512_mask_storeu_ps(out + ox, (__mmask16)((1u << left) - 1), m);
            }
        }
    }
}
#endif

void emonet_maxpool2x2(const float *x, int planes, int h, int w, float *y) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { maxpool_avx512(x, planes, h, w, y); return; }
#endif
    emonet_maxpool2x2_portable(x, planes, h, w, y);
}

void emonet_maxpool2x2_portable(const float *x, int planes, int h, int w, float *y) {
    const int ho = h / 2, wo = w / 2;
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < ho; oy++) {
            const float *r0 = x + ((size_t)p * h + 2 * oy) * w, *r1 = r0 + w;
            float *out = y + ((size_t)p * ho + oy) * wo;
            for (int ox = 0; ox < wo; ox++) {
                float a = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                float b = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                out[ox] = a > b ? a : b;
            }
        }
}

// ---------------------------------------------------------------------------------------------------------
// Elementwise training loops: batch norm (per plane), ReLU, and 2x2 max pooling that keeps its argmax.
// The AVX-512 versions keep the portable versions' 16 partial sums where they reduce, so results match to
// the last bit within a plane except for the order of the final 16-way sum.

#if defined(__x86_64__)
EMONET_AVX512 static void sums_avx512(const float *a, const float *b, int n, double *sum, double *other) {
    __m512 s = _mm512_setzero_ps(), q = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(a + i);
        s = _mm512_add_ps(s, v);
        q = _mm512_fmadd_ps(v, b ? _mm512_loadu_ps(b + i) : v, q);
    }
    double ds = _mm512_reduce_add_ps(s), dq = _mm512_reduce_add_ps(q);
    for (; i < n; i++) { ds += a[i]; dq += (double)a[i] * (b ? b[i] : a[i]); }
    *sum = ds;
    *other = dq;
}

EMONET_AVX512 static void normalize_avx512(const float *x, int n, float mean, float inv, float g, float b, float *xh, float *y) {
    const __m512 vm = _mm512_set1_ps(mean), vi = _mm512_set1_ps(inv), vg = _mm512_set1_ps(g), vb = _mm512_set1_ps(b);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vi);
        _mm512_storeu_ps(xh + i, v);
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(vg, v, vb));
    }
    for (; i < n; i++) { float v = (x[i] - mean) * inv; xh[i] = v; y[i] = g * v + b; }
}

EMONET_AVX512 static void bn_backward_avx512(const float *dy, const float *xh, int n, float scale, float meanDy,
                                             float meanDyXh, float *dx) {
    const __m512 vs = _mm512_set1_ps(scale), vd = _mm512_set1_ps(meanDy), vx = _mm512_set1_ps(meanDyXh);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 t = _mm512_sub_ps(_mm512_sub_ps(_mm512_loadu_ps(dy + i), vd), _mm512_mul_ps(_mm512_loadu_ps(xh + i), vx));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(vs, t));
    }
    for (; i < n; i++) dx[i] = scale * (dy[i] - meanDy - xh[i] * meanDyXh);
}

// Batch norm with the ReLU that follows it fused in (BatchNorm2D.appliesReLU): the forward stores
// max(0, γ·x̂ + β) computed exactly as normalize + relu do; the backward's mask (output > 0) is recomputed
// from x̂ with the same arithmetic, so it matches the unfused layers bit for bit without reading the output.
EMONET_AVX512 static void normalize_relu_avx512(const float *x, int n, float mean, float inv, float g, float b, float *xh,
                                                float *y) {
    const __m512 vm = _mm512_set1_ps(mean), vi = _mm512_set1_ps(inv), vg = _mm512_set1_ps(g), vb = _mm512_set1_ps(b);
    const __m512 zero = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_mul_ps(_mm512_sub_ps(_mm512_loadu_ps(x + i), vm), vi);
        _mm512_storeu_ps(xh + i, v);
        __m512 t = _mm512_fmadd_ps(vg, v, vb);
        _mm512_storeu_ps(y + i, _mm512_mask_mov_ps(t, _mm512_cmp_ps_mask(t, zero, _CMP_LT_OQ), zero));
    }
    for (; i < n; i++) { float v = (x[i] - mean) * inv; xh[i] = v; float t = g * v + b; y[i] = t < 0 ? 0 : t; }
}

// The ReLU's gradient mask of one plane: lanes whose forward output γ·x̂ + β was > 0.
#define RELU_MASK(xh16) _mm512_cmp_ps_mask(_mm512_fmadd_ps(vg, (xh16), vb), _mm512_setzero_ps(), _CMP_GT_OQ)

EMONET_AVX512 static void sums_relu_avx512(const float *dy, const float *xh, int n, float g, float b, double *sum,
                                           double *dot) {
    const __m512 vg = _mm512_set1_ps(g), vb = _mm512_set1_ps(b);
    __m512 s = _mm512_setzero_ps(), q = _mm512_setzero_ps();
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(xh + i);
        __m512 v = _mm512_maskz_mov_ps(RELU_MASK(x), _mm512_loadu_ps(dy + i));
        s = _mm512_add_ps(s, v);
        q = _mm512_fmadd_ps(v, x, q);
    }
    double ds = _mm512_reduce_add_ps(s), dq = _mm512_reduce_add_ps(q);
    for (; i < n; i++) {
        float t = g * xh[i] + b, v = t > 0 ? dy[i] : 0;
        ds += v;
        dq += (double)v * xh[i];
    }
    *sum = ds;
    *dot = dq;
}

EMONET_AVX512 static void bn_relu_backward_avx512(const float *dy, const float *xh, int n, float g, float b, float scale,
                                                  float meanDy, float meanDyXh, float *dx) {
    const __m512 vg = _mm512_set1_ps(g), vb = _mm512_set1_ps(b);
    const __m512 vs = _mm512_set1_ps(scale), vd = _mm512_set1_ps(meanDy), vx = _mm512_set1_ps(meanDyXh);
    int i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 x = _mm512_loadu_ps(xh + i);
        __m512 v = _mm512_maskz_mov_ps(RELU_MASK(x), _mm512_loadu_ps(dy + i));
        _mm512_storeu_ps(dx + i, _mm512_mul_ps(vs, _mm512_sub_ps(_mm512_sub_ps(v, vd), _mm512_mul_ps(x, vx))));
    }
    for (; i < n; i++) {
        float t = g * xh[i] + b, v = t > 0 ? dy[i] : 0;
        dx[i] = scale * (v - meanDy - xh[i] * meanDyXh);
    }
}
#undef RELU_MASK

EMONET_AVX512 static float sum_avx512(const float *x, long n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i));
        s1 = _mm512_add_ps(s1, _mm512_loadu_ps(x + i + 16));
    }
    if (i + 16 <= n) { s0 = _mm512_add_ps(s0, _mm512_loadu_ps(x + i)); i += 16; }
    if (i < n) s1 = _mm512_add_ps(s1, _mm512_maskz_loadu_ps((__mmask16)((1u << (n - i)) - 1), x + i));
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

EMONET_AVX512 static void relu_avx512(const float *x, const float *dy, long n, float *y) {
    const __m512 zero = _mm512_setzero_ps();
    long i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 v = _mm512_loadu_ps(x + i);
        if (dy) {  // backward: dy where the forward output was positive
            __mmask16 positive = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
            _mm512_storeu_ps(y + i, _mm512_maskz_mov_ps(positive, _mm512_loadu_ps(dy + i)));
        } else {
            __mmask16 negative = _mm512_cmp_ps_mask(v, zero, _CMP_LT_OQ);
            _mm512_storeu_ps(y + i, _mm512_mask_mov_ps(v, negative, zero));
        }
    }
    for (; i < n; i++) y[i] = dy ? (x[i] > 0 ? dy[i] : 0) : (x[i] < 0 ? 0 : x[i]);
}

EMONET_AVX512 static void maxpool_argmax_avx512(const float *x, int planes, int h, int w, float *y, int *argmax) {
    const int ho = h / 2, wo = w / 2;
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512i lane2 = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
    for (int p = 0; p < planes; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        int *ap = argmax + (size_t)p * ho * wo;
        for (int oy = 0; oy < ho; oy++) {
            const float *r0 = xp + (size_t)(2 * oy) * w, *r1 = r0 + w;
            for (int ox = 0; ox < wo; ox += 16) {
                int left = wo - ox < 16 ? wo - ox : 16;
                __mmask16 lo = left >= 8 ? 0xFFFF : (__mmask16)((1u << (2 * left)) - 1);
                __mmask16 hi = left > 8 ? (__mmask16)(left == 16 ? 0xFFFF : (1u << (2 * (left - 8))) - 1) : 0;
                __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
                __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
                // Candidates in PyTorch's order (row-major within the window); a later one wins only if greater.
                __m512 c[4] = {_mm512_permutex2var_ps(a0, even, a1), _mm512_permutex2var_ps(a0, odd, a1),
                               _mm512_permutex2var_ps(b0, even, b1), _mm512_permutex2var_ps(b0, odd, b1)};
                const int offset[4] = {0, 1, w, w + 1};
                __m512 best = c[0];
                __m512i index = _mm512_add_epi32(lane2, _mm512_set1_epi32(2 * oy * w + 2 * ox));
                __m512i bestIndex = index;
                for (int k = 1; k < 4; k++) {
                    __mmask16 greater = _mm512_cmp_ps_mask(c[k], best, _CMP_GT_OQ);
                    best = _mm512_mask_mov_ps(best, greater, c[k]);
                    bestIndex = _mm512_mask_mov_epi32(bestIndex, greater, _mm512_add_epi32(index, _mm512_set1_epi32(offset[k])));
                }
                __mmask16 out = (__mmask16)((1u << left) - 1);
                _mm512_mask_storeu_ps(yp + (size_t)oy * wo + ox, out, best);
                _mm512_mask_storeu_epi32(ap + (size_t)oy * wo + ox, out, bestIndex);
            }
        }
    }
}
#endif

void emonet_sum_squares(const float *x, int n, double *sum, double *squares) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { sums_avx512(x, NULL, n, sum, squares); return; }
#endif
    double s = 0, q = 0;
    for (int i = 0; i < n; i++) { s += x[i]; q += (double)x[i] * x[i]; }
    *sum = s;
    *squares = q;
}

void emonet_sum_dot(const float *a, const float *b, int n, double *sum, double *dot) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { sums_avx512(a, b, n, sum, dot); return; }
#endif
    double s = 0, d = 0;
    for (int i = 0; i < n; i++) { s += a[i]; d += (double)a[i] * b[i]; }
    *sum = s;
    *dot = d;
}

void emonet_bn_normalize(const float *x, int n, float mean, float inv, float gamma, float beta, float *xh, float *y) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { normalize_avx512(x, n, mean, inv, gamma, beta, xh, y); return; }
#endif
    for (int i = 0; i < n; i++) { float v = (x[i] - mean) * inv; xh[i] = v; y[i] = gamma * v + beta; }
}

void emonet_bn_backward(const float *dy, const float *xh, int n, float scale, float meanDy, float meanDyXh, float *dx) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { bn_backward_avx512(dy, xh, n, scale, meanDy, meanDyXh, dx); return; }
#endif
    for (int i = 0; i < n; i++) dx[i] = scale * (dy[i] - meanDy - xh[i] * meanDyXh);
}

void emonet_bn_normalize_relu(const float *x, int n, float mean, float inv, float gamma, float beta, float *xh, float *y) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { normalize_relu_avx512(x, n, mean, inv, gamma, beta, xh, y); return; }
#endif
    for (int i = 0; i < n; i++) {
        float v = (x[i] - mean) * inv;
        xh[i] = v;
        float t = gamma * v + beta;
        y[i] = t < 0 ? 0 : t;
    }
}

void emonet_sum_dot_relu(const float *dy, const float *xh, int n, float gamma, float beta, double *sum, double *dot) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { sums_relu_avx512(dy, xh, n, gamma, beta, sum, dot); return; }
#endif
    double s = 0, d = 0;
    for (int i = 0; i < n; i++) {
        float t = gamma * xh[i] + beta, v = t > 0 ? dy[i] : 0;
        s += v;
        d += (double)v * xh[i];
    }
    *sum = s;
    *dot = d;
}

void emonet_bn_relu_backward(const float *dy, const float *xh, int n, float gamma, float beta, float scale, float meanDy,
                             float meanDyXh, float *dx) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { bn_relu_backward_avx512(dy, xh, n, gamma, beta, scale, meanDy, meanDyXh, dx); return; }
#endif
    for (int i = 0; i < n; i++) {
        float t = gamma * xh[i] + beta, v = t > 0 ? dy[i] : 0;
        dx[i] = scale * (v - meanDy - xh[i] * meanDyXh);
    }
}

float emonet_sum(const float *x, long n) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) return sum_avx512(x, n);
#endif
    float s[8] = {0};  // 8 partial sums: vectorisable, and not one long chain of dependent adds
    long i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) s[j] += x[i + j];
    for (; i < n; i++) s[i % 8] += x[i];
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

void emonet_relu(const float *x, long n, float *y) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { relu_avx512(x, NULL, n, y); return; }
#endif
    for (long i = 0; i < n; i++) y[i] = x[i] < 0 ? 0 : x[i];
}

void emonet_relu_backward(const float *y, const float *dy, long n, float *dx) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { relu_avx512(y, dy, n, dx); return; }
#endif
    for (long i = 0; i < n; i++) dx[i] = y[i] > 0 ? dy[i] : 0;
}

void emonet_maxpool2x2_argmax(const float *x, int planes, int h, int w, float *y, int *argmax) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { maxpool_argmax_avx512(x, planes, h, w, y, argmax); return; }
#endif
    const int ho = h / 2, wo = w / 2;
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < ho; oy++)
            for (int ox = 0; ox < wo; ox++) {
                const float *xp = x + (size_t)p * h * w;
                int index = 2 * oy * w + 2 * ox;
                const int candidates[4] = {index, index + 1, index + w, index + w + 1};
                int best = candidates[0];
                for (int k = 1; k < 4; k++) if (xp[candidates[k]] > xp[best]) best = candidates[k];
                y[((size_t)p * ho + oy) * wo + ox] = xp[best];
                argmax[((size_t)p * ho + oy) * wo + ox] = best;
            }
}

// ---------------------------------------------------------------------------------------------------------
// im2col and its adjoint col2im. One body each, compiled twice: for AVX-512 (the compiler vectorises the
// row copies and sums 16 wide) and portable. Rows of the column matrix are `row_stride` floats apart, so
// several images' columns can sit side by side (Conv2D's grouped GEMMs).

// The output columns [*lo, *hi) whose window column ix = ox*stride - pad + kj falls inside a row of w
// pixels: the span both bodies copy, the rest being padding.
static inline __attribute__((always_inline)) void inside_columns(int kj, int stride, int pad, int w, int wo,
                                                                 int *lo, int *hi) {
    *lo = 0;
    *hi = wo;
    while (*lo < wo && *lo * stride - pad + kj < 0) (*lo)++;
    while (*hi > *lo && (*hi - 1) * stride - pad + kj >= w) (*hi)--;
}

static inline __attribute__((always_inline)) void im2col_body(const float *restrict x, int channels, int h, int w,
                                                              int kernel, int stride, int pad, int ho, int wo,
                                                              float *restrict cols, long row_stride) {
    float *row = cols;
    for (int c = 0; c < channels; c++) {
        const float *xc = x + (size_t)c * h * w;
        for (int ki = 0; ki < kernel; ki++)
            for (int kj = 0; kj < kernel; kj++, row += row_stride) {
                int lo, hi;
                inside_columns(kj, stride, pad, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    float *dst = row + (size_t)oy * wo;
                    int iy = oy * stride - pad + ki;
                    if (iy < 0 || iy >= h) {
                        for (int ox = 0; ox < wo; ox++) dst[ox] = 0;
                        continue;
                    }
                    const float *src = xc + (size_t)iy * w;
                    const int off = kj - pad;  // ox + off (stride 1) is inside the row for ox in [lo, hi)
                    for (int ox = 0; ox < lo; ox++) dst[ox] = 0;
                    if (stride == 1)
                        for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox + off];
                    else
                        for (int ox = lo; ox < hi; ox++) dst[ox] = src[ox * stride + off];
                    for (int ox = hi; ox < wo; ox++) dst[ox] = 0;
                }
            }
    }
}

static inline __attribute__((always_inline)) void col2im_body(const float *restrict cols, long row_stride, int channels,
                                                              int h, int w, int kernel, int stride, int pad, int ho,
                                                              int wo, float *restrict dx) {
    for (size_t i = 0; i < (size_t)channels * h * w; i++) dx[i] = 0;
    const float *row = cols;
    for (int c = 0; c < channels; c++) {
        float *dxc = dx + (size_t)c * h * w;
        for (int ki = 0; ki < kernel; ki++)
            for (int kj = 0; kj < kernel; kj++, row += row_stride) {
                int lo, hi;
                inside_columns(kj, stride, pad, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy * stride - pad + ki;
                    if (iy < 0 || iy >= h) continue;
                    const float *src = row + (size_t)oy * wo;
                    float *dst = dxc + (size_t)iy * w;
                    const int off = kj - pad;
                    if (stride == 1)
                        for (int ox = lo; ox < hi; ox++) dst[ox + off] += src[ox];
                    else
                        for (int ox = lo; ox < hi; ox++) dst[ox * stride + off] += src[ox];
                }
            }
    }
}

#if defined(__x86_64__)
// Stride 1 (every convolution of the presets) with masked 16-lane loads and stores: a row of the column
// matrix is the input row shifted by kj − pad, the lanes outside [lo, hi) zero. The generic bodies spend
// most of their time in per-row edge loops and memset calls on the 6- and 12-wide maps. Masked-off lanes
// are never read, so the shifted loads may start before an input row.
static inline __attribute__((always_inline)) __mmask16 lanes_between(int lo, int hi) {  // bits l, lo ≤ l < hi
    unsigned below_hi = hi <= 0 ? 0 : hi >= 16 ? 0xFFFFu : (1u << hi) - 1;
    unsigned below_lo = lo <= 0 ? 0 : lo >= 16 ? 0xFFFFu : (1u << lo) - 1;
    return (__mmask16)(below_hi & ~below_lo);
}

EMONET_AVX512 static void im2col_s1_avx512(const float *x, int channels, int h, int w, int kernel, int pad, int ho,
                                           int wo, float *cols, long row_stride) {
    float *row = cols;
    for (int c = 0; c < channels; c++) {
        const float *xc = x + (size_t)c * h * w;
        for (int ki = 0; ki < kernel; ki++)
            for (int kj = 0; kj < kernel; kj++, row += row_stride) {
                int lo, hi;
                inside_columns(kj, 1, pad, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    float *dst = row + (size_t)oy * wo;
                    int iy = oy - pad + ki;
                    bool inside = iy >= 0 && iy < h;
                    const float *src = inside ? xc + (size_t)iy * w : xc;
                    for (int ox = 0; ox < wo; ox += 16) {
                        __mmask16 store = lanes_between(0, wo - ox);
                        __mmask16 load = inside ? store & lanes_between(lo - ox, hi - ox) : 0;
                        _mm512_mask_storeu_ps(dst + ox, store, _mm512_maskz_loadu_ps(load, src + ox + kj - pad));
                    }
                }
            }
    }
}

EMONET_AVX512 static void col2im_s1_avx512(const float *cols, long row_stride, int channels, int h, int w, int kernel,
                                           int pad, int ho, int wo, float *dx) {
    memset(dx, 0, (size_t)channels * h * w * sizeof(float));
    const float *row = cols;
    for (int c = 0; c < channels; c++) {
        float *dxc = dx + (size_t)c * h * w;
        for (int ki = 0; ki < kernel; ki++)
            for (int kj = 0; kj < kernel; kj++, row += row_stride) {
                int lo, hi;
                inside_columns(kj, 1, pad, w, wo, &lo, &hi);
                for (int oy = 0; oy < ho; oy++) {
                    int iy = oy - pad + ki;
                    if (iy < 0 || iy >= h) continue;
                    const float *src = row + (size_t)oy * wo;
                    float *dst = dxc + (size_t)iy * w + kj - pad;  // dst[ox] for ox in [lo, hi) is inside the row
                    for (int ox = lo; ox < hi; ox += 16) {
                        __mmask16 m = lanes_between(0, hi - ox);
                        __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + ox), _mm512_maskz_loadu_ps(m, src + ox));
                        _mm512_mask_storeu_ps(dst + ox, m, sum);
                    }
                }
            }
    }
}

EMONET_AVX512 static void im2col_avx512(const float *x, int channels, int h, int w, int kernel, int stride, int pad,
                                        int ho, int wo, float *cols, long row_stride) {
    if (stride == 1) { im2col_s1_avx512(x, channels, h, w, kernel, pad, ho, wo, cols, row_stride); return; }
    im2col_body(x, channels, h, w, kernel, stride, pad, ho, wo, cols, row_stride);
}
EMONET_AVX512 static void col2im_avx512(const float *cols, long row_stride, int channels, int h, int w, int kernel,
                                        int stride, int pad, int ho, int wo, float *dx) {
    if (stride == 1) { col2im_s1_avx512(cols, row_stride, channels, h, w, kernel, pad, ho, wo, dx); return; }
    col2im_body(cols, row_stride, channels, h, w, kernel, stride, pad, ho, wo, dx);
}
#endif

void emonet_im2col(const float *x, int channels, int h, int w, int kernel, int stride, int pad, int ho, int wo,
                   float *cols, long row_stride) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { im2col_avx512(x, channels, h, w, kernel, stride, pad, ho, wo, cols, row_stride); return; }
#endif
    im2col_body(x, channels, h, w, kernel, stride, pad, ho, wo, cols, row_stride);
}

void emonet_col2im(const float *cols, long row_stride, int channels, int h, int w, int kernel, int stride, int pad,
                   int ho, int wo, float *dx) {
#if defined(__x86_64__)
    if (emonet_avx512_kernels()) { col2im_avx512(cols, row_stride, channels, h, w, kernel, stride, pad, ho, wo, dx); return; }
#endif
    col2im_body(cols, row_stride, channels, h, w, kernel, stride, pad, ho, wo, dx);
}
