// See CBLAS.h: OpenBLAS opened with dlopen after choosing its AVX-512 kernels.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_fn)(int, int, int, int, int, int, float, const float *, int,
                         const float *, int, float, float *, int);
typedef void (*set_threads_fn)(int);
typedef int (*get_threads_fn)(void);
typedef char *(*corename_fn)(void);

static pthread_once_t once = PTHREAD_ONCE_INIT;
static sgemm_fn sgemm;
static set_threads_fn set_threads;
static get_threads_fn get_threads;
static corename_fn corename;
static bool chose_core;
static char error_text[512];
static int load_status = -1;

static bool cpu_has_avx512(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    // SkylakeX kernels need the F, BW, DQ and VL subsets.
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
    return false;
#endif
}

static void load(void) {
    if (getenv("OPENBLAS_CORETYPE") == NULL && cpu_has_avx512()) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
        chose_core = true;
    }
    // One thread per call unless asked: EmoNet parallelises over images itself.
    if (getenv("OPENBLAS_NUM_THREADS") == NULL) setenv("OPENBLAS_NUM_THREADS", "1", 0);
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    void *handle = NULL;
    for (unsigned i = 0; i < sizeof names / sizeof names[0] && handle == NULL; i++)
        handle = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        snprintf(error_text, sizeof error_text,
                 "cannot load OpenBLAS (libopenblas.so.0): %s; install Debian's libopenblas0 (make deps)",
                 dlerror());
        return;
    }
    sgemm = (sgemm_fn)dlsym(handle, "cblas_sgemm");
    set_threads = (set_threads_fn)dlsym(handle, "openblas_set_num_threads");
    get_threads = (get_threads_fn)dlsym(handle, "openblas_get_num_threads");
    corename = (corename_fn)dlsym(handle, "openblas_get_corename");
    if (sgemm == NULL) {
        snprintf(error_text, sizeof error_text, "the loaded OpenBLAS has no cblas_sgemm symbol");
        return;
    }
    load_status = 0;
}

int emonet_blas_load(void) {
    pthread_once(&once, load);
    return load_status;
}

const char *emonet_blas_error(void) { return load_status == 0 ? NULL : error_text; }
const char *emonet_blas_core_name(void) { return corename ? corename() : "unknown"; }
bool emonet_blas_core_was_chosen(void) { return chose_core; }
void emonet_blas_set_threads(int threads) { if (set_threads) set_threads(threads); }
int emonet_blas_threads(void) { return get_threads ? get_threads() : 1; }

void emonet_sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc) {
    sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, M, N, K, alpha, A, lda,
          B, ldb, beta, C, ldc);
}
