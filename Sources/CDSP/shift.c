// Why one file of 600 lines: one object (the shifter) whose analysis, envelope, resynthesis and overlap-add stages
// share per-frame buffers; each stage is its own static function below.
//
// Pitch shifter with independent formant control: see cdsp_shift.h for the method. Everything per frame works on
// buffers allocated at create time; FFTW plans are shared per frame size and executed with the new-array API.
#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_shift.h"
#include "fft_internal.h"

#define SHIFT_OVERLAP 4
#define SHIFT_MAX_LOG2 CDSP_FFT_MAX_LOG2  // frame sizes 2^8 ... 2^13
// Envelope tuning, chosen by measurement (30 s vibrato tone, +4/-5 semitones, harmonic levels against the true
// envelope): a lifter at 0.9 of the f0 period with a peak hold over one harmonic spacing scored 2.5/2.3 dB; 0.7
// scored 3.1/3.5, and true-envelope iterations on top of the peak hold did not help (2.7/2.5 with two) while
// costing 20% of the speed. Re-measured with fractional peak moves, by voice_shift.py at -5 (tone / speech LSD):
// one or two true-envelope iterations 2.5 / 1.47 and 2.8 / 1.49 dB (worse), hold 0.35 or 0.7 of the spacing 2.1 /
// 1.51 and 3.0 / 1.43, unvoiced lifter 1 or 2.5 ms no change; the lifter at 1.0 / 1.05 / 1.1 / 1.2 of the period
// 1.95 / 2.0 / 2.25 / 2.8 on the tone and 1.30 / 1.27 / 1.27 / 1.34 on speech (0.9: 2.2 / 1.45), but at +4 1.0
// costs the tone 0.2 dB (1.74 against 1.54), so the lifter grows with downward shifts only: 0.9 + 0.03 per
// semitone down, at most 1.05. (The C test's harmonic-level measure disagrees mildly at -5: 3.14 -> 3.48 dB.)
#ifndef SHIFT_LIFTER
#define SHIFT_LIFTER 0.9f
#endif
#ifndef SHIFT_LIFTER_PER_SEMITONE
#define SHIFT_LIFTER_PER_SEMITONE 0.03f
#endif
#ifndef SHIFT_LIFTER_MAX_EXTRA
#define SHIFT_LIFTER_MAX_EXTRA 0.15f
#endif
#ifndef SHIFT_HOLD
#define SHIFT_HOLD 0.5f
#endif
#ifndef SHIFT_TE_ITERATIONS
#define SHIFT_TE_ITERATIONS 0
#endif
#ifndef SHIFT_UNVOICED_LIFTER
#define SHIFT_UNVOICED_LIFTER 0.0015f
#endif
// Fractional peak moves (each peak region read at a fraction of a bin so its main lobe sits on the moved
// frequency, not only its phase advance): Praat f0 MAE on the vibrato tone 0.8 / 2.15 -> 0.52 / 0.40 cents at
// +4 / -5, harmonic-to-residual 43.7 / 49.5 -> 47.6 / 52.5 dB. 0 restores whole-bin moves.
#ifndef SHIFT_FRACTIONAL
#define SHIFT_FRACTIONAL 1
#endif

// --- fast log2 / exp2 (envelope work only; relative error ~1e-4) --------------------------------------------------

static inline float fast_log2(float x) {
    union { float f; uint32_t i; } v = {x};
    float e = (float)((int)((v.i >> 23) & 255) - 127);
    v.i = (v.i & 0x007FFFFFu) | 0x3F800000u;  // mantissa in [1, 2)
    float m = v.f;
    // least-squares quartic for log2(m) on [1, 2), max error 2e-4 (0.001 dB)
    float p = -2.4968461f + (4.0285479f + (-2.0812142f + (0.62887362f - 0.079158161f * m) * m) * m) * m;
    return e + p;
}

