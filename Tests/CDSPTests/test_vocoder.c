// The singing vocoder, checked by measured properties on hand-made parameter frames (flite slt's constants:
// 16 kHz, alpha 0.42, 5 ms frames): the pitch of the output follows the f0 curve (autocorrelation, within 3 cents,
// a glide too); the level is the one flite's vocoder gives (unit-power pulses or noise through exp(c0) * gain on the
// 16-bit scale, at any output rate); harmonic levels follow the mel-cepstral envelope (beta 0); nothing above the
// band edge; the formant shift moves the envelope peak by its ratio; unvoiced frames are not periodic; a voiced
// hop has no noise under its fundamental; the time map is followed; same seed, same samples.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp.h"
#include "cdsp_test.h"

#define CH 26  // f0 + 25 mel-cepstral coefficients, as flite's clustergen voices

static cdsp_vocoder_voice voice(float beta) {
    cdsp_vocoder_voice v = {16000.0f, 0.005f, 0.42f, beta, 1.5f, 0, 0, NULL};
    return v;
}

/// `count` frames with f0 column `f0` (0: unvoiced) and the given leading cepstral coefficients (rest 0).
static float *frames(size_t count, float f0, const float *cep, int ncep) {
    float *f = calloc(count * CH, sizeof(float));
    for (size_t i = 0; i < count; i++) {
        f[i * CH] = f0;
        for (int c = 0; c < ncep; c++) f[i * CH + 1 + (size_t)c] = cep[c];
    }
    return f;
}

/// Renders `seconds` at `rate` with an identity time map (output second s plays source second s).
static float *render(cdsp_vocoder *v, const float *fr, size_t count, const float *f0, float rate, double seconds,
                     uint64_t seed, size_t *n_out) {
    size_t n = (size_t)(seconds * rate);
    double map_out[2] = {0, (double)n}, map_src[2] = {0, seconds};
    float *out = calloc(n, sizeof(float));
    CDSP_CHECK(cdsp_vocoder_render(v, fr, count, NULL, map_out, map_src, 2, f0, seed, out, n) == CDSP_OK);
    *n_out = n;
    return out;
}

static double rms(const float *x, size_t a, size_t b) {
    double e = 0;
    for (size_t i = a; i < b; i++) e += (double)x[i] * x[i];
    return sqrt(e / (double)(b - a));
}

/// f0 of x[start ..< start + len] by normalised autocorrelation between lags lo and hi, parabola-refined.
static double pitch(const float *x, size_t start, size_t len, double rate, int lo, int hi, double *peak) {
    double best = -2, r[4096];
    int at = lo;
    for (int lag = lo - 1; lag <= hi + 1; lag++) {
        double acc = 0, e0 = 0, e1 = 0;
        for (size_t i = 0; i < len; i++) {
            acc += (double)x[start + i] * x[start + i + (size_t)lag];
            e0 += (double)x[start + i] * x[start + i];
            e1 += (double)x[start + i + (size_t)lag] * x[start + i + (size_t)lag];
        }
        r[lag] = acc / sqrt(e0 * e1 + 1e-30);
        if (lag >= lo && lag <= hi && r[lag] > best) best = r[lag], at = lag;
    }
    double a = r[at - 1], b = r[at], c = r[at + 1], d = a - 2 * b + c;
    *peak = best;
    return rate / (at + (d < 0 ? 0.5 * (a - c) / d : 0));
}

static double cents(double f, double ref) { return 1200.0 * log2(f / ref); }

CDSP_TEST(follows_the_f0_curve) {
    const float cep[] = {6.0f, 0.8f, -0.2f, 0.3f};
    float *fr = frames(400, 120.0f, cep, 4);  // the source's own f0 (120) is only its voicing
    cdsp_vocoder_voice vv = voice(0.4f);
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, 44100.0f, 0.0f);
    CDSP_CHECK(v != NULL);
    size_t n = 44100 * 2;
    float *f0 = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) f0[i] = i < n / 2 ? 220.0f : 220.0f * powf(2.0f, 7.0f / 12.0f * (float)(i - n / 2) / (float)(n / 2));
    float *out = render(v, fr, 400, f0, 44100.0f, 2.0, 1, &n);
    double peak = 0;
    double f = pitch(out, 20000, 4096, 44100, 120, 300, &peak);
    CDSP_CHECK_NEAR(cents(f, 220.0), 0, 3);
    CDSP_CHECK(peak > 0.9);
    // On the glide: the pitch at its middle (a 4096-sample window centred on sample 1.5 s).
    size_t mid = n / 2 + n / 4;
    f = pitch(out, mid - 2048, 4096, 44100, 100, 300, &peak);
    CDSP_CHECK_NEAR(cents(f, 220.0 * pow(2.0, 3.5 / 12.0)), 0, 5);
    free(out);
    free(f0);
    free(fr);
    cdsp_vocoder_destroy(v);
}

