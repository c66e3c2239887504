// Effects, dynamics, loudness and mixing of the C core, checked by measured properties: levels in dB, decay
// times, correlation, loudness against the EBU Tech 3341 cases, true peak after limiting.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../../Sources/CDSP/fx_internal.h"
#include "cdsp.h"
#include "cdsp_test.h"

static const float FS = 44100.0f;

static float *sine(size_t frames, float freq, float amp, float fs, float phase) {
    float *x = malloc(frames * sizeof(float));
    for (size_t i = 0; i < frames; i++) x[i] = amp * (float)sin(2.0 * M_PI * freq * (double)i / fs + phase);
    return x;
}

static double db(double v) { return 20.0 * log10(v); }

// --- loudness --------------------------------------------------------------------------------------------------

CDSP_TEST(kweighting_matches_bs1770_table_at_48k) {
    double sb[3], sa[3], hb[3], ha[3];
    cdsp_kweight_coefficients(48000.0, sb, sa, hb, ha);
    CDSP_CHECK_NEAR(sb[0], 1.53512485958697, 1e-6);
    CDSP_CHECK_NEAR(sb[1], -2.69169618940638, 1e-6);
    CDSP_CHECK_NEAR(sb[2], 1.19839281085285, 1e-6);
    CDSP_CHECK_NEAR(sa[1], -1.69065929318241, 1e-6);
    CDSP_CHECK_NEAR(sa[2], 0.73248077421585, 1e-6);
    CDSP_CHECK_NEAR(ha[1], -1.99004745483398, 1e-6);
    CDSP_CHECK_NEAR(ha[2], 0.99007225036621, 1e-6);
}

// EBU Tech 3341 case 1: a stereo 1 kHz sine at -23 dBFS reads -23.0 LUFS; in general a stereo sine at A dBFS
// peak reads A LUFS (the -0.691 offset cancels the K-weighting gain at 1 kHz). Mono (one channel) is 3.01 lower.
CDSP_TEST(loudness_of_stereo_and_mono_sine) {
    size_t n = (size_t)(FS * 5);
    float *x = sine(n, 997.0f, 0.1f, FS, 0.0f);  // -20 dBFS peak
    double l = 0;
    CDSP_CHECK(cdsp_loudness_integrated(x, x, n, FS, &l) == CDSP_OK);
    CDSP_CHECK_NEAR(l, -20.0, 0.1);
    CDSP_CHECK(cdsp_loudness_integrated(x, NULL, n, FS, &l) == CDSP_OK);
    CDSP_CHECK_NEAR(l, -23.01, 0.1);
    float *y = sine(n, 997.0f, 1.0f, 48000.0f, 0.0f);  // Tech 3341: 0 dBFS 997 Hz on one channel -> -3.01 LUFS
    CDSP_CHECK(cdsp_loudness_integrated(y, NULL, n, 48000.0f, &l) == CDSP_OK);
    CDSP_CHECK_NEAR(l, -3.01, 0.1);
    free(x);
    free(y);
}

CDSP_TEST(loudness_gates_quiet_passages) {
    // EBU Tech 3341 case 3: -36 / -23 / -36 dBFS for 10 / 60 / 10 s -> -23.0 LUFS (the quiet parts fall under the
    // relative gate); case 4: -72 / -26 / -20 / -26 / -72 dBFS, 10 s each -> -23.0 (-72 under the absolute gate).
    const float fs = 48000.0f;
    const float amps3[3] = {0.015849f, 0.070795f, 0.015849f};
    const float secs3[3] = {10, 60, 10};
    const float amps4[5] = {0.000251f, 0.050119f, 0.1f, 0.050119f, 0.000251f};
    for (int c = 0; c < 2; c++) {
        int parts = c == 0 ? 3 : 5;
        size_t total = 0, bounds[6] = {0};
        for (int p = 0; p < parts; p++) bounds[p + 1] = total += (size_t)((c == 0 ? secs3[p] : 10.0f) * fs);
        float *x = malloc(total * sizeof(float));
        int p = 0;
        for (size_t i = 0; i < total; i++) {
            while (i >= bounds[p + 1]) p++;
            float amp = c == 0 ? amps3[p] : amps4[p];
            x[i] = amp * (float)sin(2.0 * M_PI * 1000.0 * (double)i / fs);
        }
        double l = 0;
        CDSP_CHECK(cdsp_loudness_integrated(x, x, total, fs, &l) == CDSP_OK);
        CDSP_CHECK_NEAR(l, -23.0, 0.1);
        free(x);
    }
    float z[44100] = {0};
    double l = 0;
    cdsp_loudness_integrated(z, z, 44100, FS, &l);
    CDSP_CHECK(isinf(l) && l < 0);
    CDSP_CHECK(cdsp_loudness_integrated(z, z, 1000, FS, &l) == CDSP_OK && isinf(l));  // shorter than one block
}

