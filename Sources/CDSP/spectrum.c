// Long-term average spectrum in bands: what the master's match EQ measures a mix by (SpectrumMatch.swift).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"
#include "fft_internal.h"

#define LTAS_LOG2 13

/// Hann-windowed 8192-point frames starting every 2 x 8192 samples (every second frame: a long-term average needs a
/// fraction of a song's frames, and the master measures twice), their power spectra summed per bin. The frame
/// being filled is the only audio held.
struct cdsp_band_meter {
    const cdsp_fft_plans *plans;
    float sample_rate;
    int channels;
    size_t position;  // frames added so far
    float *held[2];   // the current frame's samples so far, per channel
    float *frame, *window;
    fftwf_complex *spec;
    double *power;
    size_t count;     // channel frames summed into power
    int finished;
};

enum { LTAS_N = 1 << LTAS_LOG2, LTAS_BINS = LTAS_N / 2 + 1 };

void cdsp_band_meter_destroy(cdsp_band_meter *m) {
    if (!m) return;
    free(m->held[0]);
    free(m->held[1]);
    fftwf_free(m->frame);
    fftwf_free(m->spec);
    free(m->window);
    free(m->power);
    free(m);
}

cdsp_band_meter *cdsp_band_meter_create(float sample_rate, int channels) {
    if (!(sample_rate > 0.0f) || channels < 1 || channels > 2) return NULL;
    const cdsp_fft_plans *plans = cdsp_fft_portable_plans_for(LTAS_LOG2);
    if (!plans) return NULL;
    cdsp_band_meter *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->plans = plans;
    m->sample_rate = sample_rate;
    m->channels = channels;
    m->held[0] = calloc(LTAS_N, sizeof(float));
    m->held[1] = calloc(LTAS_N, sizeof(float));
    m->frame = fftwf_malloc(sizeof(float) * LTAS_N);
    m->spec = fftwf_malloc(sizeof(fftwf_complex) * LTAS_BINS);
    m->power = calloc(LTAS_BINS, sizeof(double));
    m->window = malloc(sizeof(float) * LTAS_N);
    if (!m->held[0] || !m->held[1] || !m->frame || !m->spec || !m->power || !m->window) {
        cdsp_band_meter_destroy(m);
        return NULL;
    }
    for (size_t i = 0; i < LTAS_N; i++) m->window[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)LTAS_N));
    return m;
}

/// Windows and transforms the held frame of each channel (the samples past `filled` as zeros) into the sum.
static void band_meter_frame(cdsp_band_meter *m, size_t filled) {
    for (int c = 0; c < m->channels; c++) {
        const float *x = m->held[c];
        for (size_t i = 0; i < filled; i++) m->frame[i] = x[i] * m->window[i];
        for (size_t i = filled; i < LTAS_N; i++) m->frame[i] = 0.0f;
        fftwf_execute_dft_r2c(m->plans->r2c, m->frame, m->spec);
        for (size_t k = 0; k < LTAS_BINS; k++)
            m->power[k] += (double)m->spec[k][0] * m->spec[k][0] + (double)m->spec[k][1] * m->spec[k][1];
        m->count++;
    }
}

int cdsp_band_meter_add(cdsp_band_meter *m, const float *left, const float *right, size_t frames) {
    if (!m || m->finished || (frames > 0 && (!left || (m->channels == 2 && !right)))) return -1;
    const float *in[2] = {left, right};
    size_t i = 0;
    while (i < frames) {
        size_t phase = m->position % (2 * LTAS_N);
        if (phase >= LTAS_N) {  // between frames: skip to the next frame's start
            size_t skip = 2 * LTAS_N - phase;
            if (skip > frames - i) skip = frames - i;
            i += skip;
            m->position += skip;
            continue;
        }
        size_t n = LTAS_N - phase;
        if (n > frames - i) n = frames - i;
        for (int c = 0; c < m->channels; c++) memcpy(m->held[c] + phase, in[c] + i, n * sizeof(float));
        i += n;
        m->position += n;
        if (phase + n == LTAS_N) band_meter_frame(m, LTAS_N);
    }
    return 0;
}

int cdsp_band_meter_finish(cdsp_band_meter *m, const float *edges, int bands, double *out_db) {
    if (!m || !edges || !out_db || bands < 1) return -1;
    if (!m->finished) {
        size_t phase = m->position % (2 * LTAS_N);
        // A frame begun and not full is zero-padded; a signal shorter than a frame (even empty) is one.
        if ((phase > 0 && phase < LTAS_N) || m->position == 0) band_meter_frame(m, m->position == 0 ? 0 : phase);
        m->finished = 1;
    }
    double hz_per_bin = m->sample_rate / (double)LTAS_N;
    for (int b = 0; b < bands; b++) {
        double sum = 0.0;
        for (size_t k = 1; k < LTAS_BINS; k++) {
            double f = (double)k * hz_per_bin;
            if (f >= edges[b] && f < edges[b + 1]) sum += m->power[k];
        }
        out_db[b] = 10.0 * log10(sum / (double)m->count + 1e-30);
    }
    return 0;
}

int cdsp_band_levels(const float *left, const float *right, size_t frames, float sample_rate, const float *edges,
                     int bands, double *out_db) {
    if (!left || !edges || !out_db || bands < 1 || !(sample_rate > 0.0f)) return -1;
    cdsp_band_meter *m = cdsp_band_meter_create(sample_rate, right ? 2 : 1);
    if (!m) return -1;
    int status = cdsp_band_meter_add(m, left, right, frames);
    if (status == 0) status = cdsp_band_meter_finish(m, edges, bands, out_db);
    cdsp_band_meter_destroy(m);
    return status;
}
