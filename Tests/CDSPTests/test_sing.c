// The singing DSP, checked by measured properties: a synthetic voice (a 150 Hz glottal pulse train through two
// formant resonators, 700 and 1200 Hz) retuned by TD-PSOLA to 220 and 110 Hz must land within 2 cents, with its
// envelope peak (LPC) within 5% of the source's and its harmonics on the true envelope; a 3x stretch must keep
// both and the level; the f0 curve's mean over the middle of a long note must sit within 3 cents of the note, with
// the vibrato depth that was set; glides, rests and determinism.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp.h"
#include "cdsp_test.h"

static const float SR = 16000.0f;
static const double F1 = 700.0, F2 = 1200.0;

/// Glottal pulse train at f0 (harmonics with a -6 dB/octave tilt, cosine phase: one sharp pulse per period)
/// through two resonators at F1 and F2.
static float *voice(size_t frames, double f0) {
    float *x = calloc(frames, sizeof(float));
    int harmonics = (int)(7000.0 / f0);
    for (size_t i = 0; i < frames; i++) {
        double v = 0, w = 2 * M_PI * f0 * (double)i / SR;
        for (int h = 1; h <= harmonics; h++) v += cos(h * w) / h;
        x[i] = (float)v;
    }
    const double fs[2] = {F1, F2}, bws[2] = {90, 110};
    for (int r = 0; r < 2; r++) {
        double rr = exp(-M_PI * bws[r] / SR), a1 = 2 * rr * cos(2 * M_PI * fs[r] / SR), a2 = -rr * rr;
        double y1 = 0, y2 = 0;
        for (size_t i = 0; i < frames; i++) {
            double y = (1 - rr) * x[i] + a1 * y1 + a2 * y2;
            y2 = y1, y1 = y;
            x[i] = (float)y;
        }
    }
    float peak = 0;
    for (size_t i = 0; i < frames; i++) peak = fmaxf(peak, fabsf(x[i]));
    for (size_t i = 0; i < frames; i++) x[i] *= 0.5f / peak;
    return x;
}

static double dft_mag(const float *x, size_t start, size_t len, double f) {
    double re = 0, im = 0, w = 2 * M_PI * f / SR;
    for (size_t i = 0; i < len; i++) {
        double win = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)len);
        re += win * x[start + i] * cos(w * (double)i);
        im -= win * x[start + i] * sin(w * (double)i);
    }
    return sqrt(re * re + im * im);
}

/// f0 from the strongest harmonic near `harmonic` * guess (a coarse scan, then golden-section refinement).
static double measure_f0(const float *x, size_t start, size_t len, double guess, int harmonic) {
    double centre = guess * harmonic, span = 0.06 * centre, best = centre, bestm = -1;
    for (double f = centre - span; f <= centre + span; f += 0.5) {
        double m = dft_mag(x, start, len, f);
        if (m > bestm) bestm = m, best = f;
    }
    double a = best - 0.5, b = best + 0.5, g = 0.6180339887;
    for (int it = 0; it < 40; it++) {
        double c = b - g * (b - a), d = a + g * (b - a);
        if (dft_mag(x, start, len, c) > dft_mag(x, start, len, d)) b = d; else a = c;
    }
    return 0.5 * (a + b) / harmonic;
}

/// The true spectral envelope of `voice` at f (linear, unnormalised): the -6 dB/octave source tilt times both
/// resonators.
static double true_envelope(double f) {
    const double fs[2] = {F1, F2}, bws[2] = {90, 110};
    double m = 1.0 / f, om = 2 * M_PI * f / SR;
    for (int r = 0; r < 2; r++) {
        double rr = exp(-M_PI * bws[r] / SR), a1 = 2 * rr * cos(2 * M_PI * fs[r] / SR), a2 = -rr * rr;
        double re = 1 - a1 * cos(om) - a2 * cos(2 * om), im = a1 * sin(om) + a2 * sin(2 * om);
        m /= sqrt(re * re + im * im);
    }
    return m;
}

/// Frequency of the true envelope's peak in [lo, hi] Hz (the resonators' skirts and the tilt move it off F1).
static double true_envelope_peak(double lo, double hi) {
    double best = lo, bestm = -1;
    for (double f = lo; f <= hi; f += 0.5) {
        double m = true_envelope(f);
        if (m > bestm) bestm = m, best = f;
    }
    return best;
}

static double cents(double f, double ref) { return 1200.0 * log2(f / ref); }