CDSP_TEST(true_peak_finds_intersample_peaks) {
    size_t n = 48000;
    // fs/4 sine with a 45 degree phase: samples at +-0.707 (-3.01 dBFS), true peak 0 dBTP (Tech 3341 idea).
    float *x = sine(n, 12000.0f, 1.0f, 48000.0f, (float)(M_PI / 4));
    double tp = 0;
    CDSP_CHECK(cdsp_true_peak(x, NULL, n, 48000.0f, &tp) == CDSP_OK);
    CDSP_CHECK_NEAR(db(cdsp_peak(x, n)), -3.01, 0.01);
    CDSP_CHECK_NEAR(tp, 0.0, 0.25);
    float *y = sine(n, 100.0f, 0.5f, 48000.0f, 0.0f);
    CDSP_CHECK(cdsp_true_peak(y, x, n, 48000.0f, &tp) == CDSP_OK);  // max over channels
    CDSP_CHECK_NEAR(tp, 0.0, 0.25);
    CDSP_CHECK(cdsp_true_peak(y, NULL, n, 48000.0f, &tp) == CDSP_OK);
    CDSP_CHECK_NEAR(tp, db(0.5), 0.01);
    free(x);
    free(y);
}

// --- limiter ---------------------------------------------------------------------------------------------------

CDSP_TEST(limiter_holds_true_peak_ceiling) {
    size_t n = (size_t)(FS * 4);
    cdsp_limiter *lim = cdsp_limiter_create(FS, 0.003f);
    CDSP_CHECK(lim != NULL);
    cdsp_limiter_set(lim, -1.0f, 0.08f);
    size_t lat = cdsp_limiter_latency(lim);
    float *l = calloc(n + lat, sizeof(float)), *r = calloc(n + lat, sizeof(float));
    cdsp_rng rng;
    cdsp_rng_seed(&rng, 5);
    float amp = cdsp_db_to_gain(-1.0f + 12.0f);  // +12 dB over the ceiling
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / FS;
        // a chord of sines, a high near-fs/4 tone for intersample peaks, and square-ish drum hits every 250 ms
        float v = 0.3f * (float)sin(2 * M_PI * 220 * t) + 0.25f * (float)sin(2 * M_PI * 331 * t) +
                  0.2f * (float)sin(2 * M_PI * 11025.0 * t + 0.7);
        size_t k = i % (size_t)(FS / 4);
        if (k < 400) v += ((k / 50) % 2 ? -0.7f : 0.7f) * (1.0f - (float)k / 400.0f);
        l[i] = amp * v;
        r[i] = amp * (0.8f * v + 0.2f * cdsp_rng_bipolar(&rng));
    }
    double tp_in = 0;
    cdsp_true_peak(l, r, n, FS, &tp_in);
    CDSP_CHECK(tp_in > 9.0);
    // process in uneven blocks to exercise block boundaries
    size_t done = 0, sizes[4] = {1000, 37, 4096, 777};
    for (int b = 0; done < n + lat; b++) {
        size_t m = sizes[b % 4];
        if (m > n + lat - done) m = n + lat - done;
        cdsp_limiter_process(lim, l + done, r + done, m);
        done += m;
    }
    double tp = 0;
    cdsp_true_peak(l + lat, r + lat, n, FS, &tp);
    printf("   limiter: input %.2f dBTP -> output %.3f dBTP (ceiling -1), latency %zu\n", tp_in, tp, lat);
    CDSP_CHECK(tp <= -1.0);
    CDSP_CHECK(tp > -1.5);  // it limits, it does not just turn the signal down
    free(l);
    free(r);
    cdsp_limiter_destroy(lim);
}

CDSP_TEST(limiter_latency_and_transparency_below_ceiling) {
    cdsp_limiter *lim = cdsp_limiter_create(48000.0f, 0.002f);
    cdsp_limiter_set(lim, -1.0f, 0.05f);
    size_t lat = cdsp_limiter_latency(lim);
    CDSP_CHECK(lat >= 96 && lat <= 96 + 16 + CDSP_TP_HALF);  // look-ahead, sub-block rounding, detector
    size_t n = 2000;
    float *x = calloc(n, sizeof(float));
    x[100] = 0.5f;  // below the ceiling: passes unchanged, delayed by exactly `latency`
    cdsp_limiter_process(lim, x, NULL, n);
    size_t at = 0;
    for (size_t i = 0; i < n; i++)
        if (fabsf(x[i]) > fabsf(x[at])) at = i;
    CDSP_CHECK(at == 100 + lat);
    CDSP_CHECK_NEAR(x[at], 0.5f, 1e-6);
    free(x);
    cdsp_limiter_destroy(lim);
}

