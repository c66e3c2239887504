// Measured properties of the sound sources: aliasing of the oscillators, envelope shape, filter responses,
// pitch accuracy of every voice engine, silence after the tail, determinism, drum spectra and lengths.
#include <fftw3.h>
#include <string.h>
#include "cdsp.h"
#include "cdsp_test.h"

#define SR 44100.0f

static double db(double ratio) { return 10.0 * log10(ratio); }

/// Power spectrum (|X|^2 per bin, bin width SR/n) of a Blackman-Harris windowed signal.
static double *power_spectrum(const float *x, size_t n) {
    float *in = fftwf_malloc(sizeof(float) * n);
    fftwf_complex *X = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
    for (size_t i = 0; i < n; i++) {
        double t = 2.0 * M_PI * (double)i / (double)n;
        double w = 0.35875 - 0.48829 * cos(t) + 0.14128 * cos(2 * t) - 0.01168 * cos(3 * t);
        in[i] = (float)(w * x[i]);
    }
    fftwf_plan p = fftwf_plan_dft_r2c_1d((int)n, in, X, FFTW_ESTIMATE);
    fftwf_execute(p);
    double *pw = malloc(sizeof(double) * (n / 2 + 1));
    for (size_t k = 0; k <= n / 2; k++) pw[k] = (double)X[k][0] * X[k][0] + (double)X[k][1] * X[k][1];
    fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(X);
    return pw;
}

/// Fraction of energy of x between lo and hi Hz (no window: whole transient hits).
static double band_fraction(const float *x, size_t n, double lo, double hi) {
    float *in = fftwf_malloc(sizeof(float) * n);
    fftwf_complex *X = fftwf_malloc(sizeof(fftwf_complex) * (n / 2 + 1));
    memcpy(in, x, sizeof(float) * n);
    fftwf_plan p = fftwf_plan_dft_r2c_1d((int)n, in, X, FFTW_ESTIMATE);
    fftwf_execute(p);
    double in_band = 0, total = 0;
    for (size_t k = 1; k <= n / 2; k++) {
        double e = (double)X[k][0] * X[k][0] + (double)X[k][1] * X[k][1];
        double f = (double)k * SR / (double)n;
        total += e;
        if (f >= lo && f < hi) in_band += e;
    }
    fftwf_destroy_plan(p);
    fftwf_free(in);
    fftwf_free(X);
    return total > 0 ? in_band / total : 0;
}

static double spectral_centroid(const float *x, size_t n) {
    double *pw = power_spectrum(x, n);
    double num = 0, den = 0;
    for (size_t k = 1; k <= n / 2; k++) {
        num += pw[k] * (double)k * SR / (double)n;
        den += pw[k];
    }
    free(pw);
    return den > 0 ? num / den : 0;
}

static double rms(const float *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (double)(n ? n : 1));
}

static float peak(const float *x, size_t n) {
    float m = 0;
    for (size_t i = 0; i < n; i++) m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    return m;
}

static int all_finite(const float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return 0;
    return 1;
}

/// Coarse pitch (YIN: cumulative-mean-normalised difference, first dip under 0.15, parabolic refinement) over
/// 30 Hz ... 3 kHz; it has no idea of the expected pitch, so octave errors show.
static double yin_pitch(const float *x, size_t n) {
    size_t tmin = (size_t)(SR / 3000.0f), tmax = (size_t)(SR / 30.0f), w = n - tmax - 2;
    double *d = calloc(tmax + 2, sizeof(double));
    for (size_t t = 1; t <= tmax + 1; t++) {
        double s = 0;
        for (size_t i = 0; i < w; i += 2) {   // every other sample: plenty for a coarse estimate
            double e = (double)x[i] - x[i + t];
            s += e * e;
        }
        d[t] = s;
    }
    double run = 0;
    size_t best = 0;
    double cm[4096];
    for (size_t t = 1; t <= tmax + 1 && t < 4096; t++) {
        run += d[t];
        cm[t] = d[t] * (double)t / (run > 0 ? run : 1);
    }
    for (size_t t = tmin; t <= tmax; t++) {
        if (cm[t] < 0.15) {
            while (t + 1 <= tmax && cm[t + 1] < cm[t]) t++;
            best = t;
            break;
        }
    }
    if (!best) {   // no clear dip: take the global minimum
        best = tmin;
        for (size_t t = tmin; t <= tmax; t++)
            if (cm[t] < cm[best]) best = t;
    }
    double a = cm[best - 1], b = cm[best], c = cm[best + 1];
    double den = a - 2 * b + c, shift = den != 0 ? 0.5 * (a - c) / den : 0;
    free(d);
    return SR / ((double)best + shift);
}

/// Fine pitch: the frequency within +-40 cents of `guess` where the Hann-windowed DFT magnitude peaks.
static double dft_pitch(const float *x, size_t n, double guess) {
    double best_f = guess, best_p = -1;
    for (int pass = 0; pass < 2; pass++) {
        double centre = best_f, span = pass == 0 ? 40.0 : 2.0, step = pass == 0 ? 1.0 : 0.05;
        for (double cents = -span; cents <= span; cents += step) {
            double f = centre * pow(2.0, cents / 1200.0), re = 0, im = 0;
            double wr = cos(2 * M_PI * f / SR), wi = sin(2 * M_PI * f / SR), cr = 1, ci = 0;
            for (size_t i = 0; i < n; i++) {
                double hann = 0.5 - 0.5 * cos(2 * M_PI * (double)i / (double)n);
                re += hann * x[i] * cr;
                im += hann * x[i] * ci;
                double t = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = t;
            }
            double p = re * re + im * im;
            if (p > best_p) {
                best_p = p;
                best_f = f;
            }
        }
    }
    return best_f;
}

static double cents(double f, double ref) { return 1200.0 * log2(f / ref); }

// --------------------------------------------------------------------------------------------------------------

