// EmoNet's int8 GEMM for quantized inference (see CBLAS.h): unsigned 8-bit activations times signed 8-bit
// weights, summed exactly in int32, then one float epilogue per output: scale[row]·sum + bias[row], ReLU,
// stored as float or requantized to u8 for the next layer.
//
// On CPUs with AVX512-VNNI one vpdpbusd does 64 of these multiply-adds (4 per int32 lane), about 4x the
// float32 FMA rate of the same core; elsewhere a portable loop over the same packed operands gives the same
// sums (integers are exact), and the same epilogue (fmaf, round to nearest even), so its results are equal.
//
// Packed operands, 4 consecutive k in each 32-bit group (what vpdpbusd multiplies and adds):
//   weights  [panel of QMR rows][k/4][QMR][4] int8,   rows past m and k past K are 0;
//   columns  [panel of QNR cols][k/4][QNR][4] uint8,  columns past n and k past K are 0.
// The micro-kernel holds a QMR x QNR tile in 24 zmm accumulators: per k/4, 3 loads of columns and 8
// broadcasts of 4 weights each.
#include "CBLAS.h"
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>
#endif

enum { QMR = 8, QNR = 48 };

static int groups(int k) { return (k + 3) / 4; }

size_t emonet_qpacked_weight_bytes(int m, int k) {
    return (size_t)((m + QMR - 1) / QMR) * QMR * (size_t)groups(k) * 4;
}

size_t emonet_qpacked_column_bytes(int k, int n) {
    return (size_t)((n + QNR - 1) / QNR) * QNR * (size_t)groups(k) * 4;
}

void emonet_qpack_weights(int m, int k, const int8_t *w, int ldw, int8_t *packed) {
    int g = groups(k);
    for (int i0 = 0; i0 < m; i0 += QMR) {
        int8_t *panel = packed + (size_t)(i0 / QMR) * g * QMR * 4;
        for (int q = 0; q < g; q++)
            for (int i = 0; i < QMR; i++)
                for (int r = 0; r < 4; r++) {
                    int row = i0 + i, p = 4 * q + r;
                    panel[((size_t)q * QMR + i) * 4 + r] = row < m && p < k ? w[(size_t)row * ldw + p] : 0;
                }
    }
}

// --- The CPU and the choice ------------------------------------------------------------------------------

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool vnni_present;
static bool vnni_wanted = true;

static void probe(void) {
#if defined(__x86_64__)
    unsigned a, b, c, d;
    // AVX512-VNNI (leaf 7 ECX bit 11) with AVX512-BW (EBX 30) and -VL (EBX 31), where the AVX-512 kernels
    // run at all (which checks that the OS saves the registers, and EMONET_AVX512).
    vnni_present = emonet_avx512_kernels() && __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 11)) &&
                   (b & (1u << 30)) && (b & (1u << 31));
#endif
}

bool emonet_qgemm_uses_vnni(void) {
    pthread_once(&probe_once, probe);
    return vnni_present && vnni_wanted && emonet_avx512_kernels();
}

bool emonet_qgemm_use_vnni(bool enabled) {
    pthread_once(&probe_once, probe);
    vnni_wanted = enabled;
    return emonet_qgemm_uses_vnni();
}

// --- im2col into the packed column layout ----------------------------------------------------------------

/// Per-thread rows for qim2col (4 rows of the padded width), grown once to the largest size asked.
static _Thread_local uint8_t *row_buffer;
static _Thread_local size_t row_capacity;

static uint8_t *reserve_rows(size_t bytes) {
    if (row_capacity < bytes) {
        free(row_buffer);
        row_buffer = aligned_alloc(64, (bytes + 63) / 64 * 64);
        row_capacity = row_buffer ? bytes : 0;
    }
    if (!row_buffer) abort();  // out of memory for a few KB: nothing sensible is left to do
    return row_buffer;
}

