// See CBLAS.h: 3x3 convolutions (stride 1, padding 1) for inference by Winograd's minimal filtering
// F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks", 2016). Each 2x2 block
// of outputs comes from a 4x4 input tile: V = Bᵀ d B per input channel, U = G g Gᵀ per filter (once, when
// the network is built), then for each of the 16 tile positions ξ one GEMM M[ξ] = U[ξ]·V[ξ] over the input
// channels (16 products of a tile where direct convolution needs 36), and Y = Aᵀ M A with bias and ReLU.
// The GEMMs are emonet_sgemm_packed's, so this runs only where the AVX-512 kernels do; the transforms are
// plain loops over a row of tiles, compiled for AVX-512 with a function attribute.
//   Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]   G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1]   Aᵀ = [1 1 1 0; 0 1 -1 -1]
#include "CBLAS.h"
#include <string.h>

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

size_t emonet_winograd_scratch_floats(int cin, int cout, int h, int w) {
    const size_t tiles = (size_t)(h / 2) * (size_t)(w / 2);
    return (size_t)(h + 2) * (size_t)(w + 2) + 16 * tiles * ((size_t)cin + (size_t)cout) + 4 * (size_t)(w + 2);
}

// V[ξ][c][t] for one channel: its plane copied with a border of zeros into `padded`, then per row of tiles the
// rows of Bᵀ d over the whole width (contiguous), then their columns per tile.
WINOGRAD_TARGET static void input_transform(const float *restrict x, int h, int w, float *restrict padded,
                                            float *restrict rows, float *restrict v, size_t stride) {
    const int pw = w + 2, tw = w / 2;
    memset(padded, 0, sizeof(float) * (size_t)pw);
    memset(padded + (size_t)(h + 1) * pw, 0, sizeof(float) * (size_t)pw);
    for (int y = 0; y < h; y++) {
        float *line = padded + (size_t)(y + 1) * pw;
        line[0] = 0;
        memcpy(line + 1, x + (size_t)y * w, sizeof(float) * (size_t)w);
        line[w + 1] = 0;
    }
    float *restrict t0 = rows, *restrict t1 = rows + pw, *restrict t2 = rows + 2 * pw, *restrict t3 = rows + 3 * pw;
    for (int ty = 0; ty < h / 2; ty++) {
        const float *r0 = padded + (size_t)(2 * ty) * pw, *r1 = r0 + pw, *r2 = r1 + pw, *r3 = r2 + pw;
        for (int i = 0; i < pw; i++) {
            t0[i] = r0[i] - r2[i];
            t1[i] = r1[i] + r2[i];
            t2[i] = r2[i] - r1[i];
            t3[i] = r1[i] - r3[i];
        }
        const float *t[4] = {t0, t1, t2, t3};
        for (int i = 0; i < 4; i++) {
            const float *restrict s = t[i];
            float *restrict v0 = v + (size_t)(4 * i) * stride + (size_t)ty * tw, *restrict v1 = v0 + stride,
                            *restrict v2 = v1 + stride, *restrict v3 = v2 + stride;
            for (int tx = 0; tx < tw; tx++) {
                const float a = s[2 * tx], b = s[2 * tx + 1], c = s[2 * tx + 2], d = s[2 * tx + 3];
                v0[tx] = a - c;
                v1[tx] = b + c;
                v2[tx] = c - b;
                v3[tx] = b - d;
            }
        }
    }
}

// y[o] from M[ξ][o][t]: Aᵀ M A per tile, + bias, then ReLU.
WINOGRAD_TARGET static void output_transform(const float *restrict m, size_t stride, int h, int w, float bias, bool relu,
                                             float *restrict y) {
    const int tw = w / 2;
    for (int ty = 0; ty < h / 2; ty++) {
        const float *row = m + (size_t)ty * tw;
        float *restrict top = y + (size_t)(2 * ty) * w, *restrict bottom = top + w;
        for (int tx = 0; tx < tw; tx++) {
            float s[4][2];  // columns j of Aᵀ M: s[j][0] = m0j + m1j + m2j, s[j][1] = m1j − m2j − m3j
            for (int j = 0; j < 4; j++) {
                const float m0 = row[(size_t)j * stride + tx], m1 = row[(size_t)(4 + j) * stride + tx],
                            m2 = row[(size_t)(8 + j) * stride + tx], m3 = row[(size_t)(12 + j) * stride + tx];
                s[j][0] = m0 + m1 + m2;
                s[j][1] = m1 - m2 - m3;
            }
            float y00 = s[0][0] + s[1][0] + s[2][0] + bias, y01 = s[1][0] - s[2][0] - s[3][0] + bias;
            float y10 = s[0][1] + s[1][1] + s[2][1] + bias, y11 = s[1][1] - s[2][1] - s[3][1] + bias;
            if (relu) {
                y00 = y00 > 0 ? y00 : 0;
                y01 = y01 > 0 ? y01 : 0;
                y10 = y10 > 0 ? y10 : 0;
                y11 = y11 > 0 ? y11 : 0;
            }
            top[2 * tx] = y00;
            top[2 * tx + 1] = y01;
            bottom[2 * tx] = y10;
            bottom[2 * tx + 1] = y11;
        }
    }
}

void emonet_winograd_conv(int cin, int cout, int h, int w, const float *x, const float *packed, int layout,
                          const float *bias, bool relu, float *scratch, float *y) {
    const int tiles = (h / 2) * (w / 2);
    const size_t vstride = (size_t)cin * tiles, mstride = (size_t)cout * tiles;
    float *padded = scratch, *v = padded + (size_t)(h + 2) * (w + 2), *m = v + 16 * vstride, *rows = m + 16 * mstride;
    const size_t plane = (size_t)h * w, packed_floats = emonet_packed_floats(layout, cout, cin);
    for (int c = 0; c < cin; c++) input_transform(x + (size_t)c * plane, h, w, padded, rows, v + (size_t)c * tiles, vstride);
    for (int xi = 0; xi < 16; xi++)
        emonet_sgemm_packed(layout, cout, tiles, cin, packed + (size_t)xi * packed_floats, v + (size_t)xi * vstride, tiles,
                            m + (size_t)xi * mstride, tiles, NULL, false);
    for (int o = 0; o < cout; o++)
        output_transform(m + (size_t)o * tiles, mstride, h, w, bias ? bias[o] : 0, relu, y + (size_t)o * plane);
}