CDSP_TEST(level_is_flites_at_any_rate) {
    // A flat envelope exp(c0): unit-power pulses or noise give an RMS of gain * exp(c0) / 32768, whatever the rate.
    const float cep[] = {7.0f};
    const double expected = 1.5 * exp(7.0) / 32768.0;
    for (int voiced = 0; voiced < 2; voiced++) {
        for (int r = 0; r < 2; r++) {
            float rate = r ? 48000.0f : 16000.0f;
            float *fr = frames(300, voiced ? 150.0f : 0.0f, cep, 1);
            cdsp_vocoder_voice vv = voice(0.0f);
            cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, rate, 0.0f);
            size_t n = (size_t)(1.4 * rate);
            float *f0 = malloc(n * sizeof(float));
            for (size_t i = 0; i < n; i++) f0[i] = 200.0f;
            float *out = render(v, fr, 300, f0, rate, 1.4, 5, &n);
            double level = rms(out, n / 5, n - n / 5);
            printf("     %s at %.0f Hz: RMS %.2f dB against flite's\n", voiced ? "pulses" : "noise", rate,
                   20 * log10(level / expected));
            CDSP_CHECK_NEAR(20 * log10(level / expected), 0, 0.5);
            free(out);
            free(f0);
            free(fr);
            cdsp_vocoder_destroy(v);
        }
    }
}

CDSP_TEST(harmonics_follow_the_envelope_and_stop_at_the_edge) {
    const float cep[] = {6.0f, 1.2f, -0.5f, 0.4f, -0.3f, 0.2f};
    float *fr = frames(400, 150.0f, cep, 6);
    cdsp_vocoder_voice vv = voice(0.0f);
    const float rate = 44100.0f;
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, rate, 0.0f);
    size_t n = 0;
    const double f0 = 200.0;
    float *f0s = malloc(44100 * 2 * sizeof(float));
    for (size_t i = 0; i < 44100 * 2; i++) f0s[i] = (float)f0;
    float *out = render(v, fr, 400, f0s, rate, 2.0, 2, &n);
    // Harmonic amplitudes by correlation over 1 s (200 periods: leakage free), against |H| at the harmonic.
    double ref = 0;
    int checked = 0;
    double worst = 0, above = 0, total = 0;
    for (int h = 1; h * f0 < 10000; h++) {
        double w = 2 * M_PI * h * f0 / rate, c = 0, s = 0;
        for (size_t i = 22050; i < 66150; i++) c += out[i] * cos(w * (double)i), s += out[i] * sin(w * (double)i);
        double amp = 2 * sqrt(c * c + s * s) / 44100.0;
        double ws = 2 * M_PI * h * f0 / 16000.0, a = 0.42;
        double ww = ws + 2 * atan(a * sin(ws) / (1 - a * cos(ws)));
        double logh = 0;
        for (int m = 0; m < 6; m++) logh += cep[m] * cos(m * ww);
        double db = 20 * log10(amp) - logh * 20 / log(10);
        if (h == 1) ref = db;
        if (h * f0 < 7000) {
            worst = fmax(worst, fabs(db - ref));
            checked++;
        }
        if (h * f0 > 8500) above += amp * amp;
        total += amp * amp;
    }
    printf("     %d harmonics below 7 kHz within %.2f dB of the envelope; above 8.5 kHz %.1f dB\n", checked, worst,
           10 * log10(above / total + 1e-30));
    CDSP_CHECK(checked >= 30);
    CDSP_CHECK(worst < 1.0);
    CDSP_CHECK(10 * log10(above / total + 1e-30) < -60);
    free(out);
    free(f0s);
    free(fr);
    cdsp_vocoder_destroy(v);
}

