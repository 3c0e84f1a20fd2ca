// See CBLAS.h: 3x3 convolutions (stride 1, padding 1) for inference by Winograd's minimal filtering
// F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block
// of outputs comes from a 4x4 input tile: V = Bᵀ d B per input channel, U = G g Gᵀ per filter (once, when
// the network is built), then for each of the 16 tile positions ξ one GEMM M[ξ] = U[ξ]·V[ξ] over the input
// channels (16 products of a tile where direct convolution needs 36), and Y = Aᵀ M A with bias and ReLU.
// The GEMMs are emonet_sgemm_packed's, so this runs only where the AVX-512 kernels do; the transforms are
// compiled for AVX-512 with a function attribute (the input transform's column step in intrinsics).
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 -1 -1]
#include "CBLAS.h"
#include "winograd_driver.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__x86_64__)
#define WINOGRAD_TARGET __attribute__((target("avx512f")))
#else
#define WINOGRAD_TARGET
#endif

void emonet_winograd_filters(int cout, int cin, const float *weights, float *u) {
    const size_t plane = (size_t)cout * cin;
    for (int o = 0; o < cout; o++) {
        for (int c = 0; c < cin; c++) {
            const float *g = weights + ((size_t)o * cin + c) * 9;
            float t[4][3];  // G g
            for (int j = 0; j < 3; j++) {
                t[0][j] = g[j];
                t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
                t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
                t[3][j] = g[6 + j];
            }
            for (int i = 0; i < 4; i++) {  // (G g) Gᵀ
                float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
                for (int j = 0; j < 4; j++) u[(size_t)(4 * i + j) * plane + (size_t)o * cin + c] = r[j];
            }
        }
    }
}

static size_t rows_floats(int h, int w) { return 4 * (size_t)(h / 2) * (size_t)(w + 2) + 48; }

// V[ξ][c][t] for one channel: the rows of Bᵀ d for every row of tiles, over the padded width pw = w + 2
// (rows outside the image read as zeros), into R_i[ty][x] (`rows`, 4 planes of th·pw, with spare floats
// after them); then per row of tiles their columns, 16 tiles at a time: R_i[ty][2tx .. 2tx + 3] are tile tx's
// four columns, split into even and odd floats by two-register permutes and stored with a mask.
WINOGRAD_TARGET static void input_transform(const float *restrict x, int h, int w, const float *zeros, float *restrict rows,
                                            float *restrict v, size_t stride) {
    const int pw = w + 2, tw = w / 2, th = h / 2;
    const size_t plane = (size_t)th * pw;
    for (int ty = 0; ty < th; ty++) {
        const int y = 2 * ty - 1;  // the tile's first row; rows -1 and h are the padding
        const float *restrict p0 = y >= 0 ? x + (size_t)y * w : zeros, *restrict p1 = x + (size_t)(y + 1) * w,
                              *restrict p2 = x + (size_t)(y + 2) * w, *restrict p3 = y + 3 < h ? x + (size_t)(y + 3) * w : zeros;
        float *restrict q0 = rows + (size_t)ty * pw, *restrict q1 = q0 + plane, *restrict q2 = q1 + plane, *restrict q3 = q2 + plane;
        q0[0] = q1[0] = q2[0] = q3[0] = 0;
        for (int i = 0; i < w; i++) {
            q0[i + 1] = p0[i] - p2[i];
            q1[i + 1] = p1[i] + p2[i];
            q2[i + 1] = p2[i] - p1[i];
            q3[i + 1] = p1[i] - p3[i];
        }
        q0[w + 1] = q1[w + 1] = q2[w + 1] = q3[w + 1] = 0;
    }
#if defined(__x86_64__)
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int i = 0; i < 4; i++) {
        for (int ty = 0; ty < th; ty++) {
            const float *s = rows + (size_t)i * plane + (size_t)ty * pw;
            float *out = v + (size_t)(4 * i) * stride + (size_t)ty * tw;
            for (int tx = 0; tx < tw; tx += 16) {
                const __mmask16 keep = (__mmask16)(tw - tx >= 16 ? 0xFFFF : (1u << (tw - tx)) - 1);
                const float *at = s + 2 * tx;  // reads up to at[33]: inside the spare floats after the planes
                const __m512 lo = _mm512_loadu_ps(at), hi = _mm512_loadu_ps(at + 16);
                const __m512 lo2 = _mm512_loadu_ps(at + 2), hi2 = _mm512_loadu_ps(at + 18);
                const __m512 a = _mm512_permutex2var_ps(lo, even, hi), b = _mm512_permutex2var_ps(lo, odd, hi);
                const __m512 c = _mm512_permutex2var_ps(lo2, even, hi2), d = _mm512_permutex2var_ps(lo2, odd, hi2);
                _mm512_mask_storeu_ps(out + tx, keep, _mm512_sub_ps(a, c));
                _mm512_mask_storeu_ps(out + stride + tx, keep, _mm512_add_ps(b, c));
                _mm512_mask_storeu_ps(out + 2 * stride + tx, keep, _mm512_sub_ps(c, b));
                _mm512_mask_storeu_ps(out + 3 * stride + tx, keep, _mm512_sub_ps(b, d));
            }
        }
    }