static inline float fast_exp2(float x) {
    if (x < -126.0f) return 0.0f;
    if (x > 126.0f) x = 126.0f;
    float fl = floorf(x);
    float f = x - fl;
    // least-squares quintic for 2^f on [0, 1), relative error 2.3e-7
    float p = 0.99999977f + f * (0.69315676f + f * (0.24013177f + f * (0.055876441f + f * (0.0089406299f +
                                                                                          f * 0.0018943873f))));
    union { float f; uint32_t i; } v;
    v.i = (uint32_t)((int)fl + 127) << 23;
    return v.f * p;
}


// --- the shifter --------------------------------------------------------------------------------------------------

struct cdsp_shifter {
    float fs;
    int n, hop, bins, log2n;
    const cdsp_fft_plans *plans;
    float pitch_ratio, formant_ratio;
    float lifter;  // cepstral cut-off as a fraction of the f0 period
    int use_envelope;
    // streaming
    float *in_fifo, *out_fifo, *ola;
    int rover;
    int frames_seen;
    // frame work (fftwf_malloc'd so every buffer has FFTW's alignment)
    float *window, *frame, *real_work;
    fftwf_complex *spec, *prev_in, *prev_out, *out_spec, *cwork;
    float *power, *logp, *prev_logp, *held, *env, *win_acf;
    int *peaks;
    float tau_min, tau_max;
    float period;  // of the last analysed frame, samples (0: unvoiced)
    // vibrato and breath
    float vib_rate, vib_depth;
    float breath;
    uint64_t breath_seed;
    cdsp_rng rng;
    float *breath_weight;  // per bin: f^2 / (f^2 + 500^2)
};