/// Frequency of the strongest harmonic of a 150 Hz tone between 300 and 3000 Hz.
static double envelope_peak(float formant_semitones) {
    // A resonance near 1 kHz: c_m = 2 r^m cos(m w0) / m (one pole pair's log spectrum, in the warped domain).
    float cep[12];
    cep[0] = 5.0f;
    double r = 0.85, w0 = 1.2;  // warped angle of about 1.1 kHz at alpha 0.42
    for (int m = 1; m < 12; m++) cep[m] = (float)(2 * pow(r, m) * cos(m * w0) / m);
    float *fr = frames(400, 150.0f, cep, 12);
    cdsp_vocoder_voice vv = voice(0.0f);
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, 44100.0f, formant_semitones);
    size_t n = 0;
    float *f0s = malloc(44100 * 2 * sizeof(float));
    for (size_t i = 0; i < 44100 * 2; i++) f0s[i] = 150.0f;
    float *out = render(v, fr, 400, f0s, 44100.0f, 2.0, 2, &n);
    double best = 0, at = 0;
    for (int h = 2; h * 150 <= 3000; h++) {
        double w = 2 * M_PI * h * 150 / 44100.0, c = 0, s = 0;
        for (size_t i = 22050; i < 66150; i++) c += out[i] * cos(w * (double)i), s += out[i] * sin(w * (double)i);
        if (c * c + s * s > best) best = c * c + s * s, at = h * 150;
    }
    free(out);
    free(f0s);
    free(fr);
    cdsp_vocoder_destroy(v);
    return at;
}

CDSP_TEST(formant_shift_moves_the_envelope) {
    double plain = envelope_peak(0), up = envelope_peak(4), down = envelope_peak(-5);
    printf("     envelope peak %.0f Hz; +4 st %.0f Hz (x%.2f); -5 st %.0f Hz (x%.2f)\n", plain, up, up / plain, down,
           down / plain);
    // Harmonics are 150 Hz apart: the peak can only land on one of them.
    CDSP_CHECK_NEAR(up, plain * pow(2, 4 / 12.0), 150);
    CDSP_CHECK_NEAR(down, plain * pow(2, -5 / 12.0), 150);
    CDSP_CHECK(up > plain && down < plain);
}

CDSP_TEST(unvoiced_frames_are_noise) {
    const float cep[] = {6.0f, 0.5f};
    float *fr = frames(300, 0.0f, cep, 2);
    cdsp_vocoder_voice vv = voice(0.4f);
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, 44100.0f, 0.0f);
    size_t n = 0;
    float *f0s = malloc(44100 * sizeof(float));
    for (size_t i = 0; i < 44100; i++) f0s[i] = 220.0f;  // the curve has a pitch, the frames are unvoiced
    float *out = render(v, fr, 300, f0s, 44100.0f, 1.0, 3, &n);
    double peak = 0;
    pitch(out, 10000, 4096, 44100, 120, 300, &peak);
    CDSP_CHECK(peak < 0.3);
    CDSP_CHECK(rms(out, 1000, n - 1000) > 0.001);
    free(out);
    free(f0s);
    free(fr);
    cdsp_vocoder_destroy(v);
}

/// Mean power of x[0 ..< n] at the frequencies lo, lo + step, ... <= hi (a plain DFT at each).
static double band_power(const float *x, size_t n, double rate, double lo, double hi, double step) {
    double sum = 0;
    int count = 0;
    for (double f = lo; f <= hi; f += step, count++) {
        double re = 0, im = 0, w = 2 * M_PI * f / rate;
        for (size_t i = 0; i < n; i++) {
            re += x[i] * cos(w * (double)i);
            im -= x[i] * sin(w * (double)i);
        }
        sum += re * re + im * im;
    }
    return sum / count;
}

CDSP_TEST(no_noise_under_the_fundamental) {
    // One all-pass band at strength 0.5: a voiced hop is half pulses, half noise, on a flat envelope. Between the
    // harmonics of a 330 Hz note the noise stays; under half the fundamental it is gone (it hummed there, and
    // trackers read such notes an octave low), and the fundamental itself keeps its level.
    const double tap = 1.0;
    cdsp_vocoder_voice vv = {16000.0f, 0.005f, 0.42f, 0.0f, 1.0f, 1, 1, &tap};
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, 44100.0f, 0.0f);
    CDSP_CHECK(v != NULL);
    const float cep[] = {6.0f};
    float *fr = frames(300, 330.0f, cep, 1), *strengths = malloc(300 * sizeof(float));
    for (size_t i = 0; i < 300; i++) strengths[i] = 0.5f;
    size_t n = 44100;
    float *f0 = malloc(n * sizeof(float)), *out = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) f0[i] = 330.0f;
    double map_out[2] = {0, (double)n}, map_src[2] = {0, 1.0};
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 300, strengths, map_out, map_src, 2, f0, 5, out, n) == CDSP_OK);
    const float *mid = out + 4410;
    size_t len = 32768;
    double under = band_power(mid, len, 44100, 60, 150, 3);
    double between = 0;
    for (int k = 3; k <= 8; k++) between += band_power(mid, len, 44100, (k + 0.5) * 330 - 30, (k + 0.5) * 330 + 30, 6) / 6;
    double fundamental = band_power(mid, len, 44100, 329, 331, 1);
    CDSP_CHECK(under < between / 100);   // more than 20 dB under the noise between the harmonics
    printf("     330 Hz note: 60-150 Hz %.1f dB, the fundamental %+.1f dB, against the noise between harmonics\n",
           10 * log10(under / between), 10 * log10(fundamental / between));
    CDSP_CHECK(fundamental > 30 * between);
    free(out);
    free(f0);
    free(strengths);
    free(fr);
    cdsp_vocoder_destroy(v);
}

