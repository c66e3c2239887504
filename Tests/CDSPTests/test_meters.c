// The meters fed in pieces (issue 14: the master is measured while it is never whole in memory) give exactly the
// figures of the whole-buffer forms, whatever the pieces' sizes: loudness, true peak, band levels, the DC block and
// the limiter. Exactly: the same doubles, since the delivered master's gain is computed from them.
#include <fftw3.h>
#include <string.h>

#include "cdsp.h"
#include "../../Sources/CDSP/fft_internal.h"
#include "cdsp_test.h"

#define FS 44100.0f

/// 12.3 s of stereo material with a quiet stretch (the relative gate matters), a loud burst with inter-sample
/// peaks, DC and different channels.
static size_t make_signal(float **left, float **right) {
    size_t n = (size_t)(12.3 * FS);
    float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    cdsp_rng rng;
    cdsp_rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / FS;
        double level = t > 3.0 && t < 5.0 ? 0.01 : (t > 8.0 && t < 8.4 ? 1.2 : 0.3);
        l[i] = (float)(level * (0.6 * sin(2 * M_PI * 11025.0 * t + 0.7) + 0.3 * cdsp_rng_bipolar(&rng)) + 0.02);
        r[i] = (float)(level * (0.5 * sin(2 * M_PI * 220.0 * t) + 0.4 * cdsp_rng_bipolar(&rng)));
    }
    *left = l;
    *right = r;
    return n;
}

/// Piece sizes that cross every internal boundary: 1, primes, a 100 ms step, the FFT frame and more.
static const size_t pieces[] = {1, 7, 64, 257, 4410, 4411, 8191, 8192, 8193, 16385, 65536, 100000};
#define PIECES (sizeof(pieces) / sizeof(pieces[0]))

CDSP_TEST(loudness_meter_in_pieces_is_the_whole_figure) {
    float *l, *r;
    size_t n = make_signal(&l, &r);
    double whole;
    CDSP_CHECK(cdsp_loudness_integrated(l, r, n, FS, &whole) == CDSP_OK);
    CDSP_CHECK(whole > -30 && whole < -5);
    for (size_t p = 0; p < PIECES; p++) {
        cdsp_loudness_meter *m = cdsp_loudness_meter_create(FS);
        for (size_t at = 0; at < n; at += pieces[p]) {
            size_t k = n - at < pieces[p] ? n - at : pieces[p];
            CDSP_CHECK(cdsp_loudness_meter_add(m, l + at, r + at, k) == CDSP_OK);
        }
        CDSP_CHECK(cdsp_loudness_meter_integrated(m) == whole);
        cdsp_loudness_meter_destroy(m);
    }
    // Silence has none.
    float z[44100] = {0};
    cdsp_loudness_meter *m = cdsp_loudness_meter_create(FS);
    cdsp_loudness_meter_add(m, z, z, 44100);
    CDSP_CHECK(isinf(cdsp_loudness_meter_integrated(m)));
    cdsp_loudness_meter_destroy(m);
    free(l);
    free(r);
}

CDSP_TEST(true_peak_meter_in_pieces_is_the_whole_figure) {
    float *l, *r;
    size_t n = make_signal(&l, &r);
    double whole;
    CDSP_CHECK(cdsp_true_peak(l, r, n, FS, &whole) == CDSP_OK);
    CDSP_CHECK(whole > 0.5);  // the burst's 11 kHz sine peaks between samples
    for (size_t p = 0; p < PIECES; p++) {
        cdsp_true_peak_meter *m = cdsp_true_peak_meter_create();
        for (size_t at = 0; at < n; at += pieces[p]) {
            size_t k = n - at < pieces[p] ? n - at : pieces[p];
            CDSP_CHECK(cdsp_true_peak_meter_add(m, l + at, r + at, k) == CDSP_OK);
        }
        double got;
        CDSP_CHECK(cdsp_true_peak_meter_finish(m, &got) == CDSP_OK);
        CDSP_CHECK(got == whole);
        cdsp_true_peak_meter_destroy(m);
    }
    // The last sample alone: the zeros after the signal are part of the measure, as in the whole form.
    float tail[3] = {0, 0, 0.9f};
    double a, b;
    cdsp_true_peak(tail, tail, 3, FS, &a);
    cdsp_true_peak_meter *m = cdsp_true_peak_meter_create();
    cdsp_true_peak_meter_add(m, tail, tail, 3);
    cdsp_true_peak_meter_finish(m, &b);
    CDSP_CHECK(a == b);
    cdsp_true_peak_meter_destroy(m);
    free(l);
    free(r);
}