static void *zalloc(size_t bytes) {
    void *p = fftwf_malloc(bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void cdsp_shifter_destroy(cdsp_shifter *s) {
    if (!s) return;
    void *bufs[] = {s->in_fifo, s->out_fifo, s->ola, s->window, s->frame, s->real_work, s->spec, s->prev_in,
                    s->prev_out, s->out_spec, s->cwork, s->power, s->logp, s->prev_logp, s->held, s->env,
                    s->win_acf, s->peaks, s->breath_weight};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) fftwf_free(bufs[i]);
    free(s);
}

cdsp_shifter *cdsp_shifter_create(float sample_rate) {
    if (!(sample_rate >= 8000.0f && sample_rate <= 192000.0f)) return NULL;
    cdsp_shifter *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->fs = sample_rate;
    // about 46 ms frames: 2048 at 44.1/48 kHz
    int log2n = 11;
    while ((float)(1 << log2n) / sample_rate > 0.070f && log2n > 8) log2n--;
    while ((float)(1 << log2n) / sample_rate < 0.035f && log2n < SHIFT_MAX_LOG2) log2n++;
    s->log2n = log2n;
    s->n = 1 << log2n;
    s->hop = s->n / SHIFT_OVERLAP;
    s->bins = s->n / 2 + 1;
    s->plans = cdsp_fft_plans_for(log2n);
    size_t n = (size_t)s->n, b = (size_t)s->bins;
    s->in_fifo = zalloc(n * sizeof(float));
    s->out_fifo = zalloc(n * sizeof(float));
    s->ola = zalloc(n * sizeof(float));
    s->window = zalloc(n * sizeof(float));
    s->frame = zalloc(n * sizeof(float));
    s->real_work = zalloc(n * sizeof(float));
    s->spec = zalloc(b * sizeof(fftwf_complex));
    s->prev_in = zalloc(b * sizeof(fftwf_complex));
    s->prev_out = zalloc(b * sizeof(fftwf_complex));
    s->out_spec = zalloc(b * sizeof(fftwf_complex));
    s->cwork = zalloc(b * sizeof(fftwf_complex));
    s->power = zalloc(b * sizeof(float));
    s->logp = zalloc(b * sizeof(float));
    s->prev_logp = zalloc(b * sizeof(float));
    s->held = zalloc(b * sizeof(float));
    s->env = zalloc(b * sizeof(float));
    s->win_acf = zalloc(n * sizeof(float));
    s->peaks = zalloc(b * sizeof(int));
    s->breath_weight = zalloc(b * sizeof(float));
    if (!s->plans || !s->in_fifo || !s->out_fifo || !s->ola || !s->window || !s->frame || !s->real_work ||
        !s->spec || !s->prev_in || !s->prev_out || !s->out_spec || !s->cwork || !s->power || !s->logp ||
        !s->prev_logp || !s->held || !s->env || !s->win_acf || !s->peaks || !s->breath_weight) {
        cdsp_shifter_destroy(s);
        return NULL;
    }
    for (int i = 0; i < s->n; i++) s->window[i] = 0.5f - 0.5f * cosf(6.2831853f * (float)i / (float)s->n);
    // f0 search range 60...1000 Hz (lags), and the window's circular autocorrelation (to unbias the frame's)
    s->tau_min = sample_rate / 1000.0f;
    s->tau_max = fminf(sample_rate / 60.0f, (float)(s->n / 2 - 2));
    for (int t = 0; t <= (int)s->tau_max + 1; t++) {
        double acc = 0;
        for (int i = 0; i < s->n; i++) acc += (double)s->window[i] * s->window[(i + t) % s->n];
        s->win_acf[t] = (float)acc;
    }
    for (int k = 0; k < s->bins; k++) {
        float f = (float)k * sample_rate / (float)s->n;
        s->breath_weight[k] = f * f / (f * f + 500.0f * 500.0f);
    }
    cdsp_shifter_set(s, 0.0f, 0.0f);
    cdsp_shifter_reset(s);
    return s;
}

cdsp_status cdsp_shifter_set(cdsp_shifter *s, float pitch_semitones, float formant_semitones) {
    if (!s || !(fabsf(pitch_semitones) <= 24.0f) || !(fabsf(formant_semitones) <= 24.0f)) return CDSP_ERR_ARGUMENT;
    s->pitch_ratio = exp2f(pitch_semitones / 12.0f);
    s->formant_ratio = exp2f(formant_semitones / 12.0f);
    s->use_envelope = fabsf(pitch_semitones - formant_semitones) > 1e-4f;
    // downward shifts place new harmonics between the input's, where the envelope is read rather than measured;
    // a lifter up to the period keeps it closer to the measured one there (speech LSD at -5: 1.45 -> 1.27 dB,
    // tone 2.2 -> 2.0), while upward shifts keep 0.9 (1.0 would cost the tone 0.2 dB at +4)
    float extra = -SHIFT_LIFTER_PER_SEMITONE * pitch_semitones;
    s->lifter = SHIFT_LIFTER + (extra < 0.0f ? 0.0f : (extra > SHIFT_LIFTER_MAX_EXTRA ? SHIFT_LIFTER_MAX_EXTRA : extra));
    return CDSP_OK;
}

cdsp_status cdsp_shifter_set_vibrato(cdsp_shifter *s, float rate_hz, float depth_cents) {
    if (!s || !(rate_hz >= 0.0f && rate_hz <= 20.0f) || !(depth_cents >= 0.0f && depth_cents <= 200.0f))
        return CDSP_ERR_ARGUMENT;
    s->vib_rate = rate_hz;
    s->vib_depth = depth_cents;
    return CDSP_OK;
}

cdsp_status cdsp_shifter_set_breath(cdsp_shifter *s, float level, uint64_t seed) {
    if (!s || !(level >= 0.0f && level <= 1.0f)) return CDSP_ERR_ARGUMENT;
    s->breath = level;
    if (seed != s->breath_seed) {
        s->breath_seed = seed;
        cdsp_rng_seed(&s->rng, seed);
    }
    return CDSP_OK;
}

void cdsp_shifter_reset(cdsp_shifter *s) {
    size_t n = (size_t)s->n, b = (size_t)s->bins;
    memset(s->in_fifo, 0, n * sizeof(float));
    memset(s->out_fifo, 0, n * sizeof(float));
    memset(s->ola, 0, n * sizeof(float));
    memset(s->prev_in, 0, b * sizeof(fftwf_complex));
    memset(s->prev_out, 0, b * sizeof(fftwf_complex));
    for (size_t k = 0; k < b; k++) s->prev_logp[k] = -200.0f;
    s->rover = s->n - s->hop;
    s->frames_seen = 0;
    s->period = 0.0f;
    cdsp_rng_seed(&s->rng, s->breath_seed);
}

size_t cdsp_shifter_latency(const cdsp_shifter *s) { return (size_t)s->n; }

/// YIN-style f0 from the frame's power spectrum: autocorrelation by inverse FFT, unbiased by the window's own,
/// difference function, cumulative-mean normalisation, first dip under the threshold, parabolic refinement.
/// Returns the period in samples, or 0 when the frame is not voiced.
static float estimate_period(cdsp_shifter *s) {
    int b = s->bins;
    for (int k = 0; k < b; k++) {
        s->cwork[k][0] = s->power[k];
        s->cwork[k][1] = 0.0f;
    }
    fftwf_execute_dft_c2r(s->plans->c2r, s->cwork, s->real_work);
    float *r = s->real_work;
    float r0 = r[0] / s->win_acf[0];
    if (!(r0 > 0.0f)) return 0.0f;
    int tmin = (int)s->tau_min, tmax = (int)s->tau_max;
    // d(tau) = 2 (r0 - r(tau)), normalised: d'(tau) = d(tau) * tau / sum_{j<=tau} d(j)
    float sum = 0.0f, best = 1e9f;
    int best_t = 0, found = 0;
    float *dn = s->held;  // scratch, bins >= tau_max + 2 always holds here (n/2+1 > n/2-1)
    for (int t = 1; t <= tmax + 1 && t < b; t++) {
        float d = 2.0f * (r0 - r[t] / s->win_acf[t]);
        if (d < 0.0f) d = 0.0f;
        sum += d;
        dn[t] = sum > 0.0f ? d * (float)t / sum : 1.0f;
    }
    for (int t = tmin; t <= tmax; t++) {
        if (dn[t] < 0.2f) {
            while (t + 1 <= tmax && dn[t + 1] < dn[t]) t++;
            best_t = t;
            found = 1;
            break;
        }
        if (dn[t] < best) {
            best = dn[t];
            best_t = t;
        }
    }
    if (!found && !(best < 0.35f)) return 0.0f;
    if (best_t <= tmin || best_t >= tmax) return (float)best_t;
    float a = dn[best_t - 1], c = dn[best_t + 1], m = dn[best_t];
    float den = a - 2.0f * m + c;
    float off = den > 0.0f ? 0.5f * (a - c) / den : 0.0f;
    if (off > 0.5f) off = 0.5f;
    if (off < -0.5f) off = -0.5f;
    return (float)best_t + off;
}

/// s->cwork (real parts: a log spectrum) -> cepstrum -> keep quefrencies below nc (tapered) -> s->env.
static void cepstral_smooth(cdsp_shifter *s, int nc) {
    int n = s->n, b = s->bins;
    fftwf_execute_dft_c2r(s->plans->c2r, s->cwork, s->real_work);
    float *c = s->real_work;
    int taper = nc / 4;
    for (int q = 1; q < n / 2 + 1; q++) {
        float g;
        if (q >= nc) g = 0.0f;
        else if (q >= nc - taper) g = 0.5f + 0.5f * cosf(3.14159265f * (float)(q - (nc - taper)) / (float)taper);
        else g = 1.0f;
        c[q] *= g;
        if (q < n - q) c[n - q] *= g;
    }
    fftwf_execute_dft_r2c(s->plans->r2c, s->real_work, s->cwork);
    float scale = 1.0f / (float)n;
    for (int k = 0; k < b; k++) s->env[k] = s->cwork[k][0] * scale;
}

/// Spectral envelope (log2 power) into s->env: the log spectrum held at its local maxima over one harmonic
/// spacing (so the valleys between harmonics do not pull it down), then smoothed by a cepstral lifter kept
/// below the f0 period (so the harmonics themselves do not leak in).
static void estimate_envelope(cdsp_shifter *s) {
    int b = s->bins, n = s->n;
    float period = estimate_period(s);
    s->period = period;
    // unvoiced: a 1-bin hold (wider holds measured worse on speech: 3.5 dB LSD at 300 Hz, 3.3 at 100 Hz)
    float spacing = period > 0.0f ? (float)n / period : 2.0f;  // in bins
    int half = (int)(SHIFT_HOLD * spacing + 0.5f);
    if (half < 1) half = 1;
    if (half > 64) half = 64;
    for (int k = 0; k < b; k++) {
        int lo = k - half < 0 ? 0 : k - half, hi = k + half >= b ? b - 1 : k + half;
        float m = s->logp[lo];
        for (int j = lo + 1; j <= hi; j++) m = s->logp[j] > m ? s->logp[j] : m;
        s->cwork[k][0] = m;
        s->cwork[k][1] = 0.0f;
    }
    // lifter: below 0.7 of the period (voiced) or 1.5 ms (unvoiced), tapered over its last quarter
    float cut = period > 0.0f ? s->lifter * period : SHIFT_UNVOICED_LIFTER * s->fs;
    int nc = (int)cut;
    if (nc < 8) nc = 8;
    if (nc > n / 2 - 1) nc = n / 2 - 1;
    for (int k = 0; k < b; k++) s->held[k] = s->cwork[k][0];
    cepstral_smooth(s, nc);
    // true-envelope iterations: raise the data to the envelope where it fell below, smooth again, so the
    // envelope rests on the harmonic peaks instead of running through their average
    for (int it = 0; it < SHIFT_TE_ITERATIONS; it++) {
        for (int k = 0; k < b; k++) {
            s->cwork[k][0] = s->held[k] > s->env[k] ? s->held[k] : s->env[k];
            s->cwork[k][1] = 0.0f;
        }
        cepstral_smooth(s, nc);
    }
}

/// Breath noise into s->out_spec: random-phase bins whose level follows the output's envelope (the input's
/// envelope warped by `env_ratio`), weighted towards high frequencies. Scaled per harmonic spacing so `breath` = 1
/// gives noise between two harmonics about as strong as one harmonic (unvoiced frames: half the envelope).
static void add_breath(cdsp_shifter *s, float env_ratio) {
    int b = s->bins;
    float k_level;
    if (s->period > 0.0f) {
        float spacing = (float)s->n / s->period * env_ratio;  // output harmonic spacing in bins (approx.)
        k_level = 1.5f / sqrtf(spacing > 1.0f ? spacing : 1.0f);
    } else {
        k_level = 0.5f;
    }
    // bipolar pairs have power 2/3; sqrt(1.5) makes it 1
    float gain = s->breath * k_level * 1.2247449f;
    for (int j = 1; j < b - 1; j++) {
        float src = (float)j / env_ratio;
        float e;
        if (src >= (float)(b - 1)) e = s->env[b - 1];
        else {
            int j0 = (int)src;
            float f = src - (float)j0;
            e = s->env[j0] + f * (s->env[j0 + 1] - s->env[j0]);
        }
        float a = gain * s->breath_weight[j] * fast_exp2(0.5f * e);
        s->out_spec[j][0] += a * cdsp_rng_bipolar(&s->rng);
        s->out_spec[j][1] += a * cdsp_rng_bipolar(&s->rng);
    }
}

static void process_frame(cdsp_shifter *s) {
    int n = s->n, b = s->bins, half = n / 2;
    // zero-phase analysis frame: the window's centre goes to index 0
    for (int i = 0; i < n; i++) s->frame[(i + half) & (n - 1)] = s->in_fifo[i] * s->window[i];
    fftwf_execute_dft_r2c(s->plans->r2c, s->frame, s->spec);

    float maxp = 0.0f, flux = 0.0f;
    for (int k = 0; k < b; k++) {
        float p = s->spec[k][0] * s->spec[k][0] + s->spec[k][1] * s->spec[k][1];
        s->power[k] = p;
        maxp = p > maxp ? p : maxp;
    }
    memset(s->out_spec, 0, (size_t)b * sizeof(fftwf_complex));
    if (maxp > 1e-24f) {
        float floor_p = maxp * 1e-10f + 1e-30f;
        for (int k = 0; k < b; k++) {
            float l = fast_log2(s->power[k] + floor_p);
            s->logp[k] = l;
            float rise = l - s->prev_logp[k];
            flux += rise > 0.0f ? rise : 0.0f;
        }
        // onset: the log spectrum rose by more than ~4.5 dB on average (log2 power units) -> phases reset
        int onset = flux / (float)b > 1.5f || s->frames_seen == 0;
        if (s->use_envelope || s->breath > 0.0f) estimate_envelope(s);

        // peaks: local maxima over +-2 bins, within 80 dB of the frame's strongest
        int np = 0;
        float thresh = maxp * 1e-8f;
        for (int k = 2; k < b - 2; k++) {
            float p = s->power[k];
            if (p > thresh && p > s->power[k - 1] && p >= s->power[k + 1] && p > s->power[k - 2] &&
                p >= s->power[k + 2])
                s->peaks[np++] = k;
        }
        if (np == 0) {  // a flat or one-sided spectrum: one region around the strongest bin
            int kmax = 0;
            for (int k = 1; k < b; k++) kmax = s->power[k] > s->power[kmax] ? k : kmax;
            s->peaks[np++] = kmax;
        }
        float r = s->pitch_ratio, fr = s->formant_ratio;
        if (s->vib_depth > 0.0f) {
            // the frame's centre time; the phase in double so long files do not lose it
            double t = ((double)s->frames_seen * (double)s->hop + 0.5 * (double)n) / (double)s->fs;
            double cycles = (double)s->vib_rate * t;
            r *= exp2f(s->vib_depth / 1200.0f * (float)sin(6.283185307179586 * (cycles - floor(cycles))));
        }
        for (int i = 0; i < np; i++) {
            // each peak moves by a whole number of bins; its region is laid out in the output: from halfway to
            // the previous moved peak to halfway to the next, so every output bin is filled once (no gaps when
            // shifting up, no pile-ups when shifting down)
            int kp = s->peaks[i];
            int shift = (int)lrintf((float)kp * (r - 1.0f));
            int kout = kp + shift;
            if (kout < 0 || kout >= b) continue;
            int prev_out_peak = i == 0 ? 0 : s->peaks[i - 1] + (int)lrintf((float)s->peaks[i - 1] * (r - 1.0f));
            int next_out_peak =
                i == np - 1 ? 2 * b : s->peaks[i + 1] + (int)lrintf((float)s->peaks[i + 1] * (r - 1.0f));
            int jlo = i == 0 ? 0 : (prev_out_peak + kout) / 2 + 1;
            int jhi = (kout + next_out_peak) / 2;
            int lo = jlo - shift, hi = jhi - shift;
            if (lo < 0) lo = 0;
            if (hi > b - 1) hi = b - 1;
            // phases in double: the rotation carries over from frame to frame, so rounding would accumulate
            const double tau = 6.283185307179586;
            double re = s->spec[kp][0], im = s->spec[kp][1];
            double pre = s->prev_out[kout][0], pim = s->prev_out[kout][1];
            double rot;
            if (onset || pre * pre + pim * pim < 1e-30) {
                rot = 0.0;
            } else {
                // instantaneous frequency from the phase change since the last frame, in cycles per hop: the
                // bin-centre advance kp*hop/n plus the deviation measured from the phases
                double xr = s->prev_in[kp][0], xi = s->prev_in[kp][1];
                double dphi = atan2(im * xr - re * xi, re * xr + im * xi) / tau;
                double cycles = (double)kp * (double)s->hop / (double)n;
                double dev = dphi - cycles;
                dev -= floor(dev + 0.5);
                double moved = (cycles + dev) * (double)r;
                double phase_in = atan2(im, re) / tau;
                double synth = atan2(pim, pre) / tau + (moved - floor(moved));
                rot = synth - phase_in;
                rot = tau * (rot - floor(rot + 0.5));
            }
            float cr = (float)cos(rot), ci = (float)sin(rot);
            int klo = lo, khi = hi;
            if (klo + shift < 0) klo = -shift;
            if (khi + shift > b - 1) khi = b - 1 - shift;
#if SHIFT_FRACTIONAL
            // the rest of the exact move, a fraction of a bin: the peak's true frequency (parabolic on the log
            // spectrum) times r lands between bins, so the region is read at k - frac (linear interpolation; the
            // zero-phase main lobe has one phase, so the complex values interpolate cleanly)
            float frac = 0.0f;
            if (kp > 0 && kp < b - 1) {
                float la = s->logp[kp - 1], lb = s->logp[kp], lc = s->logp[kp + 1];
                float den = la - 2.0f * lb + lc;
                float delta = den < 0.0f ? 0.5f * (la - lc) / den : 0.0f;
                frac = ((float)kp + delta) * (r - 1.0f) - (float)shift;
                if (frac > 0.75f) frac = 0.75f;
                if (frac < -0.75f) frac = -0.75f;
            }
            int step = frac >= 0.0f ? -1 : 1;
            float wn = fabsf(frac), wk = 1.0f - wn;
#endif
            if (s->use_envelope) {
                for (int k = klo; k <= khi; k++) {
                    int j = k + shift;
                    float src = (float)j / fr;
                    float target;
                    if (src >= (float)(b - 1)) target = s->env[b - 1];
                    else {
                        int j0 = (int)src;
                        float f = src - (float)j0;
                        target = s->env[j0] + f * (s->env[j0 + 1] - s->env[j0]);
                    }
                    float d = 0.5f * (target - s->env[k]);
                    if (d > 10.0f) d = 10.0f;  // at most +60 dB of gain
                    float g = fast_exp2(d);
#if SHIFT_FRACTIONAL
                    int kn = k + step;
                    kn = kn < 0 ? 0 : (kn > b - 1 ? b - 1 : kn);
                    float xr = (wk * s->spec[k][0] + wn * s->spec[kn][0]) * g;
                    float xi = (wk * s->spec[k][1] + wn * s->spec[kn][1]) * g;
#else
                    float xr = s->spec[k][0] * g, xi = s->spec[k][1] * g;
#endif
                    s->out_spec[j][0] += xr * cr - xi * ci;
                    s->out_spec[j][1] += xr * ci + xi * cr;
                }
            } else {
                for (int k = klo; k <= khi; k++) {
                    int j = k + shift;
#if SHIFT_FRACTIONAL
                    int kn = k + step;
                    kn = kn < 0 ? 0 : (kn > b - 1 ? b - 1 : kn);
                    float xr = wk * s->spec[k][0] + wn * s->spec[kn][0];
                    float xi = wk * s->spec[k][1] + wn * s->spec[kn][1];
#else
                    float xr = s->spec[k][0], xi = s->spec[k][1];
#endif
                    s->out_spec[j][0] += xr * cr - xi * ci;
                    s->out_spec[j][1] += xr * ci + xi * cr;
                }
            }
        }
        // the next frame's phases continue from the voice alone, before any breath noise is added
        memcpy(s->prev_out, s->out_spec, (size_t)b * sizeof(fftwf_complex));
        if (s->breath > 0.0f) add_breath(s, s->use_envelope ? fr : r);
        memcpy(s->prev_logp, s->logp, (size_t)b * sizeof(float));
    } else {
        for (int k = 0; k < b; k++) s->prev_logp[k] = -200.0f;
        memcpy(s->prev_out, s->out_spec, (size_t)b * sizeof(fftwf_complex));
    }
    memcpy(s->prev_in, s->spec, (size_t)b * sizeof(fftwf_complex));
    s->frames_seen++;

    // synthesis: inverse FFT, undo the zero-phase rotation, window, overlap-add (Hann^2 at 4x sums to 1.5)
    memcpy(s->cwork, s->out_spec, (size_t)b * sizeof(fftwf_complex));
    fftwf_execute_dft_c2r(s->plans->c2r, s->cwork, s->frame);
    float scale = 1.0f / ((float)n * 1.5f);
    for (int i = 0; i < n; i++) s->ola[i] += s->frame[(i + half) & (n - 1)] * s->window[i] * scale;
}

void cdsp_shifter_process(cdsp_shifter *s, const float *in, size_t frames, float *out) {
    int n = s->n, hop = s->hop, fill = n - hop;  // the input FIFO keeps n - hop samples between frames
    size_t done = 0;
    while (done < frames) {
        size_t room = (size_t)(n - s->rover);
        size_t take = frames - done < room ? frames - done : room;
        for (size_t i = 0; i < take; i++) {
            float x = in[done + i];  // read before writing: in and out may alias
            out[done + i] = s->out_fifo[s->rover - fill + (int)i];
            s->in_fifo[s->rover + (int)i] = x;
        }
        s->rover += (int)take;
        done += take;
        if (s->rover >= n) {
            s->rover = fill;
            process_frame(s);
            memcpy(s->out_fifo, s->ola, (size_t)hop * sizeof(float));
            memmove(s->ola, s->ola + hop, (size_t)(n - hop) * sizeof(float));
            memset(s->ola + (n - hop), 0, (size_t)hop * sizeof(float));
            memmove(s->in_fifo, s->in_fifo + hop, (size_t)fill * sizeof(float));
        }
    }
}

void cdsp_shifter_flush(cdsp_shifter *s, size_t frames, float *out) {
    memset(out, 0, frames * sizeof(float));
    cdsp_shifter_process(s, out, frames, out);
}

cdsp_status cdsp_pitch_shift(const float *in, size_t frames, float sample_rate, float pitch_semitones,
                             float formant_semitones, float *out) {
    if ((!in || !out) && frames > 0) return CDSP_ERR_ARGUMENT;
    cdsp_shifter *s = cdsp_shifter_create(sample_rate);
    if (!s) return sample_rate >= 8000.0f && sample_rate <= 192000.0f ? CDSP_ERR_MEMORY : CDSP_ERR_ARGUMENT;
    cdsp_status st = cdsp_shifter_set(s, pitch_semitones, formant_semitones);
    if (st != CDSP_OK) {
        cdsp_shifter_destroy(s);
        return st;
    }
    size_t latency = cdsp_shifter_latency(s);
    float block[1024];
    size_t pos = 0, written = 0;  // pos: samples fed (input, then flush); written: aligned output delivered
    size_t total = frames + latency;
    while (pos < total) {
        // A block never straddles the end of the input: the input, then the flush.
        size_t left = pos < frames ? frames - pos : total - pos;
        size_t m = left < 1024 ? left : 1024;
        if (pos < frames) {
            // copy the input first: out may alias in, and outputs lag the inputs by `latency`
            float inblock[1024];
            memcpy(inblock, in + pos, m * sizeof(float));
            cdsp_shifter_process(s, inblock, m, block);
        } else {
            cdsp_shifter_flush(s, m, block);
        }
        for (size_t i = 0; i < m; i++) {
            size_t t = pos + i;
            if (t >= latency) out[written++] = block[i];
        }
        pos += m;
    }
    cdsp_shifter_destroy(s);
    return CDSP_OK;
}
