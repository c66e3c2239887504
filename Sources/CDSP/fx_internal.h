// Private helpers shared by the effects files: the 4x true-peak interpolator (used by the loudness meter and the
// limiter, so that what the limiter guarantees is exactly what the meter measures) and the K-weighting design.
#ifndef CDSP_FX_INTERNAL_H
#define CDSP_FX_INTERNAL_H

#include <stddef.h>

/// Taps per polyphase branch of the 4x interpolator; branch p (p = 1, 2, 3) estimates x(n + p/4) from
/// x[n - CDSP_TP_HALF + 1 ... n + CDSP_TP_HALF].
#define CDSP_TP_TAPS 12
#define CDSP_TP_HALF (CDSP_TP_TAPS / 2)

typedef struct {
    float c[3][CDSP_TP_TAPS];  ///< branch p-1, tap j applies to x[n - CDSP_TP_HALF + 1 + j]
    float l1;                  ///< largest sum of |c| over the branches: |interpolated| <= l1 * max|x in window|
} cdsp_tp_filter;

/// Kaiser-windowed sinc branches, each normalised to unit DC gain (branch 0 is the sample itself).
void cdsp_tp_filter_init(cdsp_tp_filter *f);

/// Largest |x| over the samples and the three interpolated points between x[i] and x[i+1], for i in [0, count).
/// `x` must be readable from x[-(CDSP_TP_HALF - 1)] to x[count - 1 + CDSP_TP_HALF]. Writes out[i].
void cdsp_tp_interval_peaks(const cdsp_tp_filter *f, const float *x, size_t count, float *out);

/// K-weighting (BS.1770-4) for any sample rate: stage 1 high shelf, stage 2 RLB high-pass.
/// b[3], a[3] with a[0] = 1.
void cdsp_kweight_coefficients(double sample_rate, double shelf_b[3], double shelf_a[3], double hp_b[3],
                               double hp_a[3]);

#endif
