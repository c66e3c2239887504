// The pitch shifter, checked by measured properties: the fundamental of a shifted harmonic tone (cents), the
// identity error at 0 semitones (dB), the position of a formant peak after a formant-only shift, click timing,
// determinism across block sizes and threads, finite output.
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp.h"
#include "cdsp_test.h"

static const float FS = 44100.0f;

/// Vowel-like envelope (/a/: 700, 1220, 2600 Hz) or a single resonance when `single` > 0 (its centre in Hz).
static double envelope(double f, double single) {
    if (single > 0) return 1.0 / (1.0 + pow((f - single) / 250.0, 2.0)) + 0.02;
    return 1.0 / (1.0 + pow((f - 700.0) / 130.0, 2.0)) + 0.5 / (1.0 + pow((f - 1220.0) / 90.0, 2.0)) +
           0.2 / (1.0 + pow((f - 2600.0) / 160.0, 2.0)) + 0.01;
}

/// `count` harmonics of f0 under the envelope, optional vibrato (Hz rate, cents depth), peak about 0.5.
static float *harmonic_tone(size_t frames, double f0, int count, double single, double vib_rate, double vib_cents) {
    float *x = calloc(frames, sizeof(float));
    double phase = 0;
    double amps[64];
    double norm = 0;
    for (int h = 1; h <= count; h++) norm += amps[h - 1] = envelope(f0 * h, single);
    for (size_t i = 0; i < frames; i++) {
        double t = (double)i / FS;
        double f = f0 * pow(2.0, vib_cents * sin(2 * M_PI * vib_rate * t) / 1200.0);
        phase += 2 * M_PI * f / FS;
        double v = 0;
        for (int h = 1; h <= count; h++) {
            if (f0 * h > FS * 0.45) break;
            v += amps[h - 1] * sin(h * phase + 0.3 * h * h);
        }
        x[i] = (float)(0.5 * v / norm * 2.0);
    }
    return x;
}

/// Hann-windowed DFT magnitude of x[start ..< start+len] at frequency f.
static double dft_mag(const float *x, size_t start, size_t len, double f) {
    double re = 0, im = 0;
    double w = 2 * M_PI * f / FS;
    for (size_t i = 0; i < len; i++) {
        double win = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)len);
        re += win * x[start + i] * cos(w * (double)i);
        im -= win * x[start + i] * sin(w * (double)i);
    }
    return sqrt(re * re + im * im);
}

/// Frequency of the strongest component within guess +- span Hz: a coarse scan, then golden-section refinement.
static double peak_frequency(const float *x, size_t start, size_t len, double guess, double span) {
    double best = guess, bestm = -1;
    for (double f = guess - span; f <= guess + span; f += 0.25) {
        double m = dft_mag(x, start, len, f);
        if (m > bestm) bestm = m, best = f;
    }
    double a = best - 0.25, b = best + 0.25;
    const double g = 0.6180339887;
    for (int it = 0; it < 30; it++) {
        double c = b - g * (b - a), d = a + g * (b - a);
        if (dft_mag(x, start, len, c) > dft_mag(x, start, len, d)) b = d; else a = c;
    }
    return 0.5 * (a + b);
}

static double cents(double f, double ref) { return 1200.0 * log2(f / ref); }

/// Formant centre of a harmonic signal: the harmonic amplitudes in dB, the strongest one, a parabola through it
/// and its neighbours (in frequency).
static double formant_peak(const float *x, size_t start, size_t len, double f0, int count) {
    double amp[80];
    int best = 1;
    for (int h = 1; h <= count; h++) {
        amp[h] = 20 * log10(dft_mag(x, start, len, f0 * h) + 1e-12);
        if (amp[h] > amp[best]) best = h;
    }
    if (best == 1 || best == count) return f0 * best;
    double a = amp[best - 1], m = amp[best], c = amp[best + 1];
    double off = 0.5 * (a - c) / (a - 2 * m + c);
    return f0 * (best + off);
}