/// Aliasing of the band-limited oscillators at C8 (4186 Hz): everything in 20 Hz ... 19 kHz that is not within
/// 6 Hz of a harmonic is alias. The summed alias energy must be >= 40 dB under the fundamental, the strongest
/// single alias >= 45 dB under it (a naive saw here has aliases ~10 dB under the fundamental).
static void check_alias(cdsp_waveform wave, float f, double min_total_db, double min_single_db) {
    size_t n = 44100;
    float *x = malloc(sizeof(float) * n);
    cdsp_osc *o = cdsp_osc_create(SR);
    cdsp_osc_set(o, wave, f, 0.5f);
    cdsp_osc_process(o, NULL, x, n);
    double *pw = power_spectrum(x, n);
    double fund = 0, alias = 0, max_alias = 0;
    for (size_t k = 20; k < 19000; k++) {
        double h = (double)k / f, dist = fabs(h - round(h)) * f;
        if (dist < 6) {
            if (fabs((double)k - f) < 6) fund += pw[k];
        } else {
            alias += pw[k];
            if (pw[k] > max_alias) max_alias = pw[k];
        }
    }
    printf("     wave %d at %.0f Hz: alias %.1f dB total, %.1f dB strongest (under the fundamental)\n", wave, f,
           db(fund / alias), db(fund / max_alias));
    CDSP_CHECK(db(fund / alias) >= min_total_db);
    CDSP_CHECK(db(fund / max_alias) >= min_single_db);
    CDSP_CHECK(rms(x + 1000, n - 1000) > 0.3);   // full level, not band-limited into silence
    free(pw);
    free(x);
    cdsp_osc_destroy(o);
}

CDSP_TEST(oscillators_are_band_limited_at_c8) {
    check_alias(CDSP_WAVE_SAW, 4186.0f, 40, 45);
    check_alias(CDSP_WAVE_SQUARE, 4186.0f, 40, 45);
    check_alias(CDSP_WAVE_TRIANGLE, 4186.0f, 60, 65);
    check_alias(CDSP_WAVE_SAW, 1000.0f, 50, 55);
}

/// The instrument these tests play: a soft saw through a resonant low-pass whose envelope, key and velocity move
/// it (what cdsp_voice_params_default gave before the defaults came from the preset table, cdsp_params.h, where
/// every modulation is off).
static void test_instrument(cdsp_voice_params *p) {
    cdsp_voice_params_default(p);
    p->osc2_level = 0.5f;
    p->osc2_detune = 7.0f;
    p->fm_index = 2.0f;
    p->fm_index_decay = 0.5f;
    p->filter = CDSP_FILTER_SVF_LP;
    p->cutoff = 1800.0f;
    p->resonance = 0.15f;
    p->filter_env_amount = 1.5f;
    p->key_tracking = 0.5f;
    p->velocity_to_cutoff = 1.0f;
    p->amp_decay = 0.6f;
    p->amp_sustain = 0.7f;
    p->amp_release = 0.25f;
    p->filt_decay = 0.6f;
    p->filt_sustain = 0.3f;
    p->filt_release = 0.3f;
    p->vibrato_rate = 5.5f;
    p->gain = 0.5f;
}

/// The same measurement on whole notes: a voice renders low and middle notes at the base rate and only notes
/// whose edged oscillators run above ~1.5 kHz at twice the rate; the 4-point polyBLEP of the base-rate path is
/// measured here (2-point polyBLEP would leave 37.7 dB at A4, 34.3 dB at A5). One oscillator, no filter.
static void voice_alias(cdsp_waveform wave, float f, double min_total_db, double min_single_db) {
    size_t skip = 4410, n = 44100, total = skip + n;
    float *x = calloc(total, sizeof(float));
    cdsp_voice_params p;
    test_instrument(&p);
    p.wave1 = wave;
    p.osc2_level = 0.0f;
    p.filter = CDSP_FILTER_NONE;
    p.amp_attack = 0.001f;
    p.amp_sustain = 1.0f;
    p.vibrato_depth = 0.0f;
    p.gain = 1.0f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, f, 0, 1.0f, total, 7, x, total) == CDSP_OK);
    double *pw = power_spectrum(x + skip, n);
    double fund = 0, alias = 0, max_alias = 0;
    for (size_t k = 20; k < 19000; k++) {
        double h = (double)k / f, dist = fabs(h - round(h)) * f;
        if (dist < 6) {
            if (fabs((double)k - f) < 6) fund += pw[k];
        } else {
            alias += pw[k];
            if (pw[k] > max_alias) max_alias = pw[k];
        }
    }
    printf("     voice wave %d at %.0f Hz: alias %.1f dB total, %.1f dB strongest (under the fundamental)\n", wave, f,
           db(fund / alias), db(fund / max_alias));
    CDSP_CHECK(db(fund / alias) >= min_total_db);
    CDSP_CHECK(db(fund / max_alias) >= min_single_db);
    CDSP_CHECK(rms(x + skip, n) > 0.2);
    free(pw);
    free(x);
}

CDSP_TEST(voice_oscillators_are_band_limited) {
    voice_alias(CDSP_WAVE_SAW, 440.0f, 45, 55);       // A4, 4-point polyBLEP at the base rate
    voice_alias(CDSP_WAVE_SAW, 880.0f, 44, 50);       // A5, 4-point polyBLEP at the base rate
    voice_alias(CDSP_WAVE_SQUARE, 880.0f, 40, 45);
    voice_alias(CDSP_WAVE_TRIANGLE, 880.0f, 60, 65);
    voice_alias(CDSP_WAVE_SAW, 1400.0f, 40, 45);      // the highest notes below the oversampling threshold
    voice_alias(CDSP_WAVE_SAW, 4186.0f, 40, 45);      // C8, oversampled
    voice_alias(CDSP_WAVE_SQUARE, 4186.0f, 40, 45);
}

CDSP_TEST(oscillator_frequency_and_modulation) {
    size_t n = 44100;
    float *x = malloc(sizeof(float) * n), *mod = malloc(sizeof(float) * n);
    cdsp_osc *o = cdsp_osc_create(SR);
    for (size_t i = 0; i < n; i++) mod[i] = 2.0f;   // frequency multiplier: one octave up
    const cdsp_waveform waves[4] = {CDSP_WAVE_SINE, CDSP_WAVE_SAW, CDSP_WAVE_SQUARE, CDSP_WAVE_TRIANGLE};
    for (int w = 0; w < 4; w++) {
        cdsp_osc_reset(o, 0.0f);
        cdsp_osc_set(o, waves[w], 220.0f, 0.5f);
        cdsp_osc_process(o, mod, x, n);
        CDSP_CHECK(fabs(cents(dft_pitch(x, 16384, 440.0), 440.0)) < 1.0);
        CDSP_CHECK(fabs(x[n / 2]) <= 1.2f && all_finite(x, n));
    }
    free(x);
    free(mod);
    cdsp_osc_destroy(o);
}