// --- compressor ------------------------------------------------------------------------------------------------

static double compressed_peak_db(float in_db, float thr, float ratio, float knee, const float *key) {
    size_t n = (size_t)FS;
    float *x = sine(n, 1000.0f, cdsp_db_to_gain(in_db), FS, 0.0f);
    float *y = sine(n, 1000.0f, cdsp_db_to_gain(in_db), FS, 0.0f);
    cdsp_compressor *c = cdsp_compressor_create(FS);
    cdsp_compressor_set(c, thr, ratio, 0.002f, 0.3f, knee, 0.0f);
    cdsp_compressor_process(c, x, y, key, key, n);
    double p = db(cdsp_peak(x + n / 2, n / 2));
    CDSP_CHECK_NEAR(cdsp_peak(x + n / 2, n / 2), cdsp_peak(y + n / 2, n / 2), 1e-6);  // linked
    cdsp_compressor_destroy(c);
    free(x);
    free(y);
    return p;
}

CDSP_TEST(compressor_static_curve) {
    // hard knee: above threshold, out = T + (in - T) / R
    CDSP_CHECK_NEAR(compressed_peak_db(-6.0f, -20.0f, 4.0f, 0.0f, NULL), -20.0 + 14.0 / 4.0, 0.5);
    CDSP_CHECK_NEAR(compressed_peak_db(-10.0f, -30.0f, 2.0f, 0.0f, NULL), -20.0, 0.5);
    // below threshold: unity
    CDSP_CHECK_NEAR(compressed_peak_db(-30.0f, -20.0f, 4.0f, 6.0f, NULL), -30.0, 0.05);
    // soft knee (6 dB), at the threshold: reduction (1 - 1/R) * (W/2)^2 / (2W) = 0.75 * 0.75 = 0.5625 dB
    CDSP_CHECK_NEAR(compressed_peak_db(-20.0f, -20.0f, 4.0f, 6.0f, NULL), -20.5625, 0.2);
    // ducking: a loud key at -6 dBFS pulls a -30 dBFS signal down by (1 - 1/R) * 14 = 10.5 dB
    size_t n = (size_t)FS;
    float *key = sine(n, 60.0f, cdsp_db_to_gain(-6.0f), FS, 0.0f);
    CDSP_CHECK_NEAR(compressed_peak_db(-30.0f, -20.0f, 4.0f, 0.0f, key), -40.5, 0.5);
    free(key);
}

// --- reverb, delay, chorus -------------------------------------------------------------------------------------

/// T30-style decay time from the Schroeder integral of the energy of both channels.
static double rt60(const float *l, const float *r, size_t n, float fs) {
    double *edc = malloc(n * sizeof(double));
    double acc = 0;
    for (size_t i = n; i-- > 0;) {
        acc += (double)l[i] * l[i] + (double)r[i] * r[i];
        edc[i] = acc;
    }
    double t5 = -1, t35 = -1;
    for (size_t i = 0; i < n; i++) {
        double d = 10 * log10(edc[i] / edc[0] + 1e-30);
        if (t5 < 0 && d <= -5) t5 = i / (double)fs;
        if (t35 < 0 && d <= -35) { t35 = i / (double)fs; break; }
    }
    free(edc);
    return t35 > 0 ? (t35 - t5) * 2.0 : INFINITY;
}