CDSP_TEST(shifted_tone_hits_target_f0) {
    size_t n = (size_t)(FS * 1.5);
    float *x = harmonic_tone(n, 220.0, 20, 0, 0, 0);
    float *y = malloc(n * sizeof(float));
    const float shifts[2] = {4.0f, -5.0f};
    for (int i = 0; i < 2; i++) {
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, shifts[i], 0.0f, y) == CDSP_OK);
        double target = 220.0 * pow(2.0, shifts[i] / 12.0);
        double f = peak_frequency(y, (size_t)(FS * 0.4), (size_t)FS, target, 6.0);
        double err = cents(f, target);
        printf("  shift %+.0f: f0 %.3f Hz, target %.3f, error %.3f cents\n", shifts[i], f, target, err);
        CDSP_CHECK(fabs(err) <= 1.5);
        // the second and fifth harmonics follow
        double f2 = peak_frequency(y, (size_t)(FS * 0.4), (size_t)FS, 2 * target, 6.0);
        double f5 = peak_frequency(y, (size_t)(FS * 0.4), (size_t)FS, 5 * target, 6.0);
        CDSP_CHECK(fabs(cents(f2, 2 * target)) <= 1.5);
        CDSP_CHECK(fabs(cents(f5, 5 * target)) <= 1.5);
    }
    free(x);
    free(y);
}

/// Formant preservation on the vowel tone with 5.5 Hz +-30 cent vibrato: every 4096-sample frame, the output's
/// harmonics (at the shifted, measured f0) are read against the true envelope at their frequencies; the RMS of
/// the dB differences (150...3000 Hz, overall gain removed) is the envelope error. Also the f0 track error.
static void envelope_and_f0_error(const float *x, const float *y, size_t n, double ratio, double *env_err,
                                  double *f0_err) {
    double d[400];
    int count = 0, frames = 0;
    double mae = 0;
    for (size_t s = (size_t)(FS * 0.3); s + 4096 < n; s += 4096) {
        double t = (double)(s + 2048) / FS;
        double guess = 220.0 * pow(2.0, 30.0 * sin(2 * M_PI * 5.5 * t) / 1200.0);
        double fi = peak_frequency(x, s, 2048, guess, 3.0);
        double fo = peak_frequency(y, s, 2048, fi * ratio, 3.0);
        mae += fabs(cents(fo, fi * ratio));
        frames++;
        for (int h = 1; h <= 20 && count < 400; h++) {
            double f = fi * ratio * h;
            if (f < 150.0 || f > 3000.0) continue;
            d[count++] = 20 * log10(dft_mag(y, s, 4096, f) + 1e-9) - 20 * log10(envelope(f, 0));
        }
    }
    double mean = 0, var = 0;
    for (int i = 0; i < count; i++) mean += d[i] / count;
    for (int i = 0; i < count; i++) var += (d[i] - mean) * (d[i] - mean) / count;
    *env_err = sqrt(var);
    *f0_err = mae / frames;
}

CDSP_TEST(formants_kept_on_vibrato_tone) {
    size_t n = (size_t)(FS * 1.5);
    float *x = harmonic_tone(n, 220.0, 20, 0, 5.5, 30.0);
    float *y = malloc(n * sizeof(float));
    const float shifts[2] = {4.0f, -5.0f};
    for (int i = 0; i < 2; i++) {
        double ratio = pow(2.0, shifts[i] / 12.0), kept, plain, f0e, unused;
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, shifts[i], 0.0f, y) == CDSP_OK);
        envelope_and_f0_error(x, y, n, ratio, &kept, &f0e);
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, shifts[i], shifts[i], y) == CDSP_OK);  // formants follow the pitch
        envelope_and_f0_error(x, y, n, ratio, &plain, &unused);
        printf("  shift %+.0f: envelope error %.2f dB kept, %.2f dB plain; f0 error %.2f cents\n", shifts[i], kept,
               plain, f0e);
        // on 30 s of this tone Rubber Band 3.1.2 R3 -F scores 2.7 / 3.7 dB by this measure (1.6 / 1.7 for a
        // perfect resynthesis: the vibrato's own level changes); 1.5 s here reads a few tenths higher
        CDSP_CHECK(kept <= 3.5);
        CDSP_CHECK(plain >= 2.5 * kept);
        CDSP_CHECK(f0e <= 1.5);
    }
    free(x);
    free(y);
}