CDSP_TEST(noise_white_and_pink) {
    size_t n = 1 << 16;
    float *w = malloc(sizeof(float) * n), *p = malloc(sizeof(float) * n), *w2 = malloc(sizeof(float) * n);
    cdsp_noise *a = cdsp_noise_create(CDSP_NOISE_WHITE, 5), *b = cdsp_noise_create(CDSP_NOISE_PINK, 5);
    cdsp_noise *c = cdsp_noise_create(CDSP_NOISE_WHITE, 5);
    cdsp_noise_process(a, w, n);
    cdsp_noise_process(b, p, n);
    cdsp_noise_process(c, w2, n);
    CDSP_CHECK(memcmp(w, w2, sizeof(float) * n) == 0);
    CDSP_CHECK_NEAR(rms(w, n), 1.0 / sqrt(3.0), 0.01);
    // white: equal energy per Hz -> the 8-16 kHz octave holds ~64x the 125-250 Hz octave; pink: about equal
    double wl = band_fraction(w, n, 125, 250), wh = band_fraction(w, n, 8000, 16000);
    double pl = band_fraction(p, n, 125, 250), ph = band_fraction(p, n, 8000, 16000);
    CDSP_CHECK_NEAR(db(wh / wl), db(64.0), 1.5);
    CDSP_CHECK_NEAR(db(ph / pl), 0.0, 2.0);
    free(w);
    free(p);
    free(w2);
    cdsp_noise_destroy(a);
    cdsp_noise_destroy(b);
    cdsp_noise_destroy(c);
}

CDSP_TEST(adsr_shape) {
    cdsp_adsr *e = cdsp_adsr_create(1000.0f);   // 1 kHz: one frame per millisecond
    float x[4000];
    cdsp_adsr_set(e, 0.1f, 0.2f, 0.5f, 0.3f);
    cdsp_adsr_gate(e, 1);
    cdsp_adsr_process(e, x, 1000);
    CDSP_CHECK_NEAR(x[49], 0.5, 0.011);          // linear attack: half way at half the attack time
    CDSP_CHECK_NEAR(x[24], 0.25, 0.011);
    CDSP_CHECK_NEAR(x[99], 1.0, 0.011);
    // exponential decay: after the decay time 60 dB of the distance to sustain is gone
    CDSP_CHECK_NEAR(x[299] - 0.5, 0.5 * 0.001, 0.002);
    CDSP_CHECK(x[150] - 0.5 > 0.5 * 0.1 && x[150] < 1.0f);   // still well above sustain mid-decay
    CDSP_CHECK_NEAR(x[999], 0.5, 1e-6);          // sustain held
    cdsp_adsr_gate(e, 0);
    cdsp_adsr_process(e, x, 1000);
    CDSP_CHECK_NEAR(x[299], 0.5 * 0.001, 0.0002);   // release: -60 dB after the release time
    CDSP_CHECK(cdsp_adsr_is_idle(e));
    CDSP_CHECK(x[999] == 0.0f);
    // gate off during the attack releases from the current level, not from 1 or the sustain
    cdsp_adsr_gate(e, 1);
    cdsp_adsr_process(e, x, 30);
    float at = x[29];
    CDSP_CHECK_NEAR(at, 0.3, 0.02);
    cdsp_adsr_gate(e, 0);
    cdsp_adsr_process(e, x, 300);
    CDSP_CHECK(x[0] < at && x[0] > 0.9f * at);
    CDSP_CHECK_NEAR(x[299], at * 0.001, 0.0002);
    // retrigger restarts the attack from the current level
    cdsp_adsr_gate(e, 1);
    cdsp_adsr_process(e, x, 5);
    CDSP_CHECK(x[0] > 0.0f && x[4] > x[0]);
    cdsp_adsr_destroy(e);
}

/// Steady-state gain (dB) of a filter for a sine at f.
static double svf_gain(cdsp_svf_mode mode, float cutoff, float res, float f) {
    size_t n = 8820;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) x[i] = sinf(2.0f * (float)M_PI * f * (float)i / SR);
    cdsp_svf *s = cdsp_svf_create(SR);
    cdsp_svf_set(s, mode, cutoff, res);
    double in = rms(x + n / 2, n / 2);
    cdsp_svf_process(s, NULL, x, n);
    double g = 20 * log10(rms(x + n / 2, n / 2) / in);
    cdsp_svf_destroy(s);
    free(x);
    return g;
}

static double ladder_gain(float cutoff, float res, float f) {
    size_t n = 8820;
    float *x = malloc(sizeof(float) * n);
    for (size_t i = 0; i < n; i++) x[i] = 0.1f * sinf(2.0f * (float)M_PI * f * (float)i / SR);
    cdsp_ladder *l = cdsp_ladder_create(SR);
    cdsp_ladder_set(l, cutoff, res, 1.0f);
    double in = rms(x + n / 2, n / 2);
    cdsp_ladder_process(l, NULL, x, n);
    double g = 20 * log10(rms(x + n / 2, n / 2) / in);
    cdsp_ladder_destroy(l);
    free(x);
    return g;
}

CDSP_TEST(svf_frequency_response) {
    CDSP_CHECK_NEAR(svf_gain(CDSP_SVF_LOWPASS, 1000, 0, 100), 0.0, 0.1);
    CDSP_CHECK_NEAR(svf_gain(CDSP_SVF_LOWPASS, 1000, 0, 1000), -3.01, 0.3);   // Butterworth at resonance 0
    CDSP_CHECK(svf_gain(CDSP_SVF_LOWPASS, 1000, 0, 2000) < -11.0);            // 12 dB/octave
    CDSP_CHECK(svf_gain(CDSP_SVF_LOWPASS, 1000, 0, 4000) < -23.0);
    CDSP_CHECK_NEAR(svf_gain(CDSP_SVF_HIGHPASS, 1000, 0, 1000), -3.01, 0.3);
    CDSP_CHECK(svf_gain(CDSP_SVF_HIGHPASS, 1000, 0, 500) < -11.0);
    CDSP_CHECK_NEAR(svf_gain(CDSP_SVF_BANDPASS, 1000, 0.5f, 1000), 0.0, 0.3);
    CDSP_CHECK(svf_gain(CDSP_SVF_NOTCH, 1000, 0, 1000) < -30.0);
    CDSP_CHECK(svf_gain(CDSP_SVF_LOWPASS, 1000, 0.9f, 1000) > 10.0);   // resonance peaks
    CDSP_CHECK_NEAR(svf_gain(CDSP_SVF_LOWPASS, 15000, 0, 15000), -3.01, 0.5);   // exact at high cutoffs too
}

CDSP_TEST(ladder_frequency_response) {
    CDSP_CHECK_NEAR(ladder_gain(1000, 0, 60), 0.0, 0.2);
    double at = ladder_gain(1000, 0, 1000), oct = ladder_gain(1000, 0, 2000);
    CDSP_CHECK_NEAR(at, -12.0, 1.0);    // four poles, each -3 dB at the cutoff
    CDSP_CHECK(oct < -26.0);            // ~24 dB/octave
    CDSP_CHECK(ladder_gain(1000, 0.8f, 1000) > at + 9.0);   // resonance lifts the cutoff region
}