/// Frequency of the largest peak of a 14th-order LPC envelope (autocorrelation method) in [lo, hi] Hz.
static double lpc_peak(const float *x, size_t start, size_t len, double lo, double hi) {
    enum { ORDER = 14 };
    double r[ORDER + 1] = {0}, a[ORDER + 1] = {1}, tmp[ORDER + 1];
    double *w = malloc(len * sizeof(double));
    for (size_t i = 0; i < len; i++) w[i] = x[start + i] * (0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)len));
    for (int k = 0; k <= ORDER; k++)
        for (size_t i = (size_t)k; i < len; i++) r[k] += w[i] * w[i - (size_t)k];
    free(w);
    double err = r[0];
    for (int i = 1; i <= ORDER; i++) {
        double acc = r[i];
        for (int j = 1; j < i; j++) acc += a[j] * r[i - j];
        double k = -acc / err;
        memcpy(tmp, a, sizeof a);
        for (int j = 1; j < i; j++) a[j] = tmp[j] + k * tmp[i - j];
        a[i] = k;
        err *= 1 - k * k;
    }
    double best = lo, bestm = -1;
    for (double f = lo; f <= hi; f += 1) {
        double re = 0, im = 0, om = 2 * M_PI * f / SR;
        for (int j = 0; j <= ORDER; j++) re += a[j] * cos(om * j), im -= a[j] * sin(om * j);
        double m = 1.0 / (re * re + im * im);
        if (m > bestm) bestm = m, best = f;
    }
    return best;
}

/// The envelope as the harmonics sample it: amplitudes (dB) of the harmonics of f0 in the segment. Returns the
/// log-spectral distance (dB RMS, 200...3000 Hz, means removed) to the true envelope, and in *peak the envelope peak
/// interpolated (parabola in dB) through the strongest harmonic in [lo, hi] and its neighbours.
static double harmonic_envelope(const float *x, size_t start, size_t len, double f0, double lo, double hi,
                                double *peak) {
    double amp[64], truth[64], freq[64];
    int n = 0;
    for (int k = 1; k * f0 <= 3000 && n < 64; k++) {
        if (k * f0 < 200) continue;
        freq[n] = k * f0;
        amp[n] = 20 * log10(dft_mag(x, start, len, k * f0) + 1e-12);
        truth[n] = 20 * log10(true_envelope(k * f0));
        n++;
    }
    double ma = 0, mt = 0, d = 0;
    for (int i = 0; i < n; i++) ma += amp[i], mt += truth[i];
    ma /= n, mt /= n;
    for (int i = 0; i < n; i++) d += pow((amp[i] - ma) - (truth[i] - mt), 2);
    int best = -1;
    for (int i = 1; i + 1 < n; i++)
        if (freq[i] >= lo && freq[i] <= hi && (best < 0 || amp[i] > amp[best])) best = i;
    double a = amp[best - 1], b = amp[best], c = amp[best + 1];
    *peak = freq[best] + f0 * 0.5 * (a - c) / (a - 2 * b + c);
    return sqrt(d / n);
}

/// Retunes (and stretches by `stretch`) the synthetic voice with a constant target f0 (<= 0: keep the period).
static float *psola(const float *src, size_t frames, double stretch, float target, size_t *out_frames) {
    size_t cap = frames / 50 + 4;
    double *marks = malloc(cap * sizeof(double));
    uint8_t *mv = malloc(cap);
    size_t count = cdsp_sing_pitch_marks(src, frames, SR, 150, NULL, marks, mv, cap);
    size_t n = (size_t)(frames * stretch);
    float *f0 = malloc(n * sizeof(float)), *out = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) f0[i] = target;
    double mo[2] = {0, (double)n}, ms[2] = {0, (double)frames};
    cdsp_psola *p = cdsp_psola_create(SR, 150);
    CDSP_CHECK(p != NULL);
    CDSP_CHECK(cdsp_psola_process(p, src, frames, marks, mv, count, mo, ms, 2, f0, out, n) == CDSP_OK);
    cdsp_psola_destroy(p);
    free(marks), free(mv), free(f0);
    *out_frames = n;
    return out;
}