/// The band levels as computed before the meter existed (every second 8192-point Hann frame of the whole buffer),
/// kept here as the reference.
static void reference_band_levels(const float *l, const float *r, size_t frames, const float *edges, int bands,
                                  double *out) {
    const size_t n = 8192, bins = n / 2 + 1;
    float *frame = malloc(n * sizeof(float));
    double *power = calloc(bins, sizeof(double));
    fftwf_complex *spec = fftwf_malloc(sizeof(fftwf_complex) * bins);
    const cdsp_fft_plans *plans = cdsp_fft_portable_plans_for(13);  // the core's plans: the same arithmetic
    size_t count = 0;
    const float *ch[2] = {l, r};
    for (size_t start = 0; start < frames || count == 0; start += 2 * n) {
        for (int c = 0; c < 2; c++) {
            size_t avail = start < frames ? frames - start : 0, m = avail < n ? avail : n;
            for (size_t i = 0; i < m; i++)
                frame[i] = ch[c][start + i] * (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)n));
            for (size_t i = m; i < n; i++) frame[i] = 0.0f;
            fftwf_execute_dft_r2c(plans->r2c, frame, spec);
            for (size_t k = 0; k < bins; k++) power[k] += (double)spec[k][0] * spec[k][0] + (double)spec[k][1] * spec[k][1];
            count++;
        }
        if (frames - start <= 2 * n) break;
    }
    for (int b = 0; b < bands; b++) {
        double sum = 0.0;
        for (size_t k = 1; k < bins; k++) {
            double f = (double)k * FS / (double)n;
            if (f >= edges[b] && f < edges[b + 1]) sum += power[k];
        }
        out[b] = 10.0 * log10(sum / (double)count + 1e-30);
    }
    fftwf_free(spec);
    free(power);
    free(frame);
}

CDSP_TEST(band_meter_in_pieces_is_the_whole_figure) {
    float *l, *r;
    size_t n = make_signal(&l, &r);
    const float edges[] = {44, 88, 177, 355, 710, 1420, 2840, 5680, 11360, 22000};
    enum { BANDS = 9 };
    // Lengths ending inside a frame, between frames, exactly at a frame's end, and shorter than one.
    const size_t lengths[] = {n, 16384 * 3 + 100, 16384 * 3 + 9000, 16384 * 3 + 8192, 5000};
    for (size_t li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++) {
        size_t len = lengths[li];
        double whole[BANDS], ref[BANDS];
        CDSP_CHECK(cdsp_band_levels(l, r, len, FS, edges, BANDS, whole) == 0);
        reference_band_levels(l, r, len, edges, BANDS, ref);
        int former = 1;
        for (int b = 0; b < BANDS; b++) former &= whole[b] == ref[b];
        CDSP_CHECK(former);
        for (size_t p = 0; p < PIECES; p++) {
            cdsp_band_meter *m = cdsp_band_meter_create(FS, 2);
            for (size_t at = 0; at < len; at += pieces[p]) {
                size_t k = len - at < pieces[p] ? len - at : pieces[p];
                CDSP_CHECK(cdsp_band_meter_add(m, l + at, r + at, k) == 0);
            }
            double got[BANDS];
            CDSP_CHECK(cdsp_band_meter_finish(m, edges, BANDS, got) == 0);
            int same = 1;
            for (int b = 0; b < BANDS; b++) same &= got[b] == whole[b];
            CDSP_CHECK(same);
            cdsp_band_meter_destroy(m);
        }
    }
    free(l);
    free(r);
}

CDSP_TEST(dc_block_and_limiter_in_pieces_are_the_whole_signal) {
    float *l, *r;
    size_t n = make_signal(&l, &r);
    float *wl = malloc(n * sizeof(float)), *wr = malloc(n * sizeof(float));
    float *pl = malloc(n * sizeof(float)), *pr = malloc(n * sizeof(float));
    memcpy(wl, l, n * sizeof(float));
    memcpy(wr, r, n * sizeof(float));
    cdsp_dc_block(wl, n, FS);
    cdsp_dc_block(wr, n, FS);
    cdsp_limiter *whole = cdsp_limiter_create(FS, 0.005f);
    cdsp_limiter_set(whole, -2.3f, 0.12f);
    cdsp_limiter_process(whole, wl, wr, n);
    for (size_t p = 0; p < PIECES; p++) {
        memcpy(pl, l, n * sizeof(float));
        memcpy(pr, r, n * sizeof(float));
        double sl[2] = {0, 0}, sr[2] = {0, 0};
        cdsp_limiter *lim = cdsp_limiter_create(FS, 0.005f);
        cdsp_limiter_set(lim, -2.3f, 0.12f);
        for (size_t at = 0; at < n; at += pieces[p]) {
            size_t k = n - at < pieces[p] ? n - at : pieces[p];
            cdsp_dc_block_run(pl + at, k, FS, sl);
            cdsp_dc_block_run(pr + at, k, FS, sr);
            cdsp_limiter_process(lim, pl + at, pr + at, k);
        }
        CDSP_CHECK(memcmp(pl, wl, n * sizeof(float)) == 0 && memcmp(pr, wr, n * sizeof(float)) == 0);
        cdsp_limiter_destroy(lim);
    }
    cdsp_limiter_destroy(whole);
    free(wl); free(wr); free(pl); free(pr); free(l); free(r);
}

int main(void) {
    CDSP_RUN(loudness_meter_in_pieces_is_the_whole_figure);
    CDSP_RUN(true_peak_meter_in_pieces_is_the_whole_figure);
    CDSP_RUN(band_meter_in_pieces_is_the_whole_figure);
    CDSP_RUN(dc_block_and_limiter_in_pieces_are_the_whole_signal);
    CDSP_TEST_END();
}