/// Harmonic-to-residual ratio (dB) of x[start ..< start + 2^16]: energy within 4 Hz of a multiple of f0 against
/// everything else (phasiness, smearing and frame-rate modulation all land in the residual).
static double harmonic_purity(const float *x, size_t start, double f0) {
    const int n = 1 << 16;
    float *b = fftwf_malloc(sizeof(float) * n);
    fftwf_complex *c = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
    fftwf_plan p = fftwf_plan_dft_r2c_1d(n, b, c, FFTW_ESTIMATE);
    for (int i = 0; i < n; i++) b[i] = x[start + i] * (float)(0.5 - 0.5 * cos(2 * M_PI * i / n));
    fftwf_execute(p);
    double harmonic = 0, total = 0;
    for (int k = 1; k <= n / 2; k++) {
        double e = (double)c[k][0] * c[k][0] + (double)c[k][1] * c[k][1], m = k * (double)FS / n / f0;
        total += e;
        if (round(m) >= 1 && fabs(m - round(m)) * f0 < 4.0) harmonic += e;
    }
    fftwf_destroy_plan(p);
    fftwf_free(b);
    fftwf_free(c);
    return 10 * log10(harmonic / (total - harmonic));
}

CDSP_TEST(shifted_tone_stays_clean) {
    size_t n = (size_t)(FS * 2.2);
    float *x = harmonic_tone(n, 220.0, 20, 0, 0, 0);
    float *y = malloc(n * sizeof(float));
    double in = harmonic_purity(x, (size_t)(FS * 0.4), 220.0);
    const float shifts[2] = {4.0f, -5.0f};
    for (int i = 0; i < 2; i++) {
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, shifts[i], 0.0f, y) == CDSP_OK);
        double out = harmonic_purity(y, (size_t)(FS * 0.4), 220.0 * pow(2.0, shifts[i] / 12.0));
        // Rubber Band 3.1.2 R3 -F reads 26 / 29 dB on this tone (measured with the same method, 3 s)
        printf("  shift %+.0f: harmonic-to-residual %.1f dB (input %.1f dB)\n", shifts[i], out, in);
        CDSP_CHECK(out >= 35.0);
    }
    free(x);
    free(y);
}

CDSP_TEST(zero_shift_returns_input) {
    size_t n = (size_t)(FS * 3.0);
    float *x = harmonic_tone(n, 180.0, 20, 0, 5.5, 30.0);
    float *y = malloc(n * sizeof(float));
    CDSP_CHECK(cdsp_pitch_shift(x, n, FS, 0.0f, 0.0f, y) == CDSP_OK);
    double e = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        e += (double)(y[i] - x[i]) * (y[i] - x[i]);
        s += (double)x[i] * x[i];
    }
    double db = 10 * log10(e / s);
    // and no drift: the last quarter is as exact as the whole (phases carried frame to frame do not wander)
    double e4 = 0, s4 = 0;
    for (size_t i = n - n / 4; i < n; i++) {
        e4 += (double)(y[i] - x[i]) * (y[i] - x[i]);
        s4 += (double)x[i] * x[i];
    }
    double db4 = 10 * log10(e4 / s4);
    printf("  identity error %.1f dB, last quarter %.1f dB\n", db, db4);
    CDSP_CHECK(db <= -50.0);
    CDSP_CHECK(db4 <= -100.0);
    free(x);
    free(y);
}