CDSP_TEST(reverb_decays_grows_with_size_and_decorrelates) {
    size_t n = (size_t)(FS * 12);
    float *in = calloc(n, sizeof(float)), *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    in[0] = 1.0f;
    cdsp_reverb *rv = cdsp_reverb_create(FS);
    double times[3];
    const float sizes[3] = {0.2f, 0.6f, 1.0f};
    for (int s = 0; s < 3; s++) {
        cdsp_reverb_set(rv, sizes[s], 0.4f, 1.0f, 0.03f);
        cdsp_reverb_reset(rv);
        cdsp_reverb_process(rv, in, in, l, r, n);
        int finite = 1;
        for (size_t i = 0; i < n; i++) finite &= isfinite(l[i]) && isfinite(r[i]);
        CDSP_CHECK(finite);
        times[s] = rt60(l, r, n, FS);
        // pre-delay: silence for the first 30 ms
        CDSP_CHECK(cdsp_peak(l, (size_t)(0.029f * FS)) == 0.0f);
        // stereo: normalised correlation of the tails is small
        double sl = 0, sr = 0, slr = 0;
        size_t a = (size_t)(0.05f * FS), b = (size_t)(0.5f * FS);
        for (size_t i = a; i < b; i++) { sl += l[i] * l[i]; sr += r[i] * r[i]; slr += l[i] * r[i]; }
        double corr = slr / sqrt(sl * sr);
        CDSP_CHECK(fabs(corr) < 0.3);
        // stable: the last second is far below the first
        CDSP_CHECK(cdsp_rms(l + n - (size_t)FS, (size_t)FS) < 0.01f * cdsp_rms(l, (size_t)FS));
        printf("   reverb size %.1f: RT60 %.2f s, L/R correlation %.3f\n", sizes[s], times[s], corr);
    }
    CDSP_CHECK(times[0] > 0.3 && times[0] < times[1] && times[1] < times[2] && times[2] < 6.0);
    cdsp_reverb_destroy(rv);
    free(in);
    free(l);
    free(r);
}

CDSP_TEST(delay_repeats_at_time_with_feedback_and_ping_pong) {
    size_t n = (size_t)FS;
    float *in = calloc(n, sizeof(float)), *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    in[0] = 1.0f;
    cdsp_delay *d = cdsp_delay_create(FS, 1.0f);
    cdsp_delay_set(d, 0.25f, 0.5f, 0.0f, 0);
    cdsp_delay_reset(d);
    cdsp_delay_process(d, in, in, l, r, n);
    size_t T = (size_t)(0.25f * FS);
    CDSP_CHECK_NEAR(l[T], 1.0, 1e-4);
    CDSP_CHECK_NEAR(l[2 * T], 0.5, 1e-4);
    CDSP_CHECK_NEAR(r[3 * T], 0.25, 1e-4);
    CDSP_CHECK(cdsp_peak(l, T - 1) == 0.0f);
    // ping-pong: first echo left, second right, third left
    cdsp_delay_set(d, 0.25f, 0.5f, 0.0f, 1);
    cdsp_delay_reset(d);
    cdsp_delay_process(d, in, in, l, r, n);
    CDSP_CHECK_NEAR(l[T], 1.0, 1e-4);
    CDSP_CHECK_NEAR(r[T], 0.0, 1e-4);
    CDSP_CHECK_NEAR(r[2 * T], 0.5, 1e-4);
    CDSP_CHECK_NEAR(l[2 * T], 0.0, 1e-4);
    CDSP_CHECK_NEAR(l[3 * T], 0.25, 1e-4);
    // damping darkens repeats: the second echo of an impulse loses its peak
    cdsp_delay_set(d, 0.25f, 0.5f, 0.8f, 0);
    cdsp_delay_reset(d);
    cdsp_delay_process(d, in, in, l, r, n);
    CDSP_CHECK(cdsp_peak(l + 2 * T - 10, 20) < 0.25f);
    cdsp_delay_destroy(d);
    free(in);
    free(l);
    free(r);
}

CDSP_TEST(chorus_keeps_level_and_mix_zero_is_dry) {
    size_t n = (size_t)FS;
    float *l = sine(n, 440.0f, 0.5f, FS, 0.0f), *r = sine(n, 440.0f, 0.5f, FS, 0.0f);
    cdsp_chorus *c = cdsp_chorus_create(FS);
    cdsp_chorus_set(c, 0.8f, 0.003f, 0.0f);
    cdsp_chorus_process(c, l, r, n);
    CDSP_CHECK_NEAR(l[1234], 0.5 * sin(2 * M_PI * 440 * 1234 / FS), 1e-6);
    cdsp_chorus_set(c, 0.8f, 0.003f, 0.5f);
    cdsp_chorus_process(c, l, r, n);
    double rl = cdsp_rms(l + n / 2, n / 2), rr = cdsp_rms(r + n / 2, n / 2);
    CDSP_CHECK(db(rl / 0.3536) > -6.0 && db(rl / 0.3536) < 1.5);
    double diff = 0;  // left and right differ (stereo LFO offset)
    for (size_t i = n / 2; i < n; i++) diff += fabs(l[i] - r[i]);
    CDSP_CHECK(diff / (n / 2) > 0.005 && rr > 0.1);
    cdsp_chorus_destroy(c);
    free(l);
    free(r);
}