// Row p = (c·kernel + ki)·kernel + kj of the im2col matrix: x[c, oy·stride − pad + ki, ox·stride − pad + kj]
// (0 outside) for every output position, then zeros up to `width`.
static void im2col_row(const uint8_t *x, int channels, int h, int w, int kernel, int stride, int pad, int ho, int wo,
                       int p, uint8_t *row, int width) {
    int c = p / (kernel * kernel), ki = p / kernel % kernel, kj = p % kernel;
    if (c >= channels) { memset(row, 0, (size_t)width); return; }
    const uint8_t *plane = x + (size_t)c * h * w;
    for (int oy = 0; oy < ho; oy++) {
        uint8_t *out = row + (size_t)oy * wo;
        int iy = oy * stride - pad + ki;
        if (iy < 0 || iy >= h) { memset(out, 0, (size_t)wo); continue; }
        const uint8_t *src = plane + (size_t)iy * w;
        if (stride == 1) {  // one shifted copy of the input row, zeros where the window leaves it
            int first = pad - kj > 0 ? pad - kj : 0, end = w + pad - kj < wo ? w + pad - kj : wo;
            if (first > wo) first = wo;
            if (end < first) end = first;
            memset(out, 0, (size_t)first);
            memcpy(out + first, src + first - pad + kj, (size_t)(end - first));
            memset(out + end, 0, (size_t)(wo - end));
        } else {
            for (int ox = 0; ox < wo; ox++) {
                int ix = ox * stride - pad + kj;
                out[ox] = ix >= 0 && ix < w ? src[ix] : 0;
            }
        }
    }
    memset(row + (size_t)ho * wo, 0, (size_t)(width - ho * wo));
}

#if defined(__x86_64__)
#define VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#endif

#if defined(__x86_64__)
// Stride 1: a zero-padded copy of the image, then for every group of 4 rows of the im2col matrix and
// every run of up to 16 output positions in one output row, 4 masked loads straight from that copy,
// interleaved and stored (split where the run crosses into the next panel of QNR columns).
VNNI static void qim2col_stride1(const uint8_t *x, int channels, int h, int w, int kernel, int pad, int ho, int wo,
                                 uint8_t *packed) {
    int k = channels * kernel * kernel, g = groups(k), n = ho * wo;
    int hp = h + 2 * pad, wp = w + 2 * pad;
    int width = (n + QNR - 1) / QNR * QNR;
    size_t plane = (size_t)hp * wp;
    uint8_t *padded = reserve_rows(plane * channels + 64);
    memset(padded, 0, plane * channels + 64);
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < h; y++) memcpy(padded + c * plane + (size_t)(y + pad) * wp + pad, x + ((size_t)c * h + y) * w, (size_t)w);
    for (int q = 0; q < g; q++) {
        const uint8_t *src[4];
        for (int i = 0; i < 4; i++) {
            int p = 4 * q + i, c = p / (kernel * kernel), ki = p / kernel % kernel, kj = p % kernel;
            src[i] = p < k ? padded + c * plane + (size_t)ki * wp + kj : NULL;
        }
        for (int oy = 0; oy < ho; oy++) {
            for (int ox = 0; ox < wo; ox += 16) {
                int len = wo - ox < 16 ? wo - ox : 16;
                __mmask16 m = (__mmask16)((1u << len) - 1);
                size_t at = (size_t)oy * wp + ox;
                __m512i v = _mm512_setzero_si512();
                for (int i = 0; i < 4; i++) {
                    if (!src[i]) continue;
                    __m512i b = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, src[i] + at));
                    v = _mm512_or_si512(v, _mm512_slli_epi32(b, 8 * i));
                }
                int p0 = oy * wo + ox, j = p0 % QNR, first = QNR - j < len ? QNR - j : len;
                uint8_t *dst = packed + ((size_t)(p0 / QNR) * g + q) * QNR * 4 + (size_t)j * 4;
                _mm512_mask_storeu_epi32(dst, (__mmask16)((1u << first) - 1), v);
                if (first < len) {  // the rest starts the next panel
                    uint8_t *next = packed + ((size_t)(p0 / QNR + 1) * g + q) * QNR * 4;
                    _mm512_mask_storeu_epi32(next - (size_t)first * 4, (__mmask16)(((1u << len) - 1) & ~((1u << first) - 1)), v);
                }
            }
        }
        for (int p = n; p < width; p++)  // the last panel's columns past n
            memset(packed + ((size_t)(p / QNR) * g + q) * QNR * 4 + (size_t)(p % QNR) * 4, 0, 4);
    }
}
#endif