CDSP_TEST(formant_only_shift_moves_the_peak) {
    size_t n = (size_t)(FS * 1.2);
    const double f0 = 110.0, centre = 1000.0;
    float *x = harmonic_tone(n, f0, 60, centre, 0, 0);
    float *y = malloc(n * sizeof(float));
    size_t start = (size_t)(FS * 0.3), len = (size_t)(FS * 0.8);
    double in_peak = formant_peak(x, start, len, f0, 40);
    const float shifts[2] = {3.0f, -3.0f};
    for (int i = 0; i < 2; i++) {
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, 0.0f, shifts[i], y) == CDSP_OK);
        double out_peak = formant_peak(y, start, len, f0, 40);
        double ratio = out_peak / in_peak, want = pow(2.0, shifts[i] / 12.0);
        double f = peak_frequency(y, start, len, f0, 4.0);
        printf("  formant %+.0f: peak %.1f -> %.1f Hz (ratio %.3f, want %.3f), f0 error %.3f cents\n", shifts[i],
               in_peak, out_peak, ratio, want, cents(f, f0));
        CDSP_CHECK(fabs(ratio / want - 1.0) <= 0.10);
        CDSP_CHECK(fabs(cents(f, f0)) <= 2.0);
    }
    // both at once: pitch +4, formants -2 (a lower, darker voice that sings higher)
    CDSP_CHECK(cdsp_pitch_shift(x, n, FS, 4.0f, -2.0f, y) == CDSP_OK);
    double f0_out = f0 * pow(2.0, 4.0 / 12.0);
    double out_peak = formant_peak(y, start, len, f0_out, 30);
    double f = peak_frequency(y, start, len, f0_out, 4.0);
    printf("  pitch +4, formant -2: peak %.1f Hz (want %.1f), f0 error %.3f cents\n", out_peak,
           in_peak * pow(2.0, -2.0 / 12.0), cents(f, f0_out));
    CDSP_CHECK(fabs(out_peak / (in_peak * pow(2.0, -2.0 / 12.0)) - 1.0) <= 0.10);
    CDSP_CHECK(fabs(cents(f, f0_out)) <= 1.5);
    free(x);
    free(y);
}

CDSP_TEST(clicks_stay_in_place) {
    size_t n = (size_t)(FS * 2.0);
    float *x = calloc(n, sizeof(float));
    float *y = malloc(n * sizeof(float));
    size_t period = (size_t)(FS * 0.25);
    for (size_t c = period / 2; c < n; c += period)
        for (int i = 0; i < 64; i++) x[c + i] = (float)(0.8 * exp(-i / 12.0) * (i % 2 ? -1 : 1));
    CDSP_CHECK(cdsp_pitch_shift(x, n, FS, 5.0f, 0.0f, y) == CDSP_OK);
    size_t w10 = (size_t)(FS * 0.010);
    double worst_share = 1, worst_offset = 0;
    for (size_t c = period / 2 + period; c + period / 2 < n; c += period) {
        double near = 0, all = 0, centroid = 0;
        for (size_t i = c - period / 2; i < c + period / 2; i++) {
            double e = (double)y[i] * y[i];
            all += e;
            if (i + w10 >= c && i <= c + w10) near += e;
            centroid += e * ((double)i - (double)c);
        }
        double share = near / all, offset = centroid / all / FS * 1000.0;
        if (share < worst_share) worst_share = share;
        if (fabs(offset) > fabs(worst_offset)) worst_offset = offset;
    }
    printf("  clicks: worst energy share within 10 ms %.3f, worst centroid offset %.2f ms\n", worst_share,
           worst_offset);
    CDSP_CHECK(worst_share >= 0.9);
    CDSP_CHECK(fabs(worst_offset) <= 10.0);
    free(x);
    free(y);
}

/// Noise, silence, a loud tone: same bytes from the whole-buffer helper and from odd-sized streaming blocks.
static float *mixed_signal(size_t n) {
    float *x = harmonic_tone(n, 150.0, 30, 0, 5.0, 40.0);
    cdsp_rng rng;
    cdsp_rng_seed(&rng, 7);
    for (size_t i = 0; i < n / 3; i++) x[i] = 0.3f * cdsp_rng_bipolar(&rng);
    for (size_t i = n / 3; i < n / 2; i++) x[i] = 0.0f;
    return x;
}

