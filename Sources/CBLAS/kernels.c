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