CDSP_TEST(pitch_marks_follow_the_period) {
    size_t n = 16000;
    float *x = voice(n, 150);
    double marks[200];
    uint8_t mv[200];
    size_t count = cdsp_sing_pitch_marks(x, n, SR, 150, NULL, marks, mv, 200);
    double period = SR / 150.0;
    CDSP_CHECK_NEAR((double)count, n / period, 2);
    double worst = 0;
    for (size_t k = 2; k < count; k++) worst = fmax(worst, fabs(marks[k] - marks[k - 1] - period));
    CDSP_CHECK(worst < 0.05 * period);
    // Marks sit on the pulses (the cosine-phase pulses peak at multiples of the period, delayed a little by the
    // resonators): their offset from the grid is the same everywhere.
    double off0 = fmod(marks[2], period);
    for (size_t k = 3; k < count; k++) CDSP_CHECK(fabs(fmod(marks[k], period) - off0) < 0.05 * period);
    // Unvoiced: exactly one period apart.
    uint8_t *voiced = calloc(n, 1);
    count = cdsp_sing_pitch_marks(x, n, SR, 150, voiced, marks, mv, 200);
    CDSP_CHECK_NEAR(marks[10] - marks[9], period, 1e-9);
    CDSP_CHECK(mv[5] == 0);
    free(voiced);
    free(x);
}

CDSP_TEST(psola_retunes_and_keeps_formants) {
    size_t n = 16000;
    float *x = voice(n, 150);
    // The source only samples its envelope every 150 Hz, so its measured peak (LPC: ~731 Hz, harmonics
    // interpolated: ~713 Hz) is the reference the output must keep; the true peak is printed for comparison.
    double env = true_envelope_peak(400, 950), hp;
    double in_peak = lpc_peak(x, 4000, 8192, 400, 950);
    double in_lsd = harmonic_envelope(x, 4000, 8192, 150, 400, 950, &hp);
    printf("  source: f0 %.3f Hz, true envelope peak %.0f Hz, LPC peak %.0f Hz, harmonic peak %.0f Hz, LSD %.2f dB\n",
           measure_f0(x, 4000, 8192, 150, 5), env, in_peak, hp, in_lsd);
    CDSP_CHECK(fabs(in_peak - env) < 0.06 * env);
    const float targets[2] = {220, 110};
    for (int t = 0; t < 2; t++) {
        size_t m;
        float *y = psola(x, n, 1.0, targets[t], &m);
        int h = (int)lround(F1 / targets[t]);
        double f = measure_f0(y, 4000, 8192, targets[t], h);
        double peak = lpc_peak(y, 4000, 8192, 400, 950);
        double lsd = harmonic_envelope(y, 4000, 8192, targets[t], 400, 950, &hp);
        printf("  -> %.0f Hz: f0 %.3f Hz (%+.3f cents), LPC envelope peak %.0f Hz (%+.1f%% from the source's), "
               "harmonics vs true envelope %.2f dB\n", targets[t], f, cents(f, targets[t]), peak,
               100 * (peak - in_peak) / in_peak, lsd);
        CDSP_CHECK(fabs(cents(f, targets[t])) < 2.0);
        CDSP_CHECK(fabs(peak - in_peak) < 0.05 * in_peak);
        CDSP_CHECK(lsd < 2.5);
        for (size_t i = 0; i < m; i++) CDSP_CHECK(isfinite(y[i]));
        free(y);
    }
    free(x);
}

CDSP_TEST(stretch_keeps_pitch_and_envelope) {
    size_t n = 8000;
    float *x = voice(n, 150);
    size_t m;
    float *y = psola(x, n, 3.0, -1, &m);
    CDSP_CHECK(m == 24000);
    double f = measure_f0(y, 6000, 8192, 150, 5);
    double in_peak = lpc_peak(x, 0, 8000, 400, 950), peak = lpc_peak(y, 6000, 8192, 400, 950), hp;
    double lsd = harmonic_envelope(y, 6000, 8192, 150, 400, 950, &hp);
    printf("  3x stretch: f0 %.3f Hz (%+.3f cents), LPC envelope peak %.0f Hz (source %.0f), LSD %.2f dB\n", f,
           cents(f, 150), peak, in_peak, lsd);
    CDSP_CHECK(fabs(cents(f, 150)) < 2.0);
    CDSP_CHECK(fabs(peak - in_peak) < 0.05 * in_peak);
    CDSP_CHECK(lsd < 1.0);
    // Level kept: RMS of the middle within 1.5 dB of the source's.
    double ein = 0, eout = 0;
    for (size_t i = 2000; i < 6000; i++) ein += x[i] * x[i];
    for (size_t i = 6000; i < 18000; i++) eout += y[i] * y[i];
    double db = 10 * log10((eout / 12000) / (ein / 4000));
    printf("  3x stretch level change %.2f dB\n", db);
    CDSP_CHECK(fabs(db) < 1.5);
    // The same stretch while retuned to 196 Hz.
    float *z = psola(x, n, 3.0, 196, &m);
    double fz = measure_f0(z, 6000, 8192, 196, 4);
    CDSP_CHECK(fabs(cents(fz, 196)) < 2.0);
    free(x), free(y), free(z);
}

