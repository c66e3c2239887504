// Long-term average spectrum in bands: what the master's match EQ measures a mix by (SpectrumMatch.swift).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"
#include "fft_internal.h"

#define LTAS_LOG2 13

int cdsp_band_levels(const float *left, const float *right, size_t frames, float sample_rate, const float *edges,
                     int bands, double *out_db) {
    if (!left || !edges || !out_db || bands < 1 || !(sample_rate > 0.0f)) return -1;
    const cdsp_fft_plans *plans = cdsp_fft_portable_plans_for(LTAS_LOG2);
    if (!plans) return -1;
    const size_t n = (size_t)1 << LTAS_LOG2, bins = n / 2 + 1;
    float *frame = fftwf_malloc(sizeof(float) * n);
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * bins);
    double *power = calloc(bins, sizeof(double));
    float *window = malloc(sizeof(float) * n);
    if (!frame || !spec || !power || !window) {
        fftwf_free(frame);
        fftwf_free(spec);
        free(power);
        free(window);
        return -1;
    }
    for (size_t i = 0; i < n; i++) window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n));
    size_t count = 0;
    const float *channels[2] = {left, right};
    // Every second frame: a long-term average needs a fraction of a song's frames (minutes of them), and the
    // measure runs twice per master.
    for (size_t start = 0; start < frames || count == 0; start += 2 * n) {
        for (int c = 0; c < 2; c++) {
            const float *x = channels[c];
            if (!x) continue;
            size_t avail = start < frames ? frames - start : 0;
            size_t m = avail < n ? avail : n;
            for (size_t i = 0; i < m; i++) frame[i] = x[start + i] * window[i];
            for (size_t i = m; i < n; i++) frame[i] = 0.0f;
            fftwf_execute_dft_r2c(plans->r2c, frame, spec);
            for (size_t k = 0; k < bins; k++) power[k] += (double)spec[k][0] * spec[k][0] + (double)spec[k][1] * spec[k][1];
            count++;
        }
        if (frames - start <= 2 * n) break;
    }
    double hz_per_bin = sample_rate / (double)n;
    for (int b = 0; b < bands; b++) {
        double sum = 0.0;
        for (size_t k = 1; k < bins; k++) {
            double f = (double)k * hz_per_bin;
            if (f >= edges[b] && f < edges[b + 1]) sum += power[k];
        }
        out_db[b] = 10.0 * log10(sum / (double)count + 1e-30);
    }
    fftwf_free(frame);
    fftwf_free(spec);
    free(power);
    free(window);
    return 0;
}