CDSP_TEST(filters_survive_extreme_settings) {
    size_t n = 44100;
    float *x = malloc(sizeof(float) * n), *mod = malloc(sizeof(float) * n);
    cdsp_rng r;
    cdsp_rng_seed(&r, 1);
    cdsp_svf *s = cdsp_svf_create(SR);
    cdsp_ladder *l = cdsp_ladder_create(SR);
    const float cutoffs[4] = {5.0f, 20.0f, 0.45f * SR, 1e9f};
    for (int c = 0; c < 4; c++) {
        for (int mode = 0; mode < 4; mode++) {
            for (size_t i = 0; i < n; i++) x[i] = (i % 1000 == 0 ? 50.0f : 0.0f) + 4.0f * cdsp_rng_bipolar(&r);
            cdsp_svf_set(s, (cdsp_svf_mode)mode, cutoffs[c], 1.0f);
            cdsp_svf_process(s, NULL, x, n);
            CDSP_CHECK(all_finite(x, n) && peak(x, n) < 1e4f);
        }
        for (size_t i = 0; i < n; i++) x[i] = (i % 1000 == 0 ? 50.0f : 0.0f) + 4.0f * cdsp_rng_bipolar(&r);
        cdsp_ladder_set(l, cutoffs[c], 1.0f, 20.0f);
        cdsp_ladder_process(l, NULL, x, n);
        CDSP_CHECK(all_finite(x, n) && peak(x, n) < 10.0f);
    }
    // per-sample cutoff modulation sweeping 20 Hz ... 0.45 fs at resonance 1
    for (size_t i = 0; i < n; i++) {
        mod[i] = 20.0f * powf(1000.0f, 0.5f + 0.5f * sinf((float)i * 0.003f));
        x[i] = cdsp_rng_bipolar(&r);
    }
    cdsp_svf_set(s, CDSP_SVF_LOWPASS, 1000, 1.0f);
    cdsp_svf_process(s, mod, x, n);
    CDSP_CHECK(all_finite(x, n) && peak(x, n) < 1e4f);
    for (size_t i = 0; i < n; i++) x[i] = cdsp_rng_bipolar(&r);
    cdsp_ladder_process(l, mod, x, n);
    CDSP_CHECK(all_finite(x, n) && peak(x, n) < 10.0f);
    cdsp_svf_destroy(s);
    cdsp_ladder_destroy(l);
    free(x);
    free(mod);
}

// --------------------------------------------------------------------------------------------------------------
// Voices

static void engine_params(cdsp_voice_params *p, int engine) {
    test_instrument(p);
    p->engine = engine;
    p->amp_sustain = 0.8f;
    if (engine == CDSP_ENGINE_FM) {   // electric-piano-ish
        p->filter = CDSP_FILTER_NONE;
        p->fm_ratio = 1.0f;
        p->fm_index = 2.5f;
        p->fm_index_decay = 0.6f;
        p->fm_feedback = 0.2f;
    } else if (engine == CDSP_ENGINE_PLUCK) {   // guitar-ish
        p->filter = CDSP_FILTER_NONE;
        p->amp_sustain = 1.0f;
        p->pluck_damping = 0.3f;
    } else if (engine == CDSP_ENGINE_ADDITIVE) {   // piano-ish
        p->filter = CDSP_FILTER_NONE;
        p->additive_partials = 12;
        p->additive_decay = 1.5f;
        p->additive_rolloff = 1.2f;
    }
}

CDSP_TEST(voice_pitch_is_accurate_for_every_engine) {
    const float pitches[5] = {41.2f, 110.0f, 440.0f, 1000.0f, 1975.5f};
    size_t n = 26000, seg = 16384;
    float *x = malloc(sizeof(float) * n);
    for (int engine = 0; engine < 4; engine++) {
        double worst = 0;
        for (int k = 0; k < 5; k++) {
            cdsp_voice_params p;
            engine_params(&p, engine);
            memset(x, 0, sizeof(float) * n);
            CDSP_CHECK(cdsp_voice_render(&p, SR, pitches[k], 0, 0.8f, n, 7 + (uint64_t)k, x, n) == CDSP_OK);
            const float *mid = x + 4000;
            double coarse = yin_pitch(mid, seg), fine = dft_pitch(mid, seg, coarse);
            double err = cents(fine, pitches[k]);
            if (fabs(err) > fabs(worst)) worst = err;
            if (!(fabs(cents(coarse, pitches[k])) < 30.0) || !(fabs(err) < 5.0))
                printf("     engine %d at %.1f Hz: yin %.2f Hz, dft %.3f Hz (%.2f cents)\n", engine, pitches[k], coarse,
                       fine, err);
            CDSP_CHECK(fabs(cents(coarse, pitches[k])) < 30.0);   // no octave or gross errors
            CDSP_CHECK(fabs(err) < (engine == CDSP_ENGINE_PLUCK ? 3.0 : 5.0));
        }
        printf("     engine %d: worst pitch error %.2f cents over 41 Hz ... 2 kHz\n", engine, worst);
    }
    free(x);
}

CDSP_TEST(voice_is_silent_after_its_tail) {
    for (int engine = 0; engine < 4; engine++) {
        cdsp_voice_params p;
        engine_params(&p, engine);
        p.amp_release = 0.4f;
        p.resonance = 0.9f;
        size_t on = 11025, tail = cdsp_voice_tail_frames(&p, SR), n = on + tail + 4410;
        CDSP_CHECK(tail >= (size_t)(0.4f * SR * 7.0f / 6.0f) && tail < (size_t)(0.5f * SR));
        float *x = calloc(n, sizeof(float));
        CDSP_CHECK(cdsp_voice_render(&p, SR, 220.0f, 0, 1.0f, on, 3, x, n) == CDSP_OK);
        float held = peak(x, on);
        CDSP_CHECK(held > 0.05f);
        CDSP_CHECK(peak(x + on + tail, n - on - tail) == 0.0f);   // the note has stopped by the tail's end
        // ... and it stopped quietly: its last 10 ms are more than 60 dB under the held level (-70 dB envelope)
        CDSP_CHECK(peak(x + on + tail - 441, 441) < 1e-3f * held);
        // the release is a decay, not a cut: half way through the tail it is quieter than held, yet not silent
        float mid = peak(x + on + tail / 4, 2000);
        CDSP_CHECK(mid < 0.5f * held && mid > 1e-4f);
        CDSP_CHECK(all_finite(x, n));
        free(x);
    }
}