CDSP_TEST(deterministic_and_block_size_independent) {
    size_t n = (size_t)(FS * 1.0);
    float *x = mixed_signal(n);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
    CDSP_CHECK(cdsp_pitch_shift(x, n, FS, -7.0f, 2.0f, a) == CDSP_OK);
    CDSP_CHECK(cdsp_pitch_shift(x, n, FS, -7.0f, 2.0f, b) == CDSP_OK);
    CDSP_CHECK(memcmp(a, b, n * sizeof(float)) == 0);
    // streaming in blocks of 1, 37, 500, ... gives the same samples, delayed by the reported latency
    cdsp_shifter *s = cdsp_shifter_create(FS);
    CDSP_CHECK(s != NULL);
    CDSP_CHECK(cdsp_shifter_set(s, -7.0f, 2.0f) == CDSP_OK);
    size_t lat = cdsp_shifter_latency(s);
    float *c = malloc((n + lat) * sizeof(float));
    float *xin = calloc(n + lat, sizeof(float));
    memcpy(xin, x, n * sizeof(float));
    const size_t sizes[4] = {1, 37, 500, 4099};
    for (size_t pos = 0, k = 0; pos < n + lat; k++) {
        size_t m = sizes[k % 4];
        if (m > n + lat - pos) m = n + lat - pos;
        cdsp_shifter_process(s, xin + pos, m, c + pos);
        pos += m;
    }
    CDSP_CHECK(memcmp(c + lat, a, n * sizeof(float)) == 0);
    // the input, then the latency flushed in uneven calls: the same samples
    cdsp_shifter_reset(s);
    cdsp_shifter_process(s, x, n, c);
    for (size_t pos = n, k = 0; pos < n + lat; k++) {
        size_t m = sizes[k % 4];
        if (m > n + lat - pos) m = n + lat - pos;
        cdsp_shifter_flush(s, m, c + pos);
        pos += m;
    }
    CDSP_CHECK(memcmp(c + lat, a, n * sizeof(float)) == 0);
    // reset gives a fresh start
    cdsp_shifter_reset(s);
    cdsp_shifter_process(s, xin, n + lat, c);
    CDSP_CHECK(memcmp(c + lat, a, n * sizeof(float)) == 0);
    cdsp_shifter_destroy(s);
    free(c);
    free(xin);
    free(x);
    free(a);
    free(b);
}

CDSP_TEST(output_is_finite_at_extreme_settings) {
    size_t n = (size_t)(FS * 0.6);
    float *x = mixed_signal(n);
    x[n - 10] = 1e6f;  // a wild sample
    float *y = malloc(n * sizeof(float));
    const float settings[4][2] = {{24, 0}, {-24, 0}, {12, -12}, {-12, 24}};
    for (int k = 0; k < 4; k++) {
        CDSP_CHECK(cdsp_pitch_shift(x, n, FS, settings[k][0], settings[k][1], y) == CDSP_OK);
        int finite = 1;
        for (size_t i = 0; i < n; i++) finite &= isfinite(y[i]);
        CDSP_CHECK(finite);
    }
    free(x);
    free(y);
}

CDSP_TEST(rejects_bad_arguments) {
    CDSP_CHECK(cdsp_shifter_create(1000.0f) == NULL);
    CDSP_CHECK(cdsp_shifter_create(NAN) == NULL);
    cdsp_shifter *s = cdsp_shifter_create(48000.0f);
    CDSP_CHECK(s != NULL);
    CDSP_CHECK(cdsp_shifter_set(s, 30.0f, 0.0f) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_set(s, 0.0f, NAN) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_latency(s) == 2048);
    cdsp_shifter_destroy(s);
    float z[4] = {0};
    CDSP_CHECK(cdsp_pitch_shift(z, 4, 100.0f, 0, 0, z) == CDSP_ERR_ARGUMENT);
}

typedef struct {
    const float *x;
    size_t n;
    float *y;
} job;

static void *run_job(void *arg) {
    job *j = arg;
    cdsp_pitch_shift(j->x, j->n, FS, 3.0f, 0.0f, j->y);
    return NULL;
}