void emonet_qim2col_packed(const uint8_t *x, int channels, int h, int w, int kernel, int stride, int pad, int ho,
                           int wo, uint8_t *packed) {
#if defined(__x86_64__)
    if (stride == 1 && emonet_qgemm_uses_vnni()) {
        qim2col_stride1(x, channels, h, w, kernel, pad, ho, wo, packed);
        return;
    }
#endif
    int k = channels * kernel * kernel, g = groups(k), n = ho * wo;
    int width = (n + QNR - 1) / QNR * QNR;
    uint8_t *rows = reserve_rows((size_t)4 * width);
    uint8_t *r[4] = {rows, rows + width, rows + 2 * width, rows + 3 * width};
    for (int q = 0; q < g; q++) {
        for (int i = 0; i < 4; i++) im2col_row(x, channels, h, w, kernel, stride, pad, ho, wo, 4 * q + i, r[i], width);
        for (int j0 = 0; j0 < width; j0 += QNR) {
            uint8_t *dst = packed + ((size_t)(j0 / QNR) * g + q) * QNR * 4;
            for (int j = 0; j < QNR; j++)
                for (int i = 0; i < 4; i++) dst[4 * j + i] = r[i][j0 + j];
        }
    }
}

// --- The product -----------------------------------------------------------------------------------------

/// One output value from its int32 sum: the same arithmetic in both kernels.
static inline float dequantized(int32_t sum, float scale, float bias, bool relu) {
    float v = fmaf((float)sum, scale, bias);
    return relu && v < 0 ? 0 : v;
}

static inline uint8_t requantized(float v, float inv) {
    float q = nearbyintf(v * inv);
    return q <= 0 ? 0 : q >= 255 ? 255 : (uint8_t)q;
}

/// Where the tile goes: floats (yf) or bytes requantized with 1/scale `inv` (yq), rows `ld` apart.
typedef struct {
    const float *scale, *bias;
    bool relu;
    float *yf;
    uint8_t *yq;
    float inv;
    long ld;
} qepilogue;

static void tile_portable(int g, const int8_t *a, const uint8_t *b, int i0, int j0, int rows, int cols, qepilogue e) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            int32_t sum = 0;
            for (int q = 0; q < g; q++)
                for (int r = 0; r < 4; r++)
                    sum += (int32_t)a[((size_t)q * QMR + i) * 4 + r] * (int32_t)b[((size_t)q * QNR + j) * 4 + r];
            int row = i0 + i;
            float v = dequantized(sum, e.scale[row], e.bias ? e.bias[row] : 0, e.relu);
            size_t at = (size_t)row * e.ld + j0 + j;
            if (e.yf) e.yf[at] = v; else e.yq[at] = requantized(v, e.inv);
        }
}

#if defined(__x86_64__)
VNNI static void tile_vnni(int g, const int8_t *restrict a, const uint8_t *restrict b, int i0, int j0, int rows,
                           int cols, qepilogue e) {
    __m512i s0[QMR], s1[QMR], s2[QMR];
#pragma clang loop unroll(full)
    for (int i = 0; i < QMR; i++) s0[i] = s1[i] = s2[i] = _mm512_setzero_si512();
    const int32_t *a32 = (const int32_t *)a;
    for (int q = 0; q < g; q++) {
        __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64), b2 = _mm512_loadu_si512(b + 128);
#pragma clang loop unroll(full)
        for (int i = 0; i < QMR; i++) {
            __m512i ai = _mm512_set1_epi32(a32[i]);
            s0[i] = _mm512_dpbusd_epi32(s0[i], b0, ai);
            s1[i] = _mm512_dpbusd_epi32(s1[i], b1, ai);
            s2[i] = _mm512_dpbusd_epi32(s2[i], b2, ai);
        }
        a32 += QMR;
        b += QNR * 4;
    }
    __mmask16 mask[3];
    for (int v = 0; v < 3; v++) {
        int left = cols - 16 * v;
        mask[v] = left >= 16 ? 0xFFFF : left > 0 ? (__mmask16)((1u << left) - 1) : 0;
    }
    const __m512 zero = _mm512_setzero_ps(), inv = _mm512_set1_ps(e.inv);