/// Test signal: a 220 Hz tone with decaying noise bursts, deterministic.
static float *test_signal(size_t n, unsigned seed) {
    float *x = malloc(n * sizeof(float));
    unsigned st = seed;
    for (size_t i = 0; i < n; i++) {
        st = st * 1664525u + 1013904223u;
        float noise = ((float)(st >> 8) / 16777216.0f - 0.5f) * expf(-(float)(i % 9000) / 900.0f);
        x[i] = 0.3f * sinf(2.0f * (float)M_PI * 220.0f * (float)i / FS) + noise;
    }
    return x;
}

/// Frame-by-frame Freeverb with the library's tunings and gains: the reference for the block implementation.
static void reference_reverb(const float *in, float *outl, float *outr, size_t n, float size, float damping,
                             float predelay) {
    static const int ct[8] = {1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617}, at[4] = {556, 441, 341, 225};
    float *cb[2][8], *ab[2][4], cs[2][8] = {{0}};
    size_t cl[2][8], al[2][4], cp[2][8] = {{0}}, ap[2][4] = {{0}};
    for (int ch = 0; ch < 2; ch++) {
        for (int k = 0; k < 8; k++) cb[ch][k] = calloc(cl[ch][k] = (size_t)(ct[k] + 23 * ch), sizeof(float));
        for (int k = 0; k < 4; k++) ab[ch][k] = calloc(al[ch][k] = (size_t)(at[k] + 23 * ch), sizeof(float));
    }
    const float fb = 0.70f + 0.25f * size, damp = 0.4f * damping;
    const size_t pd = (size_t)lroundf(predelay * FS);
    for (size_t i = 0; i < n; i++) {
        float input = (i >= pd ? 2.0f * in[i - pd] : 0.0f) * 0.015f;
        float o[2];
        for (int ch = 0; ch < 2; ch++) {
            float acc = 0.0f;
            for (int k = 0; k < 8; k++) {
                float out = cb[ch][k][cp[ch][k]];
                cs[ch][k] = out * (1.0f - damp) + cs[ch][k] * damp;
                if (fabsf(cs[ch][k]) < 1e-20f) cs[ch][k] = 0.0f;
                cb[ch][k][cp[ch][k]] = input + cs[ch][k] * fb;
                if (++cp[ch][k] == cl[ch][k]) cp[ch][k] = 0;
                acc += out;
            }
            for (int k = 0; k < 4; k++) {
                float b = ab[ch][k][ap[ch][k]], next = acc + b * 0.5f;
                ab[ch][k][ap[ch][k]] = fabsf(next) < 1e-20f ? 0.0f : next;
                if (++ap[ch][k] == al[ch][k]) ap[ch][k] = 0;
                acc = b - acc;
            }
            o[ch] = acc;
        }
        outl[i] = o[0] * 3.0f;  // width 1: wet1 = 3, wet2 = 0
        outr[i] = o[1] * 3.0f;
    }
    for (int ch = 0; ch < 2; ch++) {
        for (int k = 0; k < 8; k++) free(cb[ch][k]);
        for (int k = 0; k < 4; k++) free(ab[ch][k]);
    }
}

CDSP_TEST(reverb_blocks_match_frame_by_frame_reference_in_odd_chunks) {
    size_t n = (size_t)(FS * 3);
    float *in = test_signal(n, 7), *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    float *rl = malloc(n * sizeof(float)), *rr = malloc(n * sizeof(float));
    reference_reverb(in, rl, rr, n, 0.7f, 0.5f, 0.02f);
    cdsp_reverb *rv = cdsp_reverb_create(FS);
    cdsp_reverb_set(rv, 0.7f, 0.5f, 1.0f, 0.02f);
    size_t chunks[4] = {1, 333, 64, 4097};
    for (size_t at = 0, c = 0; at < n; c++) {
        size_t m = chunks[c % 4] < n - at ? chunks[c % 4] : n - at;
        cdsp_reverb_process(rv, in + at, in + at, l + at, r + at, m);
        at += m;
    }
    double err = 0, ref = 0;
    for (size_t i = 0; i < n; i++) {
        err = fmax(err, fmax(fabs(l[i] - rl[i]), fabs(r[i] - rr[i])));
        ref = fmax(ref, fabs(rl[i]));
    }
    printf("   reverb block vs reference: max error %.2e (reference peak %.3f)\n", err, ref);
    CDSP_CHECK(ref > 0.05 && err < 1e-5 * ref);
    cdsp_reverb_destroy(rv);
    free(in); free(l); free(r); free(rl); free(rr);
}

