// Private to the C core: FFTW plans shared by every object that transforms (the pitch shifter, the vocoder).
// FFTW's planner is not thread-safe and its execution is, so plans are made once per size under a lock and then
// executed with the new-array API on each object's own fftwf_malloc'd buffers.
#ifndef CDSP_FFT_INTERNAL_H
#define CDSP_FFT_INTERNAL_H

#include <fftw3.h>

#define CDSP_FFT_MAX_LOG2 13  // sizes 2^1 ... 2^13

typedef struct {
    fftwf_plan r2c, c2r;
} cdsp_fft_plans;

/// Real-to-complex and complex-to-real plans of size 2^log2n (FFTW_ESTIMATE, so output bytes never depend on
/// timing), made on first use; NULL when log2n is out of range or FFTW fails.
const cdsp_fft_plans *cdsp_fft_plans_for(int log2n);

/// As cdsp_fft_plans_for, planned with FFTW_NO_SIMD: FFTW's scalar code only, so the output bytes are the same on
/// every x86-64 CPU (the SIMD codelets FFTW picks depend on the CPU's vector units). For the sung vocal, whose
/// render hashes are checked across machines; the pitch shifter keeps the faster plans.
const cdsp_fft_plans *cdsp_fft_portable_plans_for(int log2n);

#endif