#pragma clang loop unroll(full)
    for (int i = 0; i < QMR; i++) {
        if (i >= rows) break;
        int row = i0 + i;
        __m512 scale = _mm512_set1_ps(e.scale[row]), bias = _mm512_set1_ps(e.bias ? e.bias[row] : 0);
        __m512i sums[3] = {s0[i], s1[i], s2[i]};
        size_t at = (size_t)row * e.ld + j0;
#pragma clang loop unroll(full)
        for (int v = 0; v < 3; v++) {
            __m512 y = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums[v]), scale, bias);
            if (e.relu) y = _mm512_max_ps(y, zero);
            if (e.yf) {
                _mm512_mask_storeu_ps(e.yf + at + 16 * v, mask[v], y);
            } else {  // round to nearest even (the default mode), clamp to 0..255, narrow
                __m512i n = _mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(y, inv)), _mm512_setzero_si512());
                _mm_mask_storeu_epi8(e.yq + at + 16 * v, mask[v], _mm512_cvtusepi32_epi8(n));
            }
        }
    }
}
#endif

void emonet_qgemm(int m, int n, int k, const int8_t *packed_weights, const uint8_t *packed_columns, const float *scale,
                  const float *bias, bool relu, float *yf, uint8_t *yq, float inv_out_scale, int ldy) {
    if (m <= 0 || n <= 0) return;
    int g = groups(k);
    qepilogue e = {scale, bias, relu, yf, yq, inv_out_scale, ldy};
#if defined(__x86_64__)
    bool vector = emonet_qgemm_uses_vnni();
#endif
    for (int j0 = 0; j0 < n; j0 += QNR) {
        const uint8_t *b = packed_columns + (size_t)(j0 / QNR) * g * QNR * 4;
        int cols = n - j0 < QNR ? n - j0 : QNR;
        for (int i0 = 0; i0 < m; i0 += QMR) {
            const int8_t *a = packed_weights + (size_t)(i0 / QMR) * g * QMR * 4;
            int rows = m - i0 < QMR ? m - i0 : QMR;
#if defined(__x86_64__)
            if (vector) { tile_vnni(g, a, b, i0, j0, rows, cols, e); continue; }
#endif
            tile_portable(g, a, b, i0, j0, rows, cols, e);
        }
    }
}

// --- Around the product ----------------------------------------------------------------------------------

void emonet_quantize_u8(const float *x, long n, float inv_scale, uint8_t *y) {
    for (long i = 0; i < n; i++) y[i] = requantized(x[i], inv_scale);
}

void emonet_maxpool2x2_u8(const uint8_t *x, int planes, int h, int w, uint8_t *y) {
    int ho = h / 2, wo = w / 2;
    for (int p = 0; p < planes; p++) {
        const uint8_t *plane = x + (size_t)p * h * w;
        uint8_t *out = y + (size_t)p * ho * wo;
        for (int oy = 0; oy < ho; oy++) {
            const uint8_t *r0 = plane + (size_t)(2 * oy) * w, *r1 = r0 + w;
            for (int ox = 0; ox < wo; ox++) {
                uint8_t a = r0[2 * ox] > r0[2 * ox + 1] ? r0[2 * ox] : r0[2 * ox + 1];
                uint8_t b = r1[2 * ox] > r1[2 * ox + 1] ? r1[2 * ox] : r1[2 * ox + 1];
                out[(size_t)oy * wo + ox] = a > b ? a : b;
            }
        }
    }
}