/// Frame-by-frame three-voice Catmull-Rom chorus, LFO evaluated per frame: the reference for the block version
/// (which ramps the delays over 32-frame control blocks).
static void reference_chorus(float *l, float *r, size_t n, float rate, float depth_s, float mix) {
    size_t len = (size_t)ceilf(0.05f * FS) + 8;
    float *b[2] = {calloc(len, sizeof(float)), calloc(len, sizeof(float))};
    const double base = 0.015 * FS, depth = depth_s * FS;
    for (size_t i = 0, pos = 0; i < n; i++, pos = (pos + 1) % len) {
        b[0][pos] = l[i];
        b[1][pos] = r[i];
        double w[2] = {0, 0};
        for (int v = 0; v < 3; v++)
            for (int ch = 0; ch < 2; ch++) {
                double ph = fmod(rate * (double)i / FS + v / 3.0 + 0.25 * ch, 1.0);
                double rp = (double)pos - (base + depth * sin(2 * M_PI * ph));
                if (rp < 0) rp += (double)len;
                size_t i1 = (size_t)rp;
                double t = rp - (double)i1;
                double y0 = b[ch][(i1 + len - 1) % len], y1 = b[ch][i1], y2 = b[ch][(i1 + 1) % len],
                       y3 = b[ch][(i1 + 2) % len];
                w[ch] += y1 + 0.5 * t * (y2 - y0 + t * (2 * y0 - 5 * y1 + 4 * y2 - y3 + t * (3 * (y1 - y2) + y3 - y0)));
            }
        l[i] = (float)((1 - 0.5 * mix) * l[i] + mix / 3 * w[0]);
        r[i] = (float)((1 - 0.5 * mix) * r[i] + mix / 3 * w[1]);
    }
    free(b[0]);
    free(b[1]);
}

CDSP_TEST(chorus_blocks_match_frame_by_frame_reference) {
    size_t n = (size_t)(FS * 2);
    float *l = test_signal(n, 3), *r = test_signal(n, 5);
    float *rl = malloc(n * sizeof(float)), *rr = malloc(n * sizeof(float));
    memcpy(rl, l, n * sizeof(float));
    memcpy(rr, r, n * sizeof(float));
    reference_chorus(rl, rr, n, 0.9f, 0.004f, 0.6f);
    cdsp_chorus *c = cdsp_chorus_create(FS);
    cdsp_chorus_set(c, 0.9f, 0.004f, 0.6f);
    size_t chunks[3] = {7, 1000, 129};
    for (size_t at = 0, k = 0; at < n; k++) {
        size_t m = chunks[k % 3] < n - at ? chunks[k % 3] : n - at;
        cdsp_chorus_process(c, l + at, r + at, m);
        at += m;
    }
    double err = 0, wet = 0;
    for (size_t i = 0; i < n; i++) {
        err = fmax(err, fmax(fabs(l[i] - rl[i]), fabs(r[i] - rr[i])));
        wet = fmax(wet, fabs(rl[i] - rr[i]));
    }
    printf("   chorus block vs reference: max error %.2e (L-R difference peak %.3f)\n", err, wet);
    CDSP_CHECK(wet > 0.05 && err < 1e-3);
    cdsp_chorus_destroy(c);
    free(l); free(r); free(rl); free(rr);
}

// --- EQ, mixing, resampling ------------------------------------------------------------------------------------

static double eq_gain_db(cdsp_eq_kind kind, float f0, float q, float g, float probe) {
    size_t n = (size_t)(FS / 2);
    float *x = sine(n, probe, 0.5f, FS, 0.0f);
    cdsp_biquad *f = cdsp_biquad_create(FS);
    cdsp_biquad_set(f, kind, f0, q, g);
    cdsp_biquad_process(f, x, n);
    double out = cdsp_rms(x + n / 2, n / 2) / (0.5 / sqrt(2.0));
    cdsp_biquad_destroy(f);
    free(x);
    return db(out);
}