CDSP_TEST(voice_is_deterministic_per_seed) {
    size_t n = 22050;
    float *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float)), *c = calloc(n, sizeof(float));
    for (int engine = 0; engine < 4; engine++) {
        cdsp_voice_params p;
        engine_params(&p, engine);
        p.noise_level = 0.2f;
        p.unison_detune = 10.0f;
        memset(a, 0, sizeof(float) * n);
        memset(b, 0, sizeof(float) * n);
        memset(c, 0, sizeof(float) * n);
        cdsp_voice_render(&p, SR, 330.0f, 0, 0.7f, n / 2, 99, a, n);
        cdsp_voice_render(&p, SR, 330.0f, 0, 0.7f, n / 2, 99, b, n);
        cdsp_voice_render(&p, SR, 330.0f, 0, 0.7f, n / 2, 100, c, n);
        CDSP_CHECK(memcmp(a, b, sizeof(float) * n) == 0);
        if (engine != CDSP_ENGINE_FM) CDSP_CHECK(memcmp(a, c, sizeof(float) * n) != 0);   // seed drives noise
    }
    // the render ADDS: rendering twice into one buffer doubles it
    cdsp_voice_params p;
    engine_params(&p, CDSP_ENGINE_SUBTRACTIVE);
    memset(a, 0, sizeof(float) * n);
    cdsp_voice_render(&p, SR, 330.0f, 0, 0.7f, n / 2, 1, a, n);
    memcpy(b, a, sizeof(float) * n);
    cdsp_voice_render(&p, SR, 330.0f, 0, 0.7f, n / 2, 1, a, n);
    for (size_t i = 0; i < n; i += 97) CDSP_CHECK_NEAR(a[i], 2.0 * b[i], 1e-6);
    free(a);
    free(b);
    free(c);
}

CDSP_TEST(voice_velocity_changes_level_and_brightness) {
    size_t n = 22050;
    float *soft = calloc(n, sizeof(float)), *loud = calloc(n, sizeof(float));
    for (int engine = 0; engine < 4; engine++) {
        cdsp_voice_params p;
        engine_params(&p, engine);
        memset(soft, 0, sizeof(float) * n);
        memset(loud, 0, sizeof(float) * n);
        cdsp_voice_render(&p, SR, 220.0f, 0, 0.4f, n, 5, soft, n);
        cdsp_voice_render(&p, SR, 220.0f, 0, 1.0f, n, 5, loud, n);
        double level_db = 20 * log10(rms(loud, n) / rms(soft, n));
        double c_soft = spectral_centroid(soft, 16384), c_loud = spectral_centroid(loud, 16384);
        CDSP_CHECK(level_db > 6.0 && level_db < 20.0);
        CDSP_CHECK(c_loud > 1.1 * c_soft);
    }
    free(soft);
    free(loud);
}

CDSP_TEST(voice_glide_and_vibrato) {
    size_t n = 44100;
    float *x = calloc(n, sizeof(float));
    cdsp_voice_params p;
    engine_params(&p, CDSP_ENGINE_ADDITIVE);
    p.additive_decay = 0;
    p.glide = 0.1f;
    cdsp_voice_render(&p, SR, 440.0f, 220.0f, 0.8f, n, 1, x, n);
    double early = dft_pitch(x + 100, 1024, yin_pitch(x + 100, 2600));
    double late = dft_pitch(x + 22050, 16384, 440.0);
    CDSP_CHECK(early < 260.0);                 // still near the note it glides from
    CDSP_CHECK(fabs(cents(late, 440.0)) < 2.0);
    // vibrato: pitch over 20 ms windows swings by about +-depth after the delay, not before
    memset(x, 0, sizeof(float) * n);
    p.glide = 0;
    p.vibrato_depth = 50.0f;
    p.vibrato_rate = 5.0f;
    p.vibrato_delay = 0.2f;
    cdsp_voice_render(&p, SR, 440.0f, 0, 0.8f, n, 1, x, n);
    double lo = 1e9, hi = 0, before_lo = 1e9, before_hi = 0;
    for (size_t s = 0; s + 2600 < n; s += 441) {
        double f = yin_pitch(x + s, 2600);
        if (s + 2600 < (size_t)(0.2f * SR)) {
            before_lo = f < before_lo ? f : before_lo;
            before_hi = f > before_hi ? f : before_hi;
        } else if (s > (size_t)(0.5f * SR)) {
            lo = f < lo ? f : lo;
            hi = f > hi ? f : hi;
        }
    }
    CDSP_CHECK(cents(before_hi, before_lo) < 3.0);
    CDSP_CHECK(cents(hi, 440.0) > 35.0 && cents(hi, 440.0) < 60.0);
    CDSP_CHECK(cents(lo, 440.0) < -35.0 && cents(lo, 440.0) > -60.0);
    free(x);
}

CDSP_TEST(voice_survives_extreme_parameters) {
    size_t n = 22050;
    float *x = calloc(n, sizeof(float));
    for (int engine = 0; engine < 4; engine++) {
        for (int filter = 0; filter <= CDSP_FILTER_SVF_HP; filter++) {
            cdsp_voice_params p;
            engine_params(&p, engine);
            p.filter = filter;
            p.cutoff = 40000.0f;
            p.resonance = 1.0f;
            p.drive = 20.0f;
            p.filter_env_amount = 8.0f;
            p.fm_index = 20.0f;
            p.fm_feedback = 1.0f;
            p.pluck_damping = 0.0f;
            p.pluck_brightness = 1.0f;
            p.additive_partials = 32.0f;
            p.vibrato_depth = 200.0f;
            p.vibrato_delay = 0.0f;
            p.glide = 0.2f;
            p.noise_level = 1.0f;
            p.sub_level = 1.0f;
            p.unison_detune = 100.0f;
            p.gain = 1.0f;
            memset(x, 0, sizeof(float) * n);
            CDSP_CHECK(cdsp_voice_render(&p, SR, 0.44f * SR, 20.0f, 1.0f, n / 2, 2, x, n) == CDSP_OK);
            CDSP_CHECK(all_finite(x, n) && peak(x, n) < 8.0f);
            memset(x, 0, sizeof(float) * n);
            CDSP_CHECK(cdsp_voice_render(&p, SR, 8.0f, 19000.0f, 1.0f, n / 2, 2, x, n) == CDSP_OK);
            CDSP_CHECK(all_finite(x, n) && peak(x, n) < 8.0f);
        }
    }
    cdsp_voice_params p;
    test_instrument(&p);
    p.cutoff = NAN;
    p.amp_release = -1.0f;
    p.engine = 99;
    memset(x, 0, sizeof(float) * n);
    CDSP_CHECK(cdsp_voice_render(&p, SR, 220.0f, 0, 1.0f, n / 2, 2, x, n) == CDSP_OK);
    CDSP_CHECK(all_finite(x, n));
    CDSP_CHECK(cdsp_voice_render(&p, SR, -5.0f, 0, 1.0f, n / 2, 2, x, n) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_voice_render(&p, SR, 30000.0f, 0, 1.0f, n / 2, 2, x, n) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_voice_render(NULL, SR, 220.0f, 0, 1.0f, n / 2, 2, x, n) == CDSP_ERR_ARGUMENT);
    free(x);
}

