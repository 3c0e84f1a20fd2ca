// The one GEMM seam of EmoNet: OpenBLAS's sgemm, opened at run time.
//
// OpenBLAS reads OPENBLAS_CORETYPE once, when the library is loaded. Debian's build picks its
// Haswell (AVX2) kernels on AVX-512 CPUs; the SkylakeX kernels are about 1.7x faster there.
// Linking OpenBLAS normally would load it before any of our code runs, so instead this shim
// sets the variable (unless the user already did) and then dlopen()s the library.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Loads OpenBLAS once; later calls return the first result. 0 on success.
int emonet_blas_load(void);
/// Why loading failed (NULL after a successful load).
const char *emonet_blas_error(void);
/// The kernel family OpenBLAS chose, e.g. "SkylakeX" (after a successful load).
const char *emonet_blas_core_name(void);
/// True when this shim set OPENBLAS_CORETYPE itself because the CPU has AVX-512.
bool emonet_blas_core_was_chosen(void);
/// Sets OpenBLAS's environment (OPENBLAS_NUM_THREADS=1, and the AVX-512 kernels where the CPU has them) unless
/// the user set it; once. For a program's first line, before any thread or library might start OpenBLAS;
/// emonet_blas_load calls it too.
void emonet_blas_prepare_environment(void);
/// Whether the user set OPENBLAS_NUM_THREADS (else emonet_blas_prepare_environment set it to 1).
bool emonet_blas_threads_given(void);
/// OpenBLAS's own thread count for one sgemm call.
void emonet_blas_set_threads(int threads);
int emonet_blas_threads(void);

/// Row-major C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] + beta * C. The library must be loaded.
void emonet_sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc);

/// EmoNet's own GEMM (gemm.c): the same contract as emonet_sgemm, a 12x32 AVX-512 micro-kernel. Only
/// where emonet_avx512_kernels() is true.
void emonet_sgemm_own(bool transA, bool transB, int M, int N, int K, float alpha,
                      const float *A, int lda, const float *B, int ldb,
                      float beta, float *C, int ldc);
/// True when Gemm.multiply runs emonet_sgemm_own: the AVX-512 kernels run, EMONET_GEMM is not "openblas",
/// and OpenBLAS was not asked for more than one thread per call.
bool emonet_gemm_uses_own(void);
/// For tests and benchmarks: turns our GEMM on or off (on only where it can run); returns emonet_gemm_uses_own().
bool emonet_gemm_use_own(bool enabled);
/// Called by emonet_blas_set_threads.
void emonet_gemm_note_blas_threads(int threads);
/// Weights packed once for emonet_sgemm_packed (an inference network's). `layout` comes from
/// emonet_packed_layout(M, N) for the products' shape: 0 puts A's rows on the micro-kernel's 12-row side,
/// 1 on its 32-column side (C is then computed as Cᵀ, which wastes less padding when N is small).
int emonet_packed_layout(int M, int N);
/// Floats emonet_pack_weights writes for an M x K operand in `layout`.
size_t emonet_packed_floats(int layout, int M, int K);
void emonet_pack_weights(int layout, int M, int K, const float *A, int lda, float *packed);
/// C[M,N] = packedA·B, + bias[row] when bias is non-NULL, then max(0, ·) when `relu`; B [K, N] row-major.
/// Only where emonet_avx512_kernels() is true (layout 0 runs anywhere the kernel does).
void emonet_sgemm_packed(int layout, int M, int N, int K, const float *packed, const float *B, int ldb, float *C,
                         int ldc, const float *bias, bool relu);

/// 3x3 convolutions (stride 1, padding 1, even h and w) by Winograd's F(2x2, 3x3) (winograd.c): 16 products
/// per 2x2 outputs and input channel instead of 36. Only where emonet_avx512_kernels() is true.
/// Filters [cout][cin][3][3] → U, 16 matrices [cout][cin] one after another (16·cout·cin floats); each is
/// then packed by emonet_pack_weights(layout, cout, cin, ...) into `packed`, emonet_packed_floats apart, with
/// layout = emonet_packed_layout(cout, n·(h/2)·(w/2)) for the n images convolved at once.
void emonet_winograd_filters(int cout, int cin, const float *weights, float *u);
/// Floats of `scratch` that n images convolved at once need.
size_t emonet_winograd_scratch_floats(int n, int cin, int cout, int h, int w);
/// y [n][cout][h][w] = the convolution of x [n][cin][h][w] + bias[o] (bias may be NULL), then max(0, ·) when
/// `relu`; the n images' tiles share each of the 16 products (one GEMM of n·(h/2)·(w/2) columns).
void emonet_winograd_conv(int n, int cin, int cout, int h, int w, const float *x, const float *packed, int layout,
                          const float *bias, bool relu, float *scratch, float *y);

/// The same by F(4x4, 3x3) (winograd43.c), for h and w multiples of 4: 36 matrices U (36·cout·cin floats),
/// 36 products per 4x4 outputs and input channel; layout = emonet_packed_layout(cout, n·(h/4)·(w/4)).
void emonet_winograd43_filters(int cout, int cin, const float *weights, float *u);
size_t emonet_winograd43_scratch_floats(int n, int cin, int cout, int h, int w);
void emonet_winograd43_conv(int n, int cin, int cout, int h, int w, const float *x, const float *packed, int layout,
                            const float *bias, bool relu, float *scratch, float *y);