CDSP_TEST(biquads_have_their_responses) {
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_LOWPASS, 1000, 0.707f, 0, 100), 0.0, 0.1);
    CDSP_CHECK(eq_gain_db(CDSP_EQ_LOWPASS, 1000, 0.707f, 0, 8000) < -34.0);
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_LOWPASS, 1000, 0.707f, 0, 1000), -3.01, 0.1);
    CDSP_CHECK(eq_gain_db(CDSP_EQ_HIGHPASS, 1000, 0.707f, 0, 125) < -34.0);
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_PEAK, 2000, 1.0f, 6.0f, 2000), 6.0, 0.1);
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_LOWSHELF, 200, 0.707f, -6.0f, 30), -6.0, 0.3);
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_HIGHSHELF, 4000, 0.707f, 4.0f, 15000), 4.0, 0.3);
    CDSP_CHECK_NEAR(eq_gain_db(CDSP_EQ_BANDPASS, 1000, 2.0f, 0, 1000), 0.0, 0.1);
}

/// The stereo cascade (eight filters at a time with AVX, then four, two, one) gives exactly the bytes of each filter run
/// alone, in 2048-sample calls (the cascade's state flush points), over several calls and lengths; and carries
/// its state from call to call.
CDSP_TEST(biquad_cascade_matches_filters_one_by_one) {
    const int counts[4] = {1, 2, 19, 40};
    // Blocks of 2048 with last blocks of 904, 8 (the shortest eight filters take in flight), 7, 4 (the shortest
    // for four) and 3 frames.
    const size_t lengths[5] = {5000, 2048 + 8, 2048 * 3 + 7, 2048 + 4, 3};
    for (int ci = 0; ci < 4; ci++) {
        int count = counts[ci];
        cdsp_biquad *cl[40], *cr[40], *rl[40], *rr[40];
        for (int k = 0; k < count; k++) {
            float hz = 31.25f * powf(2.0f, (float)(k % 19) / 2.0f), g = (float)((k * 7) % 13) - 6.0f;
            cl[k] = cdsp_biquad_create(FS); cr[k] = cdsp_biquad_create(FS);
            rl[k] = cdsp_biquad_create(FS); rr[k] = cdsp_biquad_create(FS);
            cdsp_biquad_set(cl[k], CDSP_EQ_PEAK, hz, 1.4f, g); cdsp_biquad_set(cr[k], CDSP_EQ_PEAK, hz, 1.4f, g);
            cdsp_biquad_set(rl[k], CDSP_EQ_PEAK, hz, 1.4f, g); cdsp_biquad_set(rr[k], CDSP_EQ_PEAK, hz, 1.4f, g);
        }
        int same = 1;
        uint32_t seed = 7;
        for (int call = 0; call < 5; call++) {
            size_t n = lengths[call];
            float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
            float *el = malloc(n * sizeof(float)), *er = malloc(n * sizeof(float));
            for (size_t i = 0; i < n; i++) {
                seed = seed * 1664525u + 1013904223u;
                float noise = (float)(seed >> 8) / 16777216.0f - 0.5f;
                // loud, then a quiet tail of tiny values that exercises the state flush
                float level = i < n / 2 ? 0.8f : 1e-30f;
                l[i] = el[i] = level * (noise + 0.5f * sinf(0.01f * (float)i));
                r[i] = er[i] = level * (0.3f * noise - 0.4f * sinf(0.003f * (float)i));
            }
            cdsp_biquad_cascade_stereo(cl, cr, count, l, r, n);
            for (int k = 0; k < count; k++) {
                for (size_t b = 0; b < n; b += 2048) {
                    size_t m = n - b < 2048 ? n - b : 2048;
                    cdsp_biquad_process(rl[k], el + b, m);
                    cdsp_biquad_process(rr[k], er + b, m);
                }
            }
            same &= memcmp(l, el, n * sizeof(float)) == 0 && memcmp(r, er, n * sizeof(float)) == 0;
            free(l); free(r); free(el); free(er);
        }
        CDSP_CHECK(same);
        if (!same) printf("   cascade of %d differs\n", count);
        for (int k = 0; k < count; k++) {
            cdsp_biquad_destroy(cl[k]); cdsp_biquad_destroy(cr[k]);
            cdsp_biquad_destroy(rl[k]); cdsp_biquad_destroy(rr[k]);
        }
    }
}

