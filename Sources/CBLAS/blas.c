// See CBLAS.h: OpenBLAS opened with dlopen after choosing its AVX-512 kernels.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <dlfcn.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
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
    // Asked of CPUID directly (__builtin_cpu_supports is not initialised in every runtime we link).
    // SkylakeX kernels need the F, DQ, BW and VL subsets, and the OS must save ZMM state (XCR0).
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) return false;  // OSXSAVE
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0xE6) != 0xE6) return false;  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return false;
    const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
    return (b & f) && (b & dq) && (b & bw) && (b & vl);
#else
    return false;
#endif
}

// OpenBLAS reads these when it starts, and it may start before we load it: FFmpeg's libavfilter pulls it in
// (libsphinxbase needs libblas.so.3, Debian's OpenBLAS), and a replay opens its first video while the model
// loads. So a program sets them first thing in main, while nothing else runs (setenv is not thread-safe), by
// emonet_blas_prepare_environment (emonet and EmoNetBench do); load() does it too, for other hosts. Unless the
// user set them: the AVX-512 kernels where the CPU has them, and one thread per call, since EmoNet parallelises
// over images itself. Set only at load, they came too late for FFmpeg's copy, whose idle thread then spun in
// sched_yield for about a tenth of a second of every run. (Not in a constructor: a setenv before Swift's static
// runtime has found the arguments loses them, so a statically linked emonet saw none.)
static pthread_once_t environment_once = PTHREAD_ONCE_INIT;
static bool threads_given;

static void prepare_environment(void) {
    if (getenv("OPENBLAS_CORETYPE") == NULL && cpu_has_avx512()) {
        setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
        chose_core = true;
    }
    threads_given = getenv("OPENBLAS_NUM_THREADS") != NULL;
    if (!threads_given) setenv("OPENBLAS_NUM_THREADS", "1", 0);
}

void emonet_blas_prepare_environment(void) { pthread_once(&environment_once, prepare_environment); }

bool emonet_blas_threads_given(void) {
    emonet_blas_prepare_environment();
    return threads_given;
}

static void load(void) {
    emonet_blas_prepare_environment();
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
    // OpenBLAS may have started before this process's constructors ran (a host program that loads our code
    // later, with a thread per core); its idle threads then spin between calls, and a batch's jobs queue for its
    // one thread pool (--jobs 2 on two cores ran 1.2-1.5x one job instead of 1.8-1.9x). So one thread here too.
    if (!threads_given && set_threads) set_threads(1);
    load_status = 0;
}

int emonet_blas_load(void) {
    pthread_once(&once, load);
    return load_status;
}

const char *emonet_blas_error(void) { return load_status == 0 ? NULL : error_text; }
const char *emonet_blas_core_name(void) { return corename ? corename() : "unknown"; }
bool emonet_blas_core_was_chosen(void) { return chose_core; }
void emonet_blas_set_threads(int threads) {
    if (set_threads) set_threads(threads);
    emonet_gemm_note_blas_threads(threads);
}
int emonet_blas_threads(void) { return get_threads ? get_threads() : 1; }

void emonet_sgemm(bool transA, bool transB, int M, int N, int K, float alpha,
                  const float *A, int lda, const float *B, int ldb,
                  float beta, float *C, int ldc) {
    sgemm(RowMajor, transA ? Trans : NoTrans, transB ? Trans : NoTrans, M, N, K, alpha, A, lda,
          B, ldb, beta, C, ldc);
}

void emonet_flush_denormals(void) {
#if defined(__x86_64__)
    unsigned csr;
    __asm__ volatile("stmxcsr %0" : "=m"(csr));
    csr |= (1u << 15) | (1u << 6);  // FTZ, DAZ
    __asm__ volatile("ldmxcsr %0" : : "m"(csr));
#endif
}
