// The part of a Winograd convolution that does not depend on the tile size, shared by winograd.c (F(2x2, 3x3))
// and winograd43.c (F(4x4, 3x3)): the scratch layout, the input transform of every channel of every image, one
// packed GEMM per tile position, then the output transform and scatter of every output channel.
// scratch: a row of zeros (the padding above and below), V and M ((t+2)² matrices each), the rows of one
// channel's input transform (with spare floats for the last tiles' vector reads), and the t² output planes of
// one output channel.
#pragma once
#include "CBLAS.h"
#include <string.h>

typedef struct {
    int tile;  // t: outputs per tile side
    // The rows of one channel's input transform, for maps of h x w.
    size_t (*rows_floats)(int h, int w);
    // V[ξ][c][t] of one channel x [h][w] into v (matrices `stride` apart).
    void (*input)(const float *x, int h, int w, const float *zeros, float *rows, float *v, size_t stride);
    // Aᵀ M A + bias (ReLU) for `count` tiles of one output channel (M[ξ] `stride` apart) into t² planes of q.
    void (*output)(const float *m, size_t stride, int count, float bias, bool relu, float *q);
    // One image's tiles of q (planes `count` apart) into its plane y [h][w].
    void (*scatter)(const float *q, size_t count, int h, int w, float *y);
} winograd_tiling;

static inline size_t winograd_scratch_floats(const winograd_tiling *t, int n, int cin, int cout, int h, int w) {
    const size_t columns = (size_t)n * (size_t)(h / t->tile) * (size_t)(w / t->tile), matrices = (size_t)(t->tile + 2) * (t->tile + 2);
    return (size_t)w + matrices * columns * ((size_t)cin + (size_t)cout) + t->rows_floats(h, w) + (size_t)t->tile * t->tile * columns;
}

static inline void winograd_run(const winograd_tiling *t, int n, int cin, int cout, int h, int w, const float *x, const float *packed,
                                int layout, const float *bias, bool relu, float *scratch, float *y) {
    // V[ξ] and M[ξ] hold the n images' tiles side by side: column i·T + t is image i's tile t.
    const int tiles = (h / t->tile) * (w / t->tile), columns = n * tiles, matrices = (t->tile + 2) * (t->tile + 2);
    const size_t vstride = (size_t)cin * columns, mstride = (size_t)cout * columns, rows_floats = t->rows_floats(h, w);
    float *zeros = scratch, *v = zeros + w, *m = v + matrices * vstride, *rows = m + matrices * mstride, *q = rows + rows_floats;
    memset(zeros, 0, sizeof(float) * (size_t)w);
    memset(rows, 0, sizeof(float) * rows_floats);  // the spare floats the last vector reads see
    const size_t plane = (size_t)h * w, packed_floats = emonet_packed_floats(layout, cout, cin);
    for (int i = 0; i < n; i++)
        for (int c = 0; c < cin; c++)
            t->input(x + ((size_t)i * cin + c) * plane, h, w, zeros, rows, v + (size_t)c * columns + (size_t)i * tiles, vstride);
    for (int xi = 0; xi < matrices; xi++)
        emonet_sgemm_packed(layout, cout, columns, cin, packed + (size_t)xi * packed_floats, v + (size_t)xi * vstride, columns,
                            m + (size_t)xi * mstride, columns, NULL, false);
    for (int o = 0; o < cout; o++) {
        t->output(m + (size_t)o * columns, mstride, columns, bias ? bias[o] : 0, relu, q);
        for (int i = 0; i < n; i++) t->scatter(q + (size_t)i * tiles, (size_t)columns, h, w, y + ((size_t)i * cout + o) * plane);
    }
}