CDSP_TEST(mixing_helpers) {
    float one[4] = {1, 1, 1, 1}, l[4] = {0}, r[4] = {0};
    cdsp_mix_add_panned(one, 4, 1.0f, 0.0f, l, r);
    CDSP_CHECK_NEAR(db(l[0]), -3.01, 0.01);
    CDSP_CHECK_NEAR(l[3] * l[3] + r[3] * r[3], 1.0, 1e-5);
    cdsp_mix_add_panned(one, 4, 0.5f, -1.0f, l, r);
    CDSP_CHECK_NEAR(l[0], 0.7071 + 0.5, 1e-3);
    cdsp_mix_add_stereo(one, one, 4, 2.0f, l, r);
    CDSP_CHECK_NEAR(r[0], 0.7071 + 2.0, 1e-3);
    size_t n = (size_t)FS;
    float *x = sine(n, 200.0f, 0.5f, FS, 0.0f);
    for (size_t i = 0; i < n; i++) x[i] += 0.3f;
    cdsp_dc_block(x, n, FS);
    double mean = 0;
    for (size_t i = n / 2; i < n; i++) mean += x[i];
    CDSP_CHECK(fabs(mean / (n / 2)) < 1e-3);
    CDSP_CHECK_NEAR(cdsp_rms(x + n / 2, n / 2), 0.5 / sqrt(2.0), 0.01);  // 200 Hz untouched
    float s[3] = {1.0f, -1.0f, 0.1f};
    cdsp_saturate(s, 3, 3.0f);
    CDSP_CHECK_NEAR(s[0], 1.0, 1e-6);
    CDSP_CHECK_NEAR(s[1], -1.0, 1e-6);
    CDSP_CHECK(s[2] > 0.1f && s[2] < 0.35f);
    cdsp_gain(x, n, 0.0f);
    CDSP_CHECK(cdsp_peak(x, n) == 0.0f);
    free(x);
}

CDSP_TEST(resample_keeps_pitch_and_length) {
    size_t n = 44100;
    float *x = sine(n, 1000.0f, 0.5f, 44100.0f, 0.0f);
    size_t cap = 48100, got = 0;
    float *y = malloc(cap * sizeof(float));
    CDSP_CHECK(cdsp_resample(x, n, 1, 48000.0 / 44100.0, y, cap, &got) == CDSP_OK);
    CDSP_CHECK(got >= 47990 && got <= 48000);
    int crossings = 0;  // 1 kHz over the middle 0.5 s at 48 kHz: 1000 upward crossings per second
    for (size_t i = 12000; i < 36000; i++) crossings += (y[i] <= 0 && y[i + 1] > 0);
    CDSP_CHECK(abs(crossings - 500) <= 1);
    CDSP_CHECK_NEAR(cdsp_rms(y + 12000, 24000), 0.3536, 0.01);
    CDSP_CHECK(cdsp_resample(x, n, 0, 1.0, y, cap, &got) == CDSP_ERR_ARGUMENT);
    free(x);
    free(y);
}

CDSP_TEST(saturate_matches_tanh) {
    // The rational tanh in cdsp_saturate against libm over the whole useful range, at several drives.
    float drives[] = {0.5f, 1.0f, 2.5f, 4.0f};
    float worst = 0.0f;
    for (int d = 0; d < 4; d++) {
        float buf[2001];
        for (int i = 0; i < 2001; i++) buf[i] = -2.0f + 4.0f * (float)i / 2000.0f;
        cdsp_saturate(buf, 2001, drives[d]);
        for (int i = 0; i < 2001; i++) {
            float x = -2.0f + 4.0f * (float)i / 2000.0f;
            float want = tanhf(drives[d] * x) / tanhf(drives[d]);
            float err = fabsf(buf[i] - want);
            if (err > worst) worst = err;
        }
    }
    CDSP_CHECK(worst < 2e-4f);
}

int main(void) {
    CDSP_RUN(saturate_matches_tanh);
    CDSP_RUN(kweighting_matches_bs1770_table_at_48k);
    CDSP_RUN(loudness_of_stereo_and_mono_sine);
    CDSP_RUN(loudness_gates_quiet_passages);
    CDSP_RUN(true_peak_finds_intersample_peaks);
    CDSP_RUN(limiter_holds_true_peak_ceiling);
    CDSP_RUN(limiter_latency_and_transparency_below_ceiling);
    CDSP_RUN(compressor_static_curve);
    CDSP_RUN(reverb_decays_grows_with_size_and_decorrelates);
    CDSP_RUN(delay_repeats_at_time_with_feedback_and_ping_pong);
    CDSP_RUN(chorus_keeps_level_and_mix_zero_is_dry);
    CDSP_RUN(reverb_blocks_match_frame_by_frame_reference_in_odd_chunks);
    CDSP_RUN(chorus_blocks_match_frame_by_frame_reference);
    CDSP_RUN(biquads_have_their_responses);
    CDSP_RUN(biquad_cascade_matches_filters_one_by_one);
    CDSP_RUN(mixing_helpers);
    CDSP_RUN(resample_keeps_pitch_and_length);
    CDSP_TEST_END();
}