// --------------------------------------------------------------------------------------------------------------
// Drums

static float *render_drum(cdsp_drum_kind kind, const cdsp_drum_params *p, uint64_t seed, size_t *len) {
    *len = cdsp_drum_length(kind, p, SR);
    float *x = calloc(*len + 1000, sizeof(float));
    cdsp_drum_render(kind, p, SR, 1.0f, seed, x, *len + 1000);
    return x;
}

CDSP_TEST(drum_kinds_are_finite_and_decay) {
    cdsp_drum_params p;
    cdsp_drum_params_default(&p);
    for (int k = 0; k < CDSP_DRUM_KIND_COUNT; k++) {
        size_t len;
        float *x = render_drum((cdsp_drum_kind)k, &p, 11, &len);
        float pk = peak(x, len);
        CDSP_CHECK(len > (size_t)(0.02f * SR) && len < (size_t)(8.0f * SR));
        CDSP_CHECK(pk > 0.1f && pk < 2.0f);
        CDSP_CHECK(all_finite(x, len + 1000));
        // the length is where it has died away: its last 5% is 60 dB under the peak, nothing after it
        CDSP_CHECK(peak(x + len - len / 20, len / 20) < 1e-3f * pk);
        CDSP_CHECK(peak(x + len, 1000) == 0.0f);
        // same seed, same samples; another seed, other noise
        size_t len2;
        float *y = render_drum((cdsp_drum_kind)k, &p, 11, &len2), *z = render_drum((cdsp_drum_kind)k, &p, 12, &len2);
        CDSP_CHECK(memcmp(x, y, sizeof(float) * len) == 0);
        CDSP_CHECK(memcmp(x, z, sizeof(float) * len) != 0);
        free(x);
        free(y);
        free(z);
    }
}

CDSP_TEST(drum_spectra) {
    cdsp_drum_params p;
    cdsp_drum_params_default(&p);
    size_t len;
    float *x = render_drum(CDSP_DRUM_KICK, &p, 1, &len);
    double kick_low = band_fraction(x, len, 0, 150);
    free(x);
    x = render_drum(CDSP_DRUM_CLOSED_HAT, &p, 1, &len);
    double closed_high = band_fraction(x, len, 5000, 22050);
    free(x);
    x = render_drum(CDSP_DRUM_OPEN_HAT, &p, 1, &len);
    double open_high = band_fraction(x, len, 5000, 22050);
    free(x);
    x = render_drum(CDSP_DRUM_SNARE, &p, 1, &len);
    double snare_mid = band_fraction(x, len, 150, 10000);
    free(x);
    x = render_drum(CDSP_DRUM_CRASH, &p, 1, &len);
    double crash_high = band_fraction(x, len, 3000, 22050);
    free(x);
    printf("     kick %.0f%% under 150 Hz, hats %.0f%% / %.0f%% over 5 kHz, snare %.0f%% in 150 Hz-10 kHz, crash %.0f%% "
           "over 3 kHz\n", 100 * kick_low, 100 * closed_high, 100 * open_high, 100 * snare_mid, 100 * crash_high);
    CDSP_CHECK(kick_low > 0.85);
    CDSP_CHECK(closed_high > 0.9);
    CDSP_CHECK(open_high > 0.9);
    CDSP_CHECK(snare_mid > 0.85);
    CDSP_CHECK(crash_high > 0.9);
}

CDSP_TEST(drum_controls_do_what_they_say) {
    cdsp_drum_params p;
    cdsp_drum_params_default(&p);
    size_t len, len_up, len_long;
    // tune: a tom an octave up sounds an octave up
    float *x = render_drum(CDSP_DRUM_TOM_MID, &p, 1, &len);
    double f0 = yin_pitch(x + 4410, 8192);
    p.tune = 12.0f;
    float *y = render_drum(CDSP_DRUM_TOM_MID, &p, 1, &len_up);
    double f1 = yin_pitch(y + 4410, 8192);
    CDSP_CHECK_NEAR(cents(f1, f0), 1200.0, 60.0);
    free(x);
    free(y);
    // decay: twice the decay, twice the length and a later energy centre
    cdsp_drum_params_default(&p);
    x = render_drum(CDSP_DRUM_OPEN_HAT, &p, 1, &len);
    p.decay = 2.0f;
    y = render_drum(CDSP_DRUM_OPEN_HAT, &p, 1, &len_long);
    CDSP_CHECK_NEAR((double)len_long / (double)len, 2.0, 0.05);
    CDSP_CHECK(rms(y + len / 2, len / 2) > 3.0 * rms(x + len / 2, len / 2));
    free(x);
    free(y);
    // tone: brighter snare and hat
    for (int k = 0; k < 2; k++) {
        cdsp_drum_kind kind = k == 0 ? CDSP_DRUM_SNARE : CDSP_DRUM_CLOSED_HAT;
        cdsp_drum_params_default(&p);
        p.tone = 0.0f;
        x = render_drum(kind, &p, 1, &len);
        p.tone = 1.0f;
        y = render_drum(kind, &p, 1, &len);
        CDSP_CHECK(spectral_centroid(y, len) > 1.15 * spectral_centroid(x, len));
        free(x);
        free(y);
    }
    // drive: lower crest factor (peak / rms) on the kick
    cdsp_drum_params_default(&p);
    x = render_drum(CDSP_DRUM_KICK, &p, 1, &len);
    p.drive = 6.0f;
    y = render_drum(CDSP_DRUM_KICK, &p, 1, &len);
    CDSP_CHECK(peak(y, len) / rms(y, len) < 0.8 * peak(x, len) / rms(x, len));
    free(x);
    free(y);
    // velocity: softer hit, lower level
    cdsp_drum_params_default(&p);
    len = cdsp_drum_length(CDSP_DRUM_SNARE, &p, SR);
    x = calloc(len, sizeof(float));
    y = calloc(len, sizeof(float));
    cdsp_drum_render(CDSP_DRUM_SNARE, &p, SR, 1.0f, 3, x, len);
    cdsp_drum_render(CDSP_DRUM_SNARE, &p, SR, 0.5f, 3, y, len);
    CDSP_CHECK(20 * log10(rms(x, len) / rms(y, len)) > 4.0);
    CDSP_CHECK(cdsp_drum_render(CDSP_DRUM_KIND_COUNT, &p, SR, 1.0f, 3, x, len) == CDSP_ERR_ARGUMENT);
    free(x);
    free(y);
}

