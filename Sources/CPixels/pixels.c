// See CPixels.h. The AVX2 version is the portable loop compiled for AVX2 by a function attribute (the
// compiler vectorises the three-byte interleave), chosen at run time.
#include "CPixels.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#define RGB_TO_GRAY_LOOP                                                                                      \
    for (size_t i = 0; i < count; i++)                                                                        \
        gray[i] = (uint8_t)((rgb[3 * i] * 9798u + rgb[3 * i + 1] * 19235u + rgb[3 * i + 2] * 3735u + 16384u) >> 15);

void emonet_rgb_to_gray_portable(const uint8_t *restrict rgb, uint8_t *restrict gray, size_t count) {
    RGB_TO_GRAY_LOOP
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void rgb_to_gray_avx2(const uint8_t *restrict rgb, uint8_t *restrict gray,
                                                             size_t count) {
    RGB_TO_GRAY_LOOP
}

static bool has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    unsigned lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 0x6) != 0x6) return false;  // the OS saves YMM state
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    return (b & (1u << 5)) != 0;
}
#endif

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static bool avx2;

static void probe(void) {
    const char *setting = getenv("EMONET_AVX2");
#if defined(__x86_64__)
    avx2 = !(setting != NULL && strcmp(setting, "0") == 0) && has_avx2();
#else
    (void)setting;
    avx2 = false;
#endif
}

bool emonet_pixels_avx2(void) {
    pthread_once(&probe_once, probe);
    return avx2;
}

void emonet_rgb_to_gray(const uint8_t *rgb, uint8_t *gray, size_t count) {
#if defined(__x86_64__)
    if (emonet_pixels_avx2()) {
        rgb_to_gray_avx2(rgb, gray, count);
        return;
    }
#endif
    emonet_rgb_to_gray_portable(rgb, gray, count);
}