/// Amplitude (cents) of the strongest sinusoid between 4.5 and 7 Hz in c[0..<n] (sampled at SR).
static double vibrato_depth(const double *c, size_t n) {
    double best = 0;
    for (double rate = 4.5; rate <= 7.0; rate += 0.02) {
        double re = 0, im = 0, w = 2 * M_PI * rate / SR;
        for (size_t i = 0; i < n; i += 4) re += c[i] * cos(w * i), im += c[i] * sin(w * i);
        best = fmax(best, 2 * sqrt(re * re + im * im) / (double)((n + 3) / 4));
    }
    return best;
}

CDSP_TEST(f0_curve_centres_on_the_note_with_vibrato) {
    cdsp_sing_style style;
    cdsp_sing_style_default(&style);
    const float vib[2] = {40, 30};
    size_t n = (size_t)(3.5 * SR);
    float *f0 = malloc(n * sizeof(float));
    size_t a = (size_t)(0.75 * SR), b = (size_t)(2.75 * SR);
    double *c = malloc((b - a) * sizeof(double));
    double ref = 440.0 * pow(2.0, (62 - 69) / 12.0);
    for (int v = 0; v < 2; v++) {
        style.vibrato_cents = vib[v];
        // A 3 s note: its depth is the style's x 1.2 (a long note) x 0.75...1.25 (per note, seeded).
        double lo = 1e9, hi = 0, sum = 0;
        const int seeds = 12;
        for (int seed = 1; seed <= seeds; seed++) {
            style.seed = (uint64_t)seed;
            cdsp_sing_note notes[1] = {{0.25 * SR, 3.25 * SR, 62}};
            CDSP_CHECK(cdsp_sing_f0_curve(notes, 1, &style, SR, f0, n) == CDSP_OK);
            double mean = 0;
            for (size_t i = a; i < b; i++) mean += c[i - a] = cents(f0[i], ref);
            mean /= (double)(b - a);
            for (size_t i = 0; i < b - a; i++) c[i] -= mean;
            double depth = vibrato_depth(c, b - a);
            CDSP_CHECK(fabs(mean) < 3.0);
            CDSP_CHECK(depth > 0.7 * 1.2 * vib[v] && depth < 1.3 * 1.2 * vib[v]);
            lo = fmin(lo, depth), hi = fmax(hi, depth), sum += depth;
            // No vibrato before the delay: the first 150 ms of the note stay within the fluctuation.
            for (size_t i = (size_t)(0.25 * SR); i < (size_t)(0.39 * SR); i++) CDSP_CHECK(fabs(cents(f0[i], ref)) < 8);
        }
        printf("  vibrato %.0f cents on a 3 s note: measured depth %.1f...%.1f cents, mean %.1f over %d seeds\n", vib[v],
               lo, hi, sum / seeds, seeds);
        CDSP_CHECK(fabs(sum / seeds - 1.2 * vib[v]) < 0.12 * 1.2 * vib[v]);
        CDSP_CHECK(hi - lo > 0.1 * vib[v]);  // the depth varies from note to note
    }
    // A 0.5 s note shakes less than a 3 s one: depth x (0.4 + 0.2 x 0.8) = 0.56 against 1.2.
    style.vibrato_cents = 40;
    style.seed = 3;
    style.fluctuation_cents = 0;
    cdsp_sing_note shortNote[1] = {{0.25 * SR, 0.75 * SR, 62}};
    CDSP_CHECK(cdsp_sing_f0_curve(shortNote, 1, &style, SR, f0, (size_t)(0.75 * SR)) == CDSP_OK);
    double peak = 0;
    for (size_t i = (size_t)(0.25 * SR); i < (size_t)(0.75 * SR); i++) peak = fmax(peak, fabs(cents(f0[i], ref)));
    printf("  vibrato 40 cents on a 0.5 s note: peak %.1f cents\n", peak);
    CDSP_CHECK(peak < 0.56 * 1.25 * 40 + 1);
    free(c), free(f0);
}

