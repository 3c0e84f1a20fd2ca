// See CBLAS.h and winograd.c: the same convolutions by F(4x4, 3x3), for maps whose sides are multiples of 4.
// Each 4x4 block of outputs comes from a 6x6 input tile (tiles 4 apart): 36 products per 16 outputs and input
// channel, against F(2x2, 3x3)'s 64 and direct convolution's 144. The matrices (Lavin and Gray, 2016):
//   Bᵀ = [4  0 -5  0 1 0]    G = [ 1/4     0    0 ]    Aᵀ = [1 1  1 1  1 0]
//        [0 -4 -4  1 1 0]        [-1/6 -1/6 -1/6 ]         [0 1 -1 2 -2 0]
//        [0  4 -4 -1 1 0]        [-1/6  1/6 -1/6 ]         [0 1  1 4  4 0]
//        [0 -2 -1  2 1 0]        [1/24 1/12  1/6 ]         [0 1 -1 8 -8 1]
//        [0  2 -1 -2 1 0]        [1/24 -1/12 1/6 ]
//        [0  4  0 -5 0 1]        [   0    0    1 ]
// Its larger coefficients cost a little precision (about 1e-6 of the outputs' scale, against F(2x2, 3x3)'s
// 1e-7; WinogradTests bounds both).
#include "CBLAS.h"
#include "winograd_driver.h"
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#define WINOGRAD_TARGET __attribute__((target("avx512f")))
#else
#define WINOGRAD_TARGET
#endif

// The six rows of Bᵀ·d for d0..d5 (used for the rows, then the columns, of a tile).
#define BT_ROWS(d0, d1, d2, d3, d4, d5, out0, out1, out2, out3, out4, out5) \
    do {                                                                    \
        out0 = 4 * (d0) - 5 * (d2) + (d4);                                  \
        out1 = -4 * (d1) - 4 * (d2) + (d3) + (d4);                          \
        out2 = 4 * (d1) - 4 * (d2) - (d3) + (d4);                           \
        out3 = -2 * (d1) - (d2) + 2 * (d3) + (d4);                          \
        out4 = 2 * (d1) - (d2) - 2 * (d3) + (d4);                           \
        out5 = 4 * (d1) - 5 * (d3) + (d5);                                  \
    } while (0)