CDSP_TEST(instances_on_threads_match_sequential) {
    size_t n = (size_t)(FS * 0.5);
    float *x = mixed_signal(n);
    float *ref = malloc(n * sizeof(float));
    cdsp_pitch_shift(x, n, FS, 3.0f, 0.0f, ref);
    job jobs[3];
    pthread_t threads[3];
    for (int t = 0; t < 3; t++) {
        jobs[t] = (job){x, n, malloc(n * sizeof(float))};
        pthread_create(&threads[t], NULL, run_job, &jobs[t]);
    }
    for (int t = 0; t < 3; t++) {
        pthread_join(threads[t], NULL);
        CDSP_CHECK(memcmp(jobs[t].y, ref, n * sizeof(float)) == 0);
        free(jobs[t].y);
    }
    free(x);
    free(ref);
}

/// Vibrato and breath: bad values refused; with both on, a reset replays the same bytes (the breath generator
/// restarts from its seed), another seed gives other bytes, and breath 0 with depth 0 equals the plain shift.
CDSP_TEST(vibrato_and_breath_are_seeded_and_checked) {
    cdsp_shifter *s = cdsp_shifter_create(FS);
    CDSP_CHECK(s != NULL);
    CDSP_CHECK(cdsp_shifter_set_vibrato(s, 25.0f, 30.0f) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_set_vibrato(s, 5.0f, -1.0f) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_set_vibrato(s, NAN, 10.0f) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_set_breath(s, 1.5f, 1) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_shifter_set_breath(s, NAN, 1) == CDSP_ERR_ARGUMENT);
    size_t n = (size_t)(FS * 0.5);
    float *x = mixed_signal(n);
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)), *c = malloc(n * sizeof(float));
    CDSP_CHECK(cdsp_shifter_set(s, 2.0f, 0.0f) == CDSP_OK);
    CDSP_CHECK(cdsp_shifter_set_vibrato(s, 5.5f, 40.0f) == CDSP_OK);
    CDSP_CHECK(cdsp_shifter_set_breath(s, 0.4f, 99) == CDSP_OK);
    cdsp_shifter_process(s, x, n, a);
    cdsp_shifter_reset(s);
    cdsp_shifter_process(s, x, n, b);
    CDSP_CHECK(memcmp(a, b, n * sizeof(float)) == 0);
    CDSP_CHECK(cdsp_shifter_set_breath(s, 0.4f, 100) == CDSP_OK);
    cdsp_shifter_reset(s);
    cdsp_shifter_process(s, x, n, b);
    CDSP_CHECK(memcmp(a, b, n * sizeof(float)) != 0);
    // both off: the plain shifter's samples
    CDSP_CHECK(cdsp_shifter_set_breath(s, 0.0f, 100) == CDSP_OK);
    CDSP_CHECK(cdsp_shifter_set_vibrato(s, 5.5f, 0.0f) == CDSP_OK);
    cdsp_shifter_reset(s);
    cdsp_shifter_process(s, x, n, b);
    cdsp_shifter *plain = cdsp_shifter_create(FS);
    CDSP_CHECK(cdsp_shifter_set(plain, 2.0f, 0.0f) == CDSP_OK);
    cdsp_shifter_process(plain, x, n, c);
    CDSP_CHECK(memcmp(b, c, n * sizeof(float)) == 0);
    int finite = 1;
    for (size_t i = 0; i < n; i++) finite &= isfinite(a[i]);
    CDSP_CHECK(finite);
    cdsp_shifter_destroy(plain);
    cdsp_shifter_destroy(s);
    free(x);
    free(a);
    free(b);
    free(c);
}

int main(void) {
    CDSP_RUN(shifted_tone_hits_target_f0);
    CDSP_RUN(formants_kept_on_vibrato_tone);
    CDSP_RUN(shifted_tone_stays_clean);
    CDSP_RUN(zero_shift_returns_input);
    CDSP_RUN(formant_only_shift_moves_the_peak);
    CDSP_RUN(clicks_stay_in_place);
    CDSP_RUN(deterministic_and_block_size_independent);
    CDSP_RUN(output_is_finite_at_extreme_settings);
    CDSP_RUN(rejects_bad_arguments);
    CDSP_RUN(instances_on_threads_match_sequential);
    CDSP_RUN(vibrato_and_breath_are_seeded_and_checked);
    CDSP_TEST_END();
}