/// The build into a chorus (build.c): the riser rises in level (24 dB of envelope, plus its band widening with its
/// centre: about 35 dB from its first tenth to its last) and
/// in pitch (its centroid from under 1 kHz to over 4 kHz), its two channels differ, the same seed gives the same
/// samples and another seed others, it adds (a buffer holding a signal keeps it), and bad arguments are refused.
/// The opening low-pass: 2 kHz is cut by over 12 dB at the span's start and passes within 1 dB at its end, and
/// filtering in windows gives the samples one call gives.
static double mean_of(const float *x, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++) s += x[i];
    return n ? s / (double)n : 0;
}

CDSP_TEST(build_riser_and_opening) {
    const size_t n = 4 * 44100, tenth = n / 10;
    float *l = calloc(n, sizeof(float)), *r = calloc(n, sizeof(float));
    float *l2 = calloc(n, sizeof(float)), *r2 = calloc(n, sizeof(float));
    CDSP_CHECK(cdsp_riser_add(l, r, n, SR, 300, 9000, 0.5f, 11) == CDSP_OK);
    CDSP_CHECK(all_finite(l, n) && all_finite(r, n));
    double first = rms(l, tenth), last = rms(l + n - tenth - 441, tenth);
    CDSP_CHECK(20 * log10(last / first) > 24 && 20 * log10(last / first) < 45);
    CDSP_CHECK(spectral_centroid(l, 16384) < 1000 && spectral_centroid(l + n - 16384 - 441, 16384) > 4000);
    CDSP_CHECK(memcmp(l, r, n * sizeof(float)) != 0);
    CDSP_CHECK(fabsf(l[n - 1]) < 1e-3f);   // faded out at the end
    CDSP_CHECK(cdsp_riser_add(l2, r2, n, SR, 300, 9000, 0.5f, 11) == CDSP_OK);
    CDSP_CHECK(memcmp(l, l2, n * sizeof(float)) == 0 && memcmp(r, r2, n * sizeof(float)) == 0);
    for (size_t i = 0; i < n; i++) l2[i] = r2[i] = 0.25f;
    CDSP_CHECK(cdsp_riser_add(l2, r2, n, SR, 300, 9000, 0.5f, 12) == CDSP_OK);
    int differs = 0;
    for (size_t i = 0; i < n; i++) differs |= fabsf((l2[i] - 0.25f) - l[i]) > 1e-6f;
    CDSP_CHECK(differs);
    CDSP_CHECK(fabs(mean_of(l2, n) - 0.25) < 0.01);   // added onto what was there
    CDSP_CHECK(cdsp_riser_add(NULL, r, n, SR, 300, 9000, 0.5f, 1) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_riser_add(l, r, n, SR, 0, 9000, 0.5f, 1) == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_riser_add(l, r, n, SR, 300, 9000, -1, 1) == CDSP_ERR_ARGUMENT);

    // The opening: a 2 kHz tone through a low-pass opening 400 Hz -> 16 kHz over the buffer.
    for (size_t i = 0; i < n; i++) l[i] = r[i] = l2[i] = r2[i] = (float)sin(2 * M_PI * 2000.0 * (double)i / SR);
    cdsp_opening *o = cdsp_opening_create(SR);
    CDSP_CHECK(o != NULL);
    cdsp_opening_process(o, l, r, n, 0, n, 400, 16000);
    CDSP_CHECK(20 * log10(rms(l + 2000, tenth) / 0.7071) < -12);
    CDSP_CHECK(fabs(20 * log10(rms(l + n - tenth, tenth) / 0.7071)) < 1);
    cdsp_opening *o2 = cdsp_opening_create(SR);
    for (size_t start = 0; start < n; start += 10000) {
        size_t count = n - start < 10000 ? n - start : 10000;
        cdsp_opening_process(o2, l2 + start, r2 + start, count, start, n, 400, 16000);
    }
    CDSP_CHECK(memcmp(l, l2, n * sizeof(float)) == 0 && memcmp(r, r2, n * sizeof(float)) == 0);
    cdsp_opening_destroy(o);
    cdsp_opening_destroy(o2);
    CDSP_CHECK(cdsp_opening_create(0) == NULL);
    free(l); free(r); free(l2); free(r2);
}

/// Timbres that live (issue 11). Stiffness: an additive tone's partial 12 sits at 12 f sqrt(1 + B 144) / sqrt(1 + B)
/// (measured within 3 cents), against exactly 12 f without. Onset noise: the first 20 ms of a note are noisier
/// (more energy above 5 kHz) with it, the body 0.3 s on is the same tone, a harder strike is brighter, and the
/// burst is gone 10 time constants in. Movement: a held filtered note's centroid, measured in 50 ms windows, varies
/// by over 5% with 0.5 octaves of movement and under 1% without; two seeds move at different phases. Without the
/// new fields a note is sample for sample what it was (none of their random draws happen).
static double peak_near(const float *x, size_t n, double f, double width) {
    double *pw = power_spectrum(x, n);
    size_t lo = (size_t)((f - width) * (double)n / SR), hi = (size_t)((f + width) * (double)n / SR), best = lo;
    for (size_t k = lo; k <= hi; k++) if (pw[k] > pw[best]) best = k;
    double a = log(pw[best - 1] + 1e-30), b = log(pw[best] + 1e-30), c = log(pw[best + 1] + 1e-30);
    double d = (a - 2 * b + c) != 0 ? 0.5 * (a - c) / (a - 2 * b + c) : 0;
    free(pw);
    return ((double)best + d) * SR / (double)n;
}