void emonet_winograd43_filters(int cout, int cin, const float *weights, float *u) {
    static const double g[6][3] = {{1.0 / 4, 0, 0},         {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                   {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    const size_t plane = (size_t)cout * cin;
    for (int o = 0; o < cout; o++) {
        for (int c = 0; c < cin; c++) {
            const float *k = weights + ((size_t)o * cin + c) * 9;
            double t[6][3];  // G k
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 3; j++) t[i][j] = g[i][0] * k[j] + g[i][1] * k[3 + j] + g[i][2] * k[6 + j];
            for (int i = 0; i < 6; i++)  // (G k) Gᵀ
                for (int j = 0; j < 6; j++)
                    u[(size_t)(6 * i + j) * plane + (size_t)o * cin + c] =
                        (float)(t[i][0] * g[j][0] + t[i][1] * g[j][1] + t[i][2] * g[j][2]);
        }
    }
}

static size_t rows_floats(int h, int w) { return 6 * (size_t)(h / 4) * (size_t)(w + 2) + 64; }

// V[ξ][c][t] for one channel: the six rows of Bᵀ d for every row of tiles over the padded width pw = w + 2
// (rows outside the image read as zeros), into R_i[ty][x]; then their columns per row of tiles, 8 tiles a step:
// R_i[ty][4tx .. 4tx + 5] are tile tx's six columns, gathered 4 apart by two-register permutes.
WINOGRAD_TARGET static void input_transform(const float *restrict x, int h, int w, const float *zeros, float *restrict rows,
                                            float *restrict v, size_t stride) {
    const int pw = w + 2, tw = w / 4, th = h / 4;
    const size_t plane = (size_t)th * pw;
    for (int ty = 0; ty < th; ty++) {
        const int y = 4 * ty - 1;  // the tile's first row; rows -1 and h are the padding
#define ROW(r) (y + (r) >= 0 && y + (r) < h ? x + (size_t)(y + (r)) * w : zeros)
        const float *restrict p0 = ROW(0), *restrict p1 = ROW(1), *restrict p2 = ROW(2), *restrict p3 = ROW(3),
                              *restrict p4 = ROW(4), *restrict p5 = ROW(5);
#undef ROW
        float *restrict q0 = rows + (size_t)ty * pw, *restrict q1 = q0 + plane, *restrict q2 = q1 + plane, *restrict q3 = q2 + plane,
                        *restrict q4 = q3 + plane, *restrict q5 = q4 + plane;
        q0[0] = q1[0] = q2[0] = q3[0] = q4[0] = q5[0] = 0;
        q0[w + 1] = q1[w + 1] = q2[w + 1] = q3[w + 1] = q4[w + 1] = q5[w + 1] = 0;
        for (int i = 0; i < w; i++) {
            float o0, o1, o2, o3, o4, o5;
            BT_ROWS(p0[i], p1[i], p2[i], p3[i], p4[i], p5[i], o0, o1, o2, o3, o4, o5);
            q0[i + 1] = o0;
            q1[i + 1] = o1;
            q2[i + 1] = o2;
            q3[i + 1] = o3;
            q4[i + 1] = o4;
            q5[i + 1] = o5;
        }
    }
    for (int k = 0; k < 6; k++) {
        for (int ty = 0; ty < th; ty++) {
            const float *s = rows + (size_t)k * plane + (size_t)ty * pw;
            float *out = v + (size_t)(6 * k) * stride + (size_t)ty * tw;
#if defined(__x86_64__)
            const __m512i every4 = _mm512_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28, 0, 0, 0, 0, 0, 0, 0, 0);
            for (int tx = 0; tx < tw; tx += 8) {
                const __mmask16 keep = (__mmask16)(tw - tx >= 8 ? 0xFF : (1u << (tw - tx)) - 1);
                const float *at = s + 4 * tx;  // reads up to at[36]: inside the spare floats after the planes
                __m512 d[6];
                for (int c = 0; c < 6; c++) d[c] = _mm512_permutex2var_ps(_mm512_loadu_ps(at + c), every4, _mm512_loadu_ps(at + c + 16));
                __m512 o[6];
                BT_ROWS(d[0], d[1], d[2], d[3], d[4], d[5], o[0], o[1], o[2], o[3], o[4], o[5]);
                for (int j = 0; j < 6; j++) _mm512_mask_storeu_ps(out + (size_t)j * stride + tx, keep, o[j]);
            }
#else
            for (int tx = 0; tx < tw; tx++) {
                const float *d = s + 4 * tx;
                float o[6];
                BT_ROWS(d[0], d[1], d[2], d[3], d[4], d[5], o[0], o[1], o[2], o[3], o[4], o[5]);
                for (int j = 0; j < 6; j++) out[(size_t)j * stride + tx] = o[j];
            }
#endif
        }
    }
}

// Output channel o of every image: Aᵀ M A for each of the `count` tiles (M[ξ][o][t] = m[ξ·stride + t]), + bias,
// then ReLU, into the 16 planes of q (q[(4a + b)·count + t]: the tile's output at row a, column b); 16 tiles a
// step, the last one masked.
#if defined(__x86_64__)
WINOGRAD_TARGET static void output_transform(const float *restrict m, size_t stride, int count, float bias, bool relu,
                                             float *restrict q) {
    const __m512 two = _mm512_set1_ps(2), four = _mm512_set1_ps(4), eight = _mm512_set1_ps(8), b = _mm512_set1_ps(bias);
    const __m512 zero = _mm512_setzero_ps();
    for (int t = 0; t < count; t += 16) {
        const __mmask16 keep = (__mmask16)(count - t >= 16 ? 0xFFFF : (1u << (count - t)) - 1);
        __m512 s[4][6];  // rows a of Aᵀ M, for each column j
        for (int j = 0; j < 6; j++) {
            __m512 r[6];
            for (int i = 0; i < 6; i++) r[i] = _mm512_maskz_loadu_ps(keep, m + (size_t)(6 * i + j) * stride + t);
            const __m512 p12 = _mm512_add_ps(r[1], r[2]), m12 = _mm512_sub_ps(r[1], r[2]);
            const __m512 p34 = _mm512_add_ps(r[3], r[4]), m34 = _mm512_sub_ps(r[3], r[4]);
            s[0][j] = _mm512_add_ps(_mm512_add_ps(r[0], p12), p34);
            s[1][j] = _mm512_fmadd_ps(two, m34, m12);
            s[2][j] = _mm512_fmadd_ps(four, p34, p12);
            s[3][j] = _mm512_add_ps(_mm512_fmadd_ps(eight, m34, m12), r[5]);
        }
        for (int a = 0; a < 4; a++) {
            const __m512 *r = s[a];
            const __m512 p12 = _mm512_add_ps(r[1], r[2]), m12 = _mm512_sub_ps(r[1], r[2]);
            const __m512 p34 = _mm512_add_ps(r[3], r[4]), m34 = _mm512_sub_ps(r[3], r[4]);
            __m512 y[4] = {_mm512_add_ps(_mm512_add_ps(r[0], p12), p34), _mm512_fmadd_ps(two, m34, m12),
                           _mm512_fmadd_ps(four, p34, p12), _mm512_add_ps(_mm512_fmadd_ps(eight, m34, m12), r[5])};
            for (int c = 0; c < 4; c++) {
                __m512 out = _mm512_add_ps(y[c], b);
                if (relu) out = _mm512_max_ps(out, zero);
                _mm512_mask_storeu_ps(q + (size_t)(4 * a + c) * count + t, keep, out);
            }
        }
    }
}
#else
static void output_transform(const float *restrict m, size_t stride, int count, float bias, bool relu, float *restrict q) {
    for (int t = 0; t < count; t++) {
        float s[4][6];  // rows a of Aᵀ M, for each column j
        for (int j = 0; j < 6; j++) {
            const float m0 = m[(size_t)j * stride + t], m1 = m[(size_t)(6 + j) * stride + t], m2 = m[(size_t)(12 + j) * stride + t],
                        m3 = m[(size_t)(18 + j) * stride + t], m4 = m[(size_t)(24 + j) * stride + t],
                        m5 = m[(size_t)(30 + j) * stride + t];
            s[0][j] = m0 + m1 + m2 + m3 + m4;
            s[1][j] = m1 - m2 + 2 * (m3 - m4);
            s[2][j] = m1 + m2 + 4 * (m3 + m4);
            s[3][j] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
        for (int a = 0; a < 4; a++) {
            const float *r = s[a];
            float y[4] = {r[0] + r[1] + r[2] + r[3] + r[4] + bias, r[1] - r[2] + 2 * (r[3] - r[4]) + bias,
                          r[1] + r[2] + 4 * (r[3] + r[4]) + bias, r[1] - r[2] + 8 * (r[3] - r[4]) + r[5] + bias};
            for (int b = 0; b < 4; b++) q[(size_t)(4 * a + b) * count + t] = relu && y[b] < 0 ? 0 : y[b];
        }
    }
}
#endif

// One image's tiles of q (as output_transform wrote them, `count` apart) into its plane y [h][w].
WINOGRAD_TARGET static void scatter_tiles(const float *restrict q, size_t count, int h, int w, float *restrict y) {
    const int tw = w / 4;
    for (int ty = 0; ty < h / 4; ty++) {
        for (int a = 0; a < 4; a++) {
            float *restrict row = y + (size_t)(4 * ty + a) * w;
            const float *restrict q0 = q + (size_t)(4 * a) * count + (size_t)ty * tw, *restrict q1 = q0 + count,
                                  *restrict q2 = q1 + count, *restrict q3 = q2 + count;
            for (int tx = 0; tx < tw; tx++) {
                row[4 * tx] = q0[tx];
                row[4 * tx + 1] = q1[tx];
                row[4 * tx + 2] = q2[tx];
                row[4 * tx + 3] = q3[tx];
            }
        }
    }
}

static const winograd_tiling tiling = {4, rows_floats, input_transform, output_transform, scatter_tiles};

size_t emonet_winograd43_scratch_floats(int n, int cin, int cout, int h, int w) {
    return winograd_scratch_floats(&tiling, n, cin, cout, h, w);
}

void emonet_winograd43_conv(int n, int cin, int cout, int h, int w, const float *x, const float *packed, int layout,
                            const float *bias, bool relu, float *scratch, float *y) {
    winograd_run(&tiling, n, cin, cout, h, w, x, packed, layout, bias, relu, scratch, y);
}