CDSP_TEST(time_map_and_determinism) {
    // Frames: silence (c0 very low) for the first half second, then a voiced vowel; an output that maps its
    // first 0.2 s onto the vowel and its last 0.2 s onto the silence.
    float *fr = calloc(200 * CH, sizeof(float));
    for (size_t i = 0; i < 200; i++) {
        fr[i * CH] = i >= 100 ? 150.0f : 0.0f;
        fr[i * CH + 1] = i >= 100 ? 6.0f : -10.0f;
    }
    cdsp_vocoder_voice vv = voice(0.4f);
    cdsp_vocoder *v = cdsp_vocoder_create(&vv, CH, 22050.0f, -2.0f);
    size_t n = 22050;
    float *f0 = malloc(n * sizeof(float)), *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float)),
          *c = calloc(n, sizeof(float));
    for (size_t i = 0; i < n; i++) f0[i] = 180.0f;
    double map_out[4] = {0, 0.2 * 22050, 0.8 * 22050, 22050}, map_src[4] = {0.6, 0.9, 0.4, 0.1};
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 200, NULL, map_out, map_src, 4, f0, 9, a, n) == CDSP_OK);
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 200, NULL, map_out, map_src, 4, f0, 9, b, n) == CDSP_OK);
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 200, NULL, map_out, map_src, 4, f0, 10, c, n) == CDSP_OK);
    CDSP_CHECK(memcmp(a, b, n * sizeof(float)) == 0);
    CDSP_CHECK(rms(a, 1000, 4000) > 100 * rms(a, n - 3000, n - 100));
    double peak = 0;
    double f = pitch(a, 500, 2048, 22050, 60, 200, &peak);
    CDSP_CHECK_NEAR(cents(f, 180.0), 0, 5);
    CDSP_CHECK(memcmp(a, c, n * sizeof(float)) != 0);  // another seed, other noise (in the unvoiced part)
    // Bad arguments.
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 0, NULL, map_out, map_src, 4, f0, 9, a, n) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 200, NULL, map_out, map_src, 0, f0, 9, a, n) == CDSP_ERR_ARGUMENT);
    double backwards[4] = {0, 0.8 * 22050, 0.2 * 22050, 22050};  // output times must not go down
    CDSP_CHECK(cdsp_vocoder_render(v, fr, 200, NULL, backwards, map_src, 4, f0, 9, a, n) == CDSP_ERR_ARGUMENT);
    cdsp_vocoder_voice bad = voice(0.4f);
    bad.bands = 5;  // bands without filters
    CDSP_CHECK(cdsp_vocoder_create(&bad, CH, 44100.0f, 0.0f) == NULL);
    CDSP_CHECK(cdsp_vocoder_create(&vv, CH, 1000.0f, 0.0f) == NULL);
    CDSP_CHECK(cdsp_vocoder_create(&vv, CH, 44100.0f, 30.0f) == NULL);
    free(f0);
    free(a);
    free(b);
    free(c);
    free(fr);
    cdsp_vocoder_destroy(v);
}

int main(void) {
    CDSP_RUN(follows_the_f0_curve);
    CDSP_RUN(level_is_flites_at_any_rate);
    CDSP_RUN(harmonics_follow_the_envelope_and_stop_at_the_edge);
    CDSP_RUN(formant_shift_moves_the_envelope);
    CDSP_RUN(unvoiced_frames_are_noise);
    CDSP_RUN(no_noise_under_the_fundamental);
    CDSP_RUN(time_map_and_determinism);
    CDSP_TEST_END();
}