CDSP_TEST(voice_stiffness_onset_noise_and_movement) {
    const size_t n = 65536, total = 2 * 44100;
    float *x = calloc(total, sizeof(float)), *y = calloc(total, sizeof(float));
    cdsp_voice_params p;
    cdsp_voice_params_default(&p);
    p.engine = CDSP_ENGINE_ADDITIVE;
    p.filter = CDSP_FILTER_NONE;
    p.additive_partials = 16;
    p.additive_rolloff = 0.5f;
    p.amp_sustain = 1;
    const float f = 261.6256f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, f, 0, 1, total, 3, x, total) == CDSP_OK);
    double f12 = peak_near(x + 4410, n, 12 * f, 40);
    CDSP_CHECK(fabs(cents(f12, 12 * f)) < 3);
    p.stiffness = 0.0008f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, f, 0, 1, total, 3, y, total) == CDSP_OK);
    double f1 = peak_near(y + 4410, n, f, 10), s12 = peak_near(y + 4410, n, 12 * f * 1.06, 120);
    double want = 12 * f * sqrt(1 + 0.0008 * 144);
    CDSP_CHECK(fabs(cents(s12, want)) < 3);
    CDSP_CHECK(fabs(cents(f1, f * sqrt(1 + 0.0008))) < 3);
    CDSP_CHECK(all_finite(y, total));

    // onset noise
    cdsp_voice_params_default(&p);
    p.engine = CDSP_ENGINE_ADDITIVE;
    p.filter = CDSP_FILTER_NONE;
    p.additive_partials = 8;
    p.amp_sustain = 1;
    memset(x, 0, total * sizeof(float));
    memset(y, 0, total * sizeof(float));
    CDSP_CHECK(cdsp_voice_render(&p, SR, 440, 0, 0.9f, total, 5, x, total) == CDSP_OK);
    p.attack_noise = 1;
    p.attack_noise_decay = 0.005f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, 440, 0, 0.9f, total, 5, y, total) == CDSP_OK);
    const size_t head = 882;
    printf("     onset: above 5 kHz %.2g of the first 20 ms with noise, %.2g without\n", band_fraction(y, head, 5000, 22050), band_fraction(x, head, 5000, 22050));
    CDSP_CHECK(band_fraction(y, head, 5000, 22050) > 10 * band_fraction(x, head, 5000, 22050));
    double diff = 0;
    for (size_t i = 13230; i < 13230 + 4410; i++) diff = fmax(diff, fabs(y[i] - x[i]));
    CDSP_CHECK(diff < 1e-3 * peak(x, total));   // 0.3 s on: the same tone (the burst is 60 dB down)
    float *soft = calloc(total, sizeof(float));
    CDSP_CHECK(cdsp_voice_render(&p, SR, 440, 0, 0.3f, total, 5, soft, total) == CDSP_OK);
    float *softx = calloc(total, sizeof(float));
    p.attack_noise = 0;
    CDSP_CHECK(cdsp_voice_render(&p, SR, 440, 0, 0.3f, total, 5, softx, total) == CDSP_OK);
    for (size_t i = 0; i < head; i++) { soft[i] -= softx[i]; y[i] -= x[i]; }   // the bursts alone
    CDSP_CHECK(spectral_centroid(y, 1024) > 1.3 * spectral_centroid(soft, 1024));
    free(soft);
    free(softx);

    // movement over a held note: a saw through a low-pass
    cdsp_voice_params_default(&p);
    p.filter = CDSP_FILTER_SVF_LP;
    p.cutoff = 1500;
    p.amp_sustain = 1;
    float *z = calloc(total, sizeof(float));
    memset(x, 0, total * sizeof(float));
    memset(y, 0, total * sizeof(float));
    CDSP_CHECK(cdsp_voice_render(&p, SR, 220, 0, 0.9f, total, 9, x, total) == CDSP_OK);
    p.movement_depth = 0.5f;
    p.movement_rate = 1.0f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, 220, 0, 0.9f, total, 9, y, total) == CDSP_OK);
    CDSP_CHECK(cdsp_voice_render(&p, SR, 220, 0, 0.9f, total, 10, z, total) == CDSP_OK);
    double cx[30], cy[30], cz[30], mx = 0, my = 0;
    for (int w = 0; w < 30; w++) {
        size_t at = 22050 + (size_t)w * 2048;
        cx[w] = spectral_centroid(x + at, 2048);
        cy[w] = spectral_centroid(y + at, 2048);
        cz[w] = spectral_centroid(z + at, 2048);
        mx += cx[w] / 30;
        my += cy[w] / 30;
    }
    double vx = 0, vy = 0, dz = 0;
    for (int w = 0; w < 30; w++) {
        vx += (cx[w] - mx) * (cx[w] - mx) / 30;
        vy += (cy[w] - my) * (cy[w] - my) / 30;
        dz = fmax(dz, fabs(cy[w] - cz[w]) / my);
    }
    CDSP_CHECK(sqrt(vx) / mx < 0.01);
    CDSP_CHECK(sqrt(vy) / my > 0.05);
    CDSP_CHECK(dz > 0.05);   // another seed, another phase

    // no new field set: the draws and samples of before
    cdsp_voice_params_default(&p);
    memset(x, 0, total * sizeof(float));
    memset(y, 0, total * sizeof(float));
    CDSP_CHECK(cdsp_voice_render(&p, SR, 330, 0, 0.7f, 22050, 4, x, total) == CDSP_OK);
    p.movement_rate = 2;               // a rate without depth, a decay without noise: nothing
    p.attack_noise_decay = 0.05f;
    CDSP_CHECK(cdsp_voice_render(&p, SR, 330, 0, 0.7f, 22050, 4, y, total) == CDSP_OK);
    CDSP_CHECK(memcmp(x, y, total * sizeof(float)) == 0);
    free(x); free(y); free(z);
}

int main(void) {
    CDSP_RUN(oscillators_are_band_limited_at_c8);
    CDSP_RUN(oscillator_frequency_and_modulation);
    CDSP_RUN(voice_oscillators_are_band_limited);
    CDSP_RUN(noise_white_and_pink);
    CDSP_RUN(adsr_shape);
    CDSP_RUN(svf_frequency_response);
    CDSP_RUN(ladder_frequency_response);
    CDSP_RUN(filters_survive_extreme_settings);
    CDSP_RUN(voice_pitch_is_accurate_for_every_engine);
    CDSP_RUN(voice_is_silent_after_its_tail);
    CDSP_RUN(voice_is_deterministic_per_seed);
    CDSP_RUN(voice_velocity_changes_level_and_brightness);
    CDSP_RUN(voice_glide_and_vibrato);
    CDSP_RUN(voice_survives_extreme_parameters);
    CDSP_RUN(drum_kinds_are_finite_and_decay);
    CDSP_RUN(drum_spectra);
    CDSP_RUN(drum_controls_do_what_they_say);
    CDSP_RUN(build_riser_and_opening);
    CDSP_RUN(voice_stiffness_onset_noise_and_movement);
    fftwf_cleanup();
    CDSP_TEST_END();
}