#else
    for (int i = 0; i < 4; i++) {
        for (int ty = 0; ty < th; ty++) {
            const float *s = rows + (size_t)i * plane + (size_t)ty * pw;
            float *out = v + (size_t)(4 * i) * stride + (size_t)ty * tw;
            for (int tx = 0; tx < tw; tx++) {
                const float a = s[2 * tx], b = s[2 * tx + 1], c = s[2 * tx + 2], d = s[2 * tx + 3];
                out[tx] = a - c;
                out[stride + tx] = b + c;
                out[2 * stride + tx] = c - b;
                out[3 * stride + tx] = b - d;
            }
        }
    }
#endif
}

// Output channel o of every image: Aᵀ M A for each of the `count` tiles (M[ξ][o][t] = m[ξ·stride + t]), + bias,
// then ReLU, into the four planes of q (q[a·count + t]: the tile's output a = 2·row + column).
WINOGRAD_TARGET static void output_transform(const float *restrict m, size_t stride, int count, float bias, bool relu,
                                             float *restrict q) {
    float *restrict q0 = q, *restrict q1 = q + count, *restrict q2 = q + 2 * (size_t)count, *restrict q3 = q + 3 * (size_t)count;
    for (int t = 0; t < count; t++) {
        float s0[4], s1[4];  // columns j of Aᵀ M: s0[j] = m0j + m1j + m2j, s1[j] = m1j − m2j − m3j
        for (int j = 0; j < 4; j++) {
            const float a = m[(size_t)j * stride + t], b = m[(size_t)(4 + j) * stride + t], c = m[(size_t)(8 + j) * stride + t],
                        d = m[(size_t)(12 + j) * stride + t];
            s0[j] = a + b + c;
            s1[j] = b - c - d;
        }
        float y00 = s0[0] + s0[1] + s0[2] + bias, y01 = s0[1] - s0[2] - s0[3] + bias;
        float y10 = s1[0] + s1[1] + s1[2] + bias, y11 = s1[1] - s1[2] - s1[3] + bias;
        if (relu) {
            y00 = y00 > 0 ? y00 : 0;
            y01 = y01 > 0 ? y01 : 0;
            y10 = y10 > 0 ? y10 : 0;
            y11 = y11 > 0 ? y11 : 0;
        }
        q0[t] = y00;
        q1[t] = y01;
        q2[t] = y10;
        q3[t] = y11;
    }
}

// One image's tiles of q (as output_transform wrote them, `count` apart) into its plane y [h][w].
WINOGRAD_TARGET static void scatter_tiles(const float *restrict q, size_t count, int h, int w, float *restrict y) {
    const int tw = w / 2;
    for (int ty = 0; ty < h / 2; ty++) {
        const float *restrict a = q + (size_t)ty * tw, *restrict b = a + count, *restrict c = b + count, *restrict d = c + count;
        float *restrict top = y + (size_t)(2 * ty) * w, *restrict bottom = top + w;
        for (int tx = 0; tx < tw; tx++) {
            top[2 * tx] = a[tx];
            top[2 * tx + 1] = b[tx];
            bottom[2 * tx] = c[tx];
            bottom[2 * tx + 1] = d[tx];
        }
    }
}

static const winograd_tiling tiling = {2, rows_floats, input_transform, output_transform, scatter_tiles};

size_t emonet_winograd_scratch_floats(int n, int cin, int cout, int h, int w) {
    return winograd_scratch_floats(&tiling, n, cin, cout, h, w);
}

void emonet_winograd_conv(int n, int cin, int cout, int h, int w, const float *x, const float *packed, int layout,
                          const float *bias, bool relu, float *scratch, float *y) {
    winograd_run(&tiling, n, cin, cout, h, w, x, packed, layout, bias, relu, scratch, y);
}