/// int8 inference (gemm_int8.c): u8 activations x s8 weights summed in int32, then per output row
/// y = scale[row]·sum + bias[row] (bias may be NULL), max(0, ·) when `relu`, stored as floats in `yf` or,
/// when yf is NULL, as u8 round(y·inv_out_scale) clamped to 0...255 in `yq`; rows `ldy` apart.
/// AVX512-VNNI where the CPU has it, else a portable loop with equal results.
bool emonet_qgemm_uses_vnni(void);
/// For tests and benchmarks: VNNI on (only where the CPU has it) or off; returns emonet_qgemm_uses_vnni().
bool emonet_qgemm_use_vnni(bool enabled);
/// Bytes of the packed weights (m x k) and of the packed im2col columns (k x n).
size_t emonet_qpacked_weight_bytes(int m, int k);
size_t emonet_qpacked_column_bytes(int k, int n);
void emonet_qpack_weights(int m, int k, const int8_t *w, int ldw, int8_t *packed);
/// im2col (as emonet_im2col) of a u8 image [channels, h, w], written in the packed column layout.
void emonet_qim2col_packed(const uint8_t *x, int channels, int h, int w, int kernel, int stride, int pad, int ho,
                           int wo, uint8_t *packed);
void emonet_qgemm(int m, int n, int k, const int8_t *packed_weights, const uint8_t *packed_columns, const float *scale,
                  const float *bias, bool relu, float *yf, uint8_t *yq, float inv_out_scale, int ldy);
/// y = round(x·inv_scale) clamped to 0...255; 2x2/2 max pooling of u8 planes (floor mode).
void emonet_quantize_u8(const float *x, long n, float inv_scale, uint8_t *y);
void emonet_maxpool2x2_u8(const uint8_t *x, int planes, int h, int w, uint8_t *y);

/// Makes the calling thread treat denormal floats as zero (x86 MXCSR FTZ+DAZ). Tiny gradients
/// otherwise fall into denormal arithmetic, which costs ~100x per operation on x86 CPUs.
void emonet_flush_denormals(void);

/// True when the kernels below run their AVX-512 versions (the CPU has AVX-512F and the OS saves its
/// registers, unless EMONET_AVX512=0).
bool emonet_avx512_kernels(void);
/// For tests: switches between the AVX-512 and the portable kernels (AVX-512 only where the CPU has it);
/// returns whether AVX-512 is now used. Not for use while other threads run kernels.
bool emonet_use_avx512_kernels(bool enabled);
/// 2x2 max pooling with stride 2 over `planes` planes of h x w (floor mode).
void emonet_maxpool2x2(const float *x, int planes, int h, int w, float *y);
/// The same, always the portable loop (the AVX-512 version's oracle in tests).
void emonet_maxpool2x2_portable(const float *x, int planes, int h, int w, float *y);
/// Σx and Σx² (sum_squares), or Σa and Σa·b (sum_dot), over n floats, returned in double.
void emonet_sum_squares(const float *x, int n, double *sum, double *squares);
void emonet_sum_dot(const float *a, const float *b, int n, double *sum, double *dot);
/// Batch norm on one plane: xh = (x − mean)·inv, y = gamma·xh + beta.
void emonet_bn_normalize(const float *x, int n, float mean, float inv, float gamma, float beta, float *xh, float *y);
/// Batch norm's input gradient on one plane: dx = scale·(dy − meanDy − xh·meanDyXh).
void emonet_bn_backward(const float *dy, const float *xh, int n, float scale, float meanDy, float meanDyXh, float *dx);
/// Batch norm with the ReLU after it fused in: y = max(0, gamma·xh + beta) (xh as emonet_bn_normalize); and
/// backward, with the ReLU's mask (gamma·xh + beta > 0, recomputed as the forward computed it) applied to dy:
/// Σ m·dy and Σ m·dy·xh (sum_dot_relu), dx = scale·(m·dy − meanDy − xh·meanDyXh) (bn_relu_backward).
/// Bit for bit what emonet_bn_normalize, emonet_relu and their gradients give in turn.
void emonet_bn_normalize_relu(const float *x, int n, float mean, float inv, float gamma, float beta, float *xh, float *y);
void emonet_sum_dot_relu(const float *dy, const float *xh, int n, float gamma, float beta, double *sum, double *dot);
void emonet_bn_relu_backward(const float *dy, const float *xh, int n, float gamma, float beta, float scale, float meanDy,
                             float meanDyXh, float *dx);
/// Σx over n floats in float32, in vector partial sums (a convolution's bias gradient).
float emonet_sum(const float *x, long n);
/// y = max(0, x); and its gradient dx = dy where the forward output y > 0, else 0.
void emonet_relu(const float *x, long n, float *y);
void emonet_relu_backward(const float *y, const float *dy, long n, float *dx);
/// 2x2/2 max pooling keeping, per output, the flat in-plane index of its maximum (the first in row-major
/// order on ties, as PyTorch), for routing gradients back.
void emonet_maxpool2x2_argmax(const float *x, int planes, int h, int w, float *y, int *argmax);
/// im2col: cols[(c·k + ki)·k + kj, oy·wo + ox] = x[c, oy·stride − pad + ki, ox·stride − pad + kj] (0 outside),
/// rows `row_stride` floats apart. col2im is its adjoint: dx (zeroed first) = Σ of cols over every window
/// position that read each input.
void emonet_im2col(const float *x, int channels, int h, int w, int kernel, int stride, int pad, int ho, int wo,
                   float *cols, long row_stride);
void emonet_col2im(const float *cols, long row_stride, int channels, int h, int w, int kernel, int stride, int pad,
                   int ho, int wo, float *dx);