CDSP_TEST(f0_curve_glides_between_legato_notes) {
    cdsp_sing_style style;
    cdsp_sing_style_default(&style);
    style.fluctuation_cents = 0;
    style.vibrato_cents = 0;
    size_t n = (size_t)(1.0 * SR);
    cdsp_sing_note notes[3] = {{0, 0.4 * SR, 60}, {0.4 * SR, 0.7 * SR, 64}, {0.85 * SR, 1.0 * SR, 62}};
    float *f0 = malloc(n * sizeof(float));
    CDSP_CHECK(cdsp_sing_f0_curve(notes, 3, &style, SR, f0, n) == CDSP_OK);
    double c60 = 440.0 * pow(2.0, -9 / 12.0);
    // Crosses the midpoint (62) within the glide around the boundary, reaches 64 with an overshoot, then settles.
    size_t cross = 0;
    for (size_t i = 1; i < n && !cross; i++)
        if (cents(f0[i], c60) >= 200) cross = i;
    double cross_s = cross / SR;
    CDSP_CHECK(cross_s > 0.4 - 0.25 * 0.07 && cross_s < 0.4 + 0.75 * 0.07);
    double peak = 0;
    for (size_t i = (size_t)(0.4 * SR); i < (size_t)(0.6 * SR); i++) peak = fmax(peak, cents(f0[i], c60));
    CDSP_CHECK(peak > 405 && peak < 420);
    CDSP_CHECK_NEAR(cents(f0[(size_t)(0.65 * SR)], c60), 400, 0.5);
    // A rest longer than the legato gap: the old note is held 30 ms, then the next note's pitch.
    CDSP_CHECK_NEAR(cents(f0[(size_t)(0.72 * SR)], c60), 400, 0.5);
    CDSP_CHECK_NEAR(cents(f0[(size_t)(0.80 * SR)], c60), 200, 0.5);
    free(f0);
}

CDSP_TEST(f0_curve_is_seeded) {
    cdsp_sing_style style;
    cdsp_sing_style_default(&style);
    size_t n = 32000;
    cdsp_sing_note notes[2] = {{1000, 15000, 57}, {15000, 31000, 59}};
    float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float)), *c = malloc(n * sizeof(float));
    style.seed = 1;
    cdsp_sing_f0_curve(notes, 2, &style, SR, a, n);
    cdsp_sing_f0_curve(notes, 2, &style, SR, b, n);
    style.seed = 2;
    cdsp_sing_f0_curve(notes, 2, &style, SR, c, n);
    CDSP_CHECK(memcmp(a, b, n * sizeof(float)) == 0);
    CDSP_CHECK(memcmp(a, c, n * sizeof(float)) != 0);
    free(a), free(b), free(c);
}

CDSP_TEST(rejects_bad_arguments) {
    CDSP_CHECK(cdsp_psola_create(16000, 10) == NULL);
    CDSP_CHECK(cdsp_psola_create(1000, 150) == NULL);
    cdsp_sing_style style;
    cdsp_sing_style_default(&style);
    float f0[4];
    cdsp_sing_note bad[1] = {{10, 5, 60}};
    CDSP_CHECK(cdsp_sing_f0_curve(bad, 1, &style, SR, f0, 4) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_sing_f0_curve(NULL, 0, &style, SR, f0, 4) == CDSP_ERR_ARGUMENT);
    cdsp_psola *p = cdsp_psola_create(16000, 150);
    float src[4] = {0}, out[4];
    double marks[1] = {1}, mo[2] = {4, 0}, ms[2] = {0, 4};
    CDSP_CHECK(cdsp_psola_process(p, src, 4, marks, NULL, 1, mo, ms, 2, NULL, out, 4) == CDSP_ERR_ARGUMENT);
    cdsp_psola_destroy(p);
}

CDSP_TEST(gate_opens_on_spans_with_ramps) {
    float x[400];
    for (int i = 0; i < 400; i++) x[i] = 1;
    double starts[2] = {100, 250}, ends[2] = {200, 260};
    cdsp_sing_gate(x, 400, starts, ends, 2, 10);
    CDSP_CHECK(x[50] == 0 && x[89] == 0 && x[300] == 0);
    CDSP_CHECK(x[100] == 1 && x[150] == 1 && x[200] == 1 && x[255] == 1);
    CDSP_CHECK_NEAR(x[95], 0.5, 1e-6);
    CDSP_CHECK_NEAR(x[205], 0.5, 1e-6);
    CDSP_CHECK(x[96] > x[95] && x[204] > x[205]);
}

int main(void) {
    CDSP_RUN(pitch_marks_follow_the_period);
    CDSP_RUN(psola_retunes_and_keeps_formants);
    CDSP_RUN(stretch_keeps_pitch_and_envelope);
    CDSP_RUN(f0_curve_centres_on_the_note_with_vibrato);
    CDSP_RUN(f0_curve_glides_between_legato_notes);
    CDSP_RUN(f0_curve_is_seeded);
    CDSP_RUN(gate_opens_on_spans_with_ramps);
    CDSP_RUN(rejects_bad_arguments);
    CDSP_TEST_END();
}
