// The shared FFTW plan cache (fft_internal.h).
#include <pthread.h>

#include "fft_internal.h"

static pthread_mutex_t plan_lock = PTHREAD_MUTEX_INITIALIZER;
static cdsp_fft_plans plan_cache[2][CDSP_FFT_MAX_LOG2 + 1];

static const cdsp_fft_plans *plans(int log2n, int portable) {
    if (log2n < 1 || log2n > CDSP_FFT_MAX_LOG2) return NULL;
    unsigned flags = FFTW_ESTIMATE | (portable ? FFTW_NO_SIMD : 0);
    pthread_mutex_lock(&plan_lock);
    cdsp_fft_plans *p = &plan_cache[portable][log2n];
    if (!p->r2c) {
        int n = 1 << log2n;
        float *re = fftwf_malloc(sizeof(float) * (size_t)n);
        fftwf_complex *c = fftwf_malloc(sizeof(fftwf_complex) * (size_t)(n / 2 + 1));
        if (re && c) {
            p->r2c = fftwf_plan_dft_r2c_1d(n, re, c, flags);
            p->c2r = fftwf_plan_dft_c2r_1d(n, c, re, flags);
        }
        fftwf_free(re);
        fftwf_free(c);
    }
    const cdsp_fft_plans *result = (p->r2c && p->c2r) ? p : NULL;
    pthread_mutex_unlock(&plan_lock);
    return result;
}

const cdsp_fft_plans *cdsp_fft_plans_for(int log2n) { return plans(log2n, 0); }

const cdsp_fft_plans *cdsp_fft_portable_plans_for(int log2n) { return plans(log2n, 1); }
