// Why one file of 600 lines: the four engines share one per-note loop (control blocks, envelopes, filter, the
// 2x oversampled path) and its stack state; split by engine they would share that loop through a header of
// static functions, which is what this file is.
//
// Whole notes: one call renders a note of an instrument (subtractive, FM, plucked string or additive), release
// tail included, and ADDS it into the caller's buffer. All state lives on the stack: no allocation per note.
//
// Inside, the note advances in control blocks of VOICE_CR frames: pitch (glide, vibrato), filter cutoff (envelope,
// key tracking, velocity) and FM index are computed once per block and interpolated inside it; oscillators,
// filters and envelopes run per sample. The render stops as soon as the released amplitude envelope is idle.
#include <string.h>
#include "cdsp_params.h"
#include "synth_internal.h"

#define VOICE_CR 32
#define VOICE_KS_SIZE 8192 /* pluck delay line, power of two: lowest note sample_rate / 8190 */
#define VOICE_KS_MASK (VOICE_KS_SIZE - 1)
#define VOICE_MAX_PARTIALS 32
#define VOICE_MIN_ATTACK 0.0005f  /* s: no click at note start */
#define VOICE_MIN_RELEASE 0.004f  /* s: no click at note end */
#define VOICE_TAIL_FLOOR 3.1622777e-4f /* -70 dB: a released note stops once its envelope is below this */

static float clampf(float x, float lo, float hi, float fallback) {
    if (!isfinite(x)) return fallback;
    return x < lo ? lo : (x > hi ? hi : x);
}

/// A copy of the caller's parameters with every field forced into the preset table's range (cdsp_params.h; NaN ->
/// the table's default), and the envelope times raised to the click guards.
static void voice_sanitize(const cdsp_voice_params *in, cdsp_voice_params *p) {
    *p = *in;
    if (p->engine < CDSP_ENGINE_SUBTRACTIVE || p->engine > CDSP_ENGINE_ADDITIVE) p->engine = CDSP_ENGINE_SUBTRACTIVE;
    if (p->wave1 < CDSP_WAVE_SINE || p->wave1 > CDSP_WAVE_TRIANGLE) p->wave1 = CDSP_WAVE_SAW;
    if (p->wave2 < CDSP_WAVE_SINE || p->wave2 > CDSP_WAVE_TRIANGLE) p->wave2 = CDSP_WAVE_SAW;
    if (p->filter < CDSP_FILTER_NONE || p->filter > CDSP_FILTER_SVF_HP) p->filter = CDSP_FILTER_NONE;
    cdsp_voice_params_clamp(p);
    if (p->amp_attack < VOICE_MIN_ATTACK) p->amp_attack = VOICE_MIN_ATTACK;
    if (p->amp_release < VOICE_MIN_RELEASE) p->amp_release = VOICE_MIN_RELEASE;
}

size_t cdsp_voice_tail_frames(const cdsp_voice_params *p, float sample_rate) {
    if (!p || !(sample_rate > 0.0f)) return 0;
    float release = clampf(p->amp_release, VOICE_MIN_RELEASE, 30, VOICE_MIN_RELEASE);
    // the release falls 60 dB in `release` seconds, so -70 dB (where the note stops) takes 7/6 of it; one control
    // block and a little more cover the block alignment.
    return (size_t)ceilf(release * sample_rate * (70.0f / 60.0f)) + 2 * VOICE_CR;
}

// ---------------------------------------------------------------------------------------------------------------
// Engine states

/// Subtractive oscillators as lanes of 4-wide vectors, grouped by kernel: band-limited saws (a pulse is the
/// difference of two saws half a width apart, so it takes two saw lanes), triangles, and sines (the sub
/// oscillator is one more sine lane). Unused lanes have weight 0. `os` is 2 when the note is high enough for
/// polyBLEP's aliases to matter (then the lanes run at twice the rate into the half-band decimator), else 1.
#define SUB_SAW_GROUPS 2
#define SUB_TRI_GROUPS 1
#define SUB_SINE_GROUPS 2
typedef struct {
    synth_v4f t, ratio, w;
} sub_lanes;

typedef struct {
    sub_lanes saw[SUB_SAW_GROUPS], tri[SUB_TRI_GROUPS], sine[SUB_SINE_GROUPS];
    int nsaw, ntri, nsine, os;   // lanes in use per kernel; oversampling factor
    float lnoise, norm;
    uint32_t noise;
    synth_halfband hb;
} sub_state;

typedef struct {
    float pc, pm, m1, m2, fb;
} fm_state;

typedef struct {
    float buf[VOICE_KS_SIZE];
    unsigned w;
    int n;
    float a, ap_x1, ap_y1, s, rho, lf_x1, t60, tuned_freq;
} pluck_state;

typedef struct {
    float re[VOICE_MAX_PARTIALS], im[VOICE_MAX_PARTIALS], cr[VOICE_MAX_PARTIALS], ci[VOICE_MAX_PARTIALS];
    float amp[VOICE_MAX_PARTIALS], decay[VOICE_MAX_PARTIALS];
    /// Stiff strings: partial n's frequency over n f (1 for a harmonic tone), and whether any differs from 1.
    float stretch[VOICE_MAX_PARTIALS];
    int stiff;
    /// Movement: log2(n) / 2 per partial, so a tilt of m octaves scales partial n by n^(m/2) (the fundamental
    /// stays, the top moves most).
    float tilt_log[VOICE_MAX_PARTIALS];
    int k;
    float rot_freq, lnoise;
    synth_svf breath;
} add_state;

/// Delay length, allpass coefficient and loop gain so that the loop's total phase delay at `freq` is exactly one
/// period (integer delay + first-order allpass + the one-zero damping filter, each evaluated at the fundamental).
static void pluck_tune(pluck_state *k, float freq, float sample_rate) {
    double w = 2.0 * 3.14159265358979 * freq / sample_rate;
    double period = sample_rate / freq;
    double S = k->s;
    double re = (1.0 - S) + S * cos(w), im = -S * sin(w);
    double lf_delay = -atan2(im, re) / w;
    double rest = period - lf_delay;
    int n = (int)floor(rest - 0.5);
    if (n < 1) n = 1;
    if (n > VOICE_KS_SIZE - 2) n = VOICE_KS_SIZE - 2;
    double d = rest - n;
    double T = tan((1.0 - d) * w * 0.5);
    double a = T / (sin(w) - T * cos(w));
    if (!(a > -0.95)) a = -0.95;
    if (a > 0.95) a = 0.95;
    double g = pow(0.001, 1.0 / (freq * k->t60));
    double rho = g / sqrt(re * re + im * im);
    k->n = n;
    k->a = (float)a;
    k->rho = (float)(rho < 0.99999 ? rho : 0.99999);
    k->tuned_freq = freq;
}

static void pluck_init(pluck_state *k, const cdsp_voice_params *p, float freq, float sample_rate, float velocity,
                       cdsp_rng *rng) {
    k->s = 0.1f + 0.4f * p->pluck_damping;
    float t60 = 8.0f * powf(20.0f, -p->pluck_damping) * powf(220.0f / freq, 0.4f);
    k->t60 = t60 < 0.15f ? 0.15f : (t60 > 15.0f ? 15.0f : t60);
    k->ap_x1 = k->ap_y1 = k->lf_x1 = 0.0f;
    pluck_tune(k, freq, sample_rate);
    int n = k->n;
    memset(k->buf, 0, sizeof k->buf);
    // excitation: one period of noise, low-passed by brightness (and velocity), then a pick-position comb
    float bright = p->pluck_brightness * (0.45f + 0.55f * velocity);
    float c = 0.03f + 0.97f * bright * bright, y = 0.0f;
    for (int i = 0; i < n; i++) {
        y += c * (cdsp_rng_bipolar(rng) - y);
        k->buf[i] = y;
    }
    int m = (int)lroundf(0.13f * (float)n);
    if (m >= 1)
        for (int i = n - 1; i >= m; i--) k->buf[i] -= 0.8f * k->buf[i - m];
    float mean = 0.0f, peak = 0.0f;
    for (int i = 0; i < n; i++) mean += k->buf[i];
    mean /= (float)n;
    for (int i = 0; i < n; i++) {
        k->buf[i] -= mean;
        float a = fabsf(k->buf[i]);
        if (a > peak) peak = a;
    }
    if (peak > 0.0f)
        for (int i = 0; i < n; i++) k->buf[i] *= 1.0f / peak;
    k->w = (unsigned)n;
}

static void additive_rotations(add_state *s, float freq, float sample_rate) {
    float w = SYNTH_TWO_PI * freq / sample_rate;
    if (s->stiff) {   // inharmonic partials: each its own rotation (the harmonic recurrence below does not apply)
        for (int i = 0; i < VOICE_MAX_PARTIALS; i++) {
            float wi = i < s->k ? w * (float)(i + 1) * s->stretch[i] : 0.0f;
            s->cr[i] = cosf(wi);
            s->ci[i] = sinf(wi);
        }
        s->rot_freq = freq;
        return;
    }
    float c1 = cosf(w), s1 = sinf(w), c = c1, sn = s1;
    for (int i = 0; i < VOICE_MAX_PARTIALS; i++) {
        if (i >= s->k) {
            s->cr[i] = 1.0f;
            s->ci[i] = 0.0f;
            continue;
        }
        s->cr[i] = c;
        s->ci[i] = sn;
        float nc = c * c1 - sn * s1, ns = c * s1 + sn * c1;
        c = nc;
        sn = ns;
    }
    s->rot_freq = freq;
}

static void additive_init(add_state *s, const cdsp_voice_params *p, float freq, float max_freq, float sample_rate,
                          float velocity) {
    int k = (int)lroundf(p->additive_partials);
    int fit = (int)floorf(0.45f * sample_rate / max_freq);
    if (k > fit) k = fit;
    if (k < 1) k = 1;
    // A stiff string (Fletcher 1964): partial n at n f sqrt(1 + B n^2). B is given at middle C and doubles per
    // octave up, as across a piano's scale (about 1e-4 in the bass to 1e-3 and more in the treble).
    float B = p->stiffness > 0.0f ? p->stiffness * (freq / 261.6256f) : 0.0f;
    if (B > 0.02f) B = 0.02f;
    s->stiff = B > 0.0f;
    while (s->stiff && k > 1 && (float)k * sqrtf(1.0f + B * (float)(k * k)) * max_freq > 0.45f * sample_rate) k--;
    for (int i = 0; i < VOICE_MAX_PARTIALS; i++) {
        float n = (float)(i + 1);
        s->stretch[i] = s->stiff ? sqrtf(1.0f + B * n * n) : 1.0f;
        s->tilt_log[i] = 0.5f * log2f(n);
    }
    s->k = k;
    float rolloff = p->additive_rolloff + 0.6f * (1.0f - velocity);   // softer notes are darker
    float sum2 = 0.0f;
    for (int i = 0; i < k; i++) {
        float n = (float)(i + 1);
        s->amp[i] = powf(n, -rolloff);
        sum2 += s->amp[i] * s->amp[i];
        s->re[i] = 1.0f;
        s->im[i] = 0.0f;
        // partial n decays with time constant additive_decay / n^0.8 (0 = organ: no decay)
        s->decay[i] = p->additive_decay > 0.0f ? expf(-powf(n, 0.8f) / (p->additive_decay * sample_rate)) : 1.0f;
    }
    float norm = 1.0f / sqrtf(sum2);
    for (int i = 0; i < k; i++) s->amp[i] *= norm;
    for (int i = k; i < VOICE_MAX_PARTIALS; i++) {   // padding lanes of the 4-wide loop: silent, inert
        s->amp[i] = 0.0f;
        s->decay[i] = 1.0f;
        s->re[i] = 1.0f;
        s->im[i] = 0.0f;
    }
    additive_rotations(s, freq, sample_rate);
    s->lnoise = p->noise_level;
    s->breath.sample_rate = sample_rate;
    s->breath.ic1 = s->breath.ic2 = 0.0f;
    synth_svf_set(&s->breath, CDSP_SVF_BANDPASS, 2.0f * freq, 0.35f);
}

// ---------------------------------------------------------------------------------------------------------------

/// Everything one note needs. Large (the pluck delay line), so it is a file-scope type placed on the caller's
/// stack by cdsp_voice_render.
typedef struct {
    cdsp_voice_params p;
    float sr, freq, vel, level;
    cdsp_rng rng;
    synth_adsr amp, fenv;
    synth_svf svf;
    synth_ladder ladder;
    /// The onset noise: low-passed noise under its own exponential decay (level, per-sample factor).
    synth_svf onset;
    float onset_level, onset_decay;
    /// Movement over the held note: its own rate and starting phase (cycles), drawn from the note's seed.
    float move_rate, move_phase;
    union {
        sub_state sub;
        fm_state fm;
        pluck_state pluck;
        add_state add;
    } e;
} voice;

/// Adds a lane: kind 0 saw, 1 triangle, 2 sine.
static void sub_add_lane(sub_state *s, int kind, float phase, float ratio, float weight) {
    sub_lanes *g = kind == 0 ? s->saw : (kind == 1 ? s->tri : s->sine);
    int *count = kind == 0 ? &s->nsaw : (kind == 1 ? &s->ntri : &s->nsine);
    int i = (*count)++;
    g[i / 4].t[i % 4] = phase;
    g[i / 4].ratio[i % 4] = ratio;
    g[i / 4].w[i % 4] = weight;
}

/// One oscillator (wave, phase, frequency ratio, weight) as lanes.
static void sub_add_osc(sub_state *s, int wave, float phase, float ratio, float weight, float pw) {
    switch (wave) {
    case CDSP_WAVE_SAW: sub_add_lane(s, 0, phase, ratio, weight); break;
    case CDSP_WAVE_SQUARE: {   // pulse minus its mean = saw(t + 1 - pw) - saw(t), edges included
        float t2 = phase + 1.0f - pw;
        sub_add_lane(s, 0, phase, ratio, -weight);
        sub_add_lane(s, 0, t2 >= 1.0f ? t2 - 1.0f : t2, ratio, weight);
        break;
    }
    case CDSP_WAVE_TRIANGLE: sub_add_lane(s, 1, phase, ratio, weight); break;
    default: sub_add_lane(s, 2, phase, ratio, weight); break;
    }
}

#define VOICE_OS_HZ 1500.0f /* highest edged-oscillator frequency rendered without oversampling */

static void sub_init(sub_state *s, const cdsp_voice_params *p, float max_freq, cdsp_rng *rng) {
    memset(s, 0, sizeof *s);
    for (int g = 0; g < SUB_SAW_GROUPS; g++) s->saw[g].ratio = synth_v4_splat(1.0f);   // inert padding lanes
    for (int g = 0; g < SUB_TRI_GROUPS; g++) s->tri[g].ratio = synth_v4_splat(1.0f);
    for (int g = 0; g < SUB_SINE_GROUPS; g++) s->sine[g].ratio = synth_v4_splat(1.0f);
    const int n1 = p->unison_detune > 0.0f ? 2 : 1;
    const float ug = n1 == 2 ? 0.70710678f : 1.0f;
    const float o2 = exp2f(p->osc2_octave + p->osc2_detune / 1200.0f);
    float top = 0.0f;   // highest frequency ratio of an oscillator with edges
    for (int u = 0; u < n1; u++) {
        float spread = n1 == 2 ? (u == 0 ? 0.5f : -0.5f) * p->unison_detune / 1200.0f : 0.0f;
        float r1 = exp2f(spread), r2 = o2 * exp2f(-spread);
        float p1 = cdsp_rng_uniform(rng), p2 = cdsp_rng_uniform(rng);
        sub_add_osc(s, p->wave1, p1, r1, ug, p->pulse_width);
        if (p->wave1 != CDSP_WAVE_SINE && r1 > top) top = r1;
        if (p->osc2_level > 0.0f) {
            sub_add_osc(s, p->wave2, p2, r2, ug * p->osc2_level, p->pulse_width);
            if (p->wave2 != CDSP_WAVE_SINE && r2 > top) top = r2;
        }
    }
    if (p->sub_level > 0.0f) sub_add_lane(s, 2, 0.0f, 0.5f, p->sub_level);
    s->os = max_freq * top > VOICE_OS_HZ ? 2 : 1;
    s->lnoise = p->noise_level;
    s->norm = 1.0f / (1.0f + 0.5f * (p->osc2_level + p->sub_level + p->noise_level));
    s->noise = synth_noise_seed(rng);
    synth_halfband_init(&s->hb);
}

/// Lane phase steps (cycles per sample at the oscillators' rate) at the block's end, clamped below 0.45.
static inline synth_v4f sub_dt(const sub_lanes *g, float f) {
    return synth_v4_min(g->ratio * f, synth_v4_splat(0.45f));
}

static void render_subtractive(voice *v, float *buf, int n, float f0, float f1) {
    sub_state *s = &v->e.sub;
    const int os = s->os, m = n * os;
    // the pitch ramps linearly over the block: per-lane step dt grows by ddt each sample
    const float scale = 1.0f / (v->sr * (float)os);
    const float fa = f0 * scale, fb = f1 * scale, fmid = 0.5f * (fa + fb);
    synth_v4f acc[2 * VOICE_CR];
    for (int j = 0; j < m; j++) acc[j] = synth_v4_splat(0.0f);
    for (int g = 0; g < (s->nsaw + 3) / 4; g++) {
        sub_lanes *L = &s->saw[g];
        synth_v4f t = L->t, w = L->w, dt = sub_dt(L, fa), ddt = (sub_dt(L, fb) - dt) * (1.0f / (float)m);
        const synth_v4f inv = 1.0f / sub_dt(L, fmid);   // the residual's width: one value per block is plenty
        if (os == 2)
            for (int j = 0; j < m; j++) {
                dt += ddt;
                acc[j] += w * synth_v4_saw(t, inv);
                t = synth_v4_wrap(t + dt);
            }
        else
            for (int j = 0; j < m; j++) {
                dt += ddt;
                acc[j] += w * synth_v4_saw4(t, inv);
                t = synth_v4_wrap(t + dt);
            }
        L->t = t;
    }
    for (int g = 0; g < (s->ntri + 3) / 4; g++) {
        sub_lanes *L = &s->tri[g];
        synth_v4f t = L->t, w = L->w, dt = sub_dt(L, fa), ddt = (sub_dt(L, fb) - dt) * (1.0f / (float)m);
        const synth_v4f dtm = sub_dt(L, fmid), inv = 1.0f / dtm;
        for (int j = 0; j < m; j++) {
            dt += ddt;
            acc[j] += w * synth_v4_tri(t, dtm, inv);
            t = synth_v4_wrap(t + dt);
        }
        L->t = t;
    }
    for (int g = 0; g < (s->nsine + 3) / 4; g++) {
        sub_lanes *L = &s->sine[g];
        synth_v4f t = L->t, w = L->w, dt = sub_dt(L, fa), ddt = (sub_dt(L, fb) - dt) * (1.0f / (float)m);
        for (int j = 0; j < m; j++) {
            dt += ddt;
            acc[j] += w * synth_v4_sin(t);
            t = synth_v4_wrap(t + dt);
        }
        L->t = t;
    }
    if (os == 2) {
        float x2[2 * VOICE_CR];
        for (int j = 0; j < m; j++) x2[j] = synth_v4_sum(acc[j]);
        synth_halfband_block(&s->hb, x2, buf, n);
    } else {
        for (int j = 0; j < n; j++) buf[j] = synth_v4_sum(acc[j]);
    }
    const float norm = s->norm;
    if (s->lnoise > 0.0f) {
        const float ln = s->lnoise;
        uint32_t r = s->noise;
        for (int i = 0; i < n; i++) buf[i] = (buf[i] + ln * synth_noise(&r)) * norm;
        s->noise = r;
    } else {
        for (int i = 0; i < n; i++) buf[i] *= norm;
    }
}

static void render_fm(voice *v, float *buf, int n, float f0, float f1, float idx0, float idx1) {
    fm_state *s = &v->e.fm;
    const float inv = 1.0f / v->sr, ratio = v->p.fm_ratio, fb = s->fb;
    const float to_cycles = 1.0f / SYNTH_TWO_PI;
    const float inv_n = 1.0f / (float)n;
    for (int i = 0; i < n; i++) {
        float a = (float)(i + 1) * inv_n;
        float f = f0 + (f1 - f0) * a, idx = (idx0 + (idx1 - idx0) * a) * to_cycles;
        float m = synth_sin_cycles(s->pm + fb * (s->m1 + s->m2));
        s->m2 = s->m1;
        s->m1 = m;
        buf[i] = synth_sin_cycles(s->pc + idx * m);
        s->pc += f * inv;
        s->pm += f * ratio * inv;
        if (s->pc >= 1.0f) s->pc -= 1.0f;
        while (s->pm >= 1.0f) s->pm -= 1.0f;
    }
}

static void render_pluck(voice *v, float *buf, int n, float f1) {
    pluck_state *k = &v->e.pluck;
    if (fabsf(f1 - k->tuned_freq) > 1e-4f * f1) pluck_tune(k, f1, v->sr);
    const float a = k->a, s = k->s, rho = k->rho;
    const unsigned len = (unsigned)k->n;
    for (int i = 0; i < n; i++) {
        float y = k->buf[(k->w - len) & VOICE_KS_MASK];
        float ap = a * y + k->ap_x1 - a * k->ap_y1;
        k->ap_x1 = y;
        k->ap_y1 = ap;
        float lf = rho * ((1.0f - s) * ap + s * k->lf_x1);
        k->lf_x1 = ap;
        k->buf[k->w & VOICE_KS_MASK] = lf;
        k->w++;
        buf[i] = 1.6f * lf;   // the loop low-pass soon takes the excitation's top off: level it with the others
    }
}

static void render_additive(voice *v, float *buf, int n, float f1, float tilt) {
    add_state *s = &v->e.add;
    if (fabsf(f1 - s->rot_freq) > 1e-5f * f1) additive_rotations(s, f1, v->sr);
    float gains[VOICE_MAX_PARTIALS];
    if (tilt != 0.0f) {   // movement: the partials' amplitudes tilted by `tilt` octaves for this block
        for (int j = 0; j < s->k; j++) {
            gains[j] = exp2f(tilt * s->tilt_log[j]);
            s->amp[j] *= gains[j];
        }
    }
    // four partials at a time (GCC/Clang vector extension); unused lanes have zero amplitude
    typedef float v4 __attribute__((vector_size(16)));
    const int groups = (s->k + 3) / 4;
    v4 re[VOICE_MAX_PARTIALS / 4], im[VOICE_MAX_PARTIALS / 4], cr[VOICE_MAX_PARTIALS / 4], ci[VOICE_MAX_PARTIALS / 4];
    v4 amp[VOICE_MAX_PARTIALS / 4], dec[VOICE_MAX_PARTIALS / 4];
    __builtin_memcpy(re, s->re, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(im, s->im, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(cr, s->cr, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(ci, s->ci, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(amp, s->amp, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(dec, s->decay, sizeof(v4) * (size_t)groups);
    for (int i = 0; i < n; i++) {
        v4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int g = 0; g < groups; g++) {
            v4 nr = re[g] * cr[g] - im[g] * ci[g];
            v4 ni = re[g] * ci[g] + im[g] * cr[g];
            re[g] = nr;
            im[g] = ni;
            acc += amp[g] * ni;
            amp[g] *= dec[g];
        }
        buf[i] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    }
    // partials decayed 300 dB are silent: flush them before they turn into slow subnormal floats
    for (int g = 0; g < groups; g++) amp[g] = (synth_v4f)((synth_v4i)amp[g] & (amp[g] > 1e-15f));
    __builtin_memcpy(s->re, re, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(s->im, im, sizeof(v4) * (size_t)groups);
    __builtin_memcpy(s->amp, amp, sizeof(v4) * (size_t)groups);
    if (tilt != 0.0f)
        for (int j = 0; j < s->k; j++) s->amp[j] /= gains[j];
    const int k = s->k;
    for (int j = 0; j < k; j++) {   // keep the rotating phasors on the unit circle (float rounding drifts)
        float m2 = s->re[j] * s->re[j] + s->im[j] * s->im[j];
        float c = 1.5f - 0.5f * m2;
        s->re[j] *= c;
        s->im[j] *= c;
    }
    if (s->lnoise > 0.0f)
        for (int i = 0; i < n; i++) buf[i] += 0.5f * s->lnoise * synth_svf_tick(&s->breath, cdsp_rng_bipolar(&v->rng));
}

/// Frequency at time t: glide from glide_from (linear in pitch over p.glide seconds) and delayed vibrato.
static float voice_pitch(const voice *v, float glide_octaves, float t) {
    float oct = 0.0f;
    if (glide_octaves != 0.0f && t < v->p.glide) oct += glide_octaves * (1.0f - t / v->p.glide);
    if (v->p.vibrato_depth > 0.0f && v->p.vibrato_rate > 0.0f && t > v->p.vibrato_delay) {
        float fade = (t - v->p.vibrato_delay) / 0.25f;
        if (fade > 1.0f) fade = 1.0f;
        oct += v->p.vibrato_depth / 1200.0f * fade * synth_sin_cycles(v->p.vibrato_rate * (t - v->p.vibrato_delay));
    }
    return oct == 0.0f ? v->freq : v->freq * exp2f(oct);
}

/// Brightness movement at time t, in octaves: a slow sine at the note's own rate and phase, faded in over the first
/// half second so that every onset sounds alike.
static float voice_movement(const voice *v, float t) {
    if (!(v->p.movement_depth > 0.0f)) return 0.0f;
    float fade = t < 0.5f ? t / 0.5f : 1.0f;
    return v->p.movement_depth * fade * synth_sin_cycles(v->move_phase + v->move_rate * t);
}

cdsp_status cdsp_voice_render(const cdsp_voice_params *params, float sample_rate, float frequency, float glide_from,
                              float velocity, size_t frames_on, uint64_t seed, float *out, size_t frames_total) {
    if (!params || (!out && frames_total > 0)) return CDSP_ERR_ARGUMENT;
    if (!(sample_rate >= 8000.0f && sample_rate <= 384000.0f)) return CDSP_ERR_ARGUMENT;
    if (!(frequency > 0.0f) || !isfinite(frequency) || frequency >= 0.45f * sample_rate) return CDSP_ERR_ARGUMENT;
    if (frames_total == 0) return CDSP_OK;

    voice v;
    voice_sanitize(params, &v.p);
    const cdsp_voice_params *p = &v.p;
    v.sr = sample_rate;
    v.freq = frequency;
    v.vel = clampf(velocity, 0, 1, 0);
    v.level = p->gain * v.vel * sqrtf(v.vel);   // velocity^1.5: -9 dB at half velocity
    cdsp_rng_seed(&v.rng, seed);

    v.amp = (synth_adsr){.sample_rate = sample_rate};
    synth_adsr_set(&v.amp, p->amp_attack, p->amp_decay, p->amp_sustain, p->amp_release);
    v.fenv = (synth_adsr){.sample_rate = sample_rate};
    synth_adsr_set(&v.fenv, p->filt_attack, p->filt_decay, p->filt_sustain, p->filt_release);

    float glide_oct = 0.0f, max_freq = frequency;
    if (p->glide > 0.0f && glide_from > 0.0f && isfinite(glide_from)) {
        glide_oct = log2f(glide_from / frequency);
        if (glide_from > max_freq) max_freq = glide_from;
    }
    max_freq *= exp2f(p->vibrato_depth / 1200.0f);

    switch (p->engine) {
    case CDSP_ENGINE_FM:
        v.e.fm = (fm_state){.pc = 0.0f, .pm = 0.0f, .fb = p->fm_feedback * 0.3f};
        break;
    case CDSP_ENGINE_PLUCK:
        pluck_init(&v.e.pluck, p, frequency, sample_rate, v.vel, &v.rng);
        break;
    case CDSP_ENGINE_ADDITIVE:
        additive_init(&v.e.add, p, frequency, max_freq, sample_rate, v.vel);
        break;
    default:
        sub_init(&v.e.sub, p, max_freq, &v.rng);
        break;
    }

    // Drawn after the engines' own draws, so that a preset without onset noise or movement keeps its samples.
    v.move_rate = 0.0f;
    v.move_phase = 0.0f;
    if (p->movement_depth > 0.0f) {
        v.move_rate = p->movement_rate * (0.85f + 0.3f * cdsp_rng_uniform(&v.rng));
        v.move_phase = cdsp_rng_uniform(&v.rng);
    }
    v.onset_level = 0.0f;
    v.onset_decay = 0.0f;
    if (p->attack_noise > 0.0f) {
        // Broadband up to a corner that rises with velocity: a hammer or mallet is brighter when it strikes
        // harder (1.5 kHz when barely touched, 10.5 kHz at full force).
        float corner = 1500.0f + 9000.0f * v.vel * v.vel;
        if (corner > 0.4f * sample_rate) corner = 0.4f * sample_rate;
        v.onset = (synth_svf){.sample_rate = sample_rate};
        synth_svf_set(&v.onset, CDSP_SVF_LOWPASS, corner, 0.1f);
        v.onset_level = p->attack_noise * (0.4f + 0.6f * v.vel);
        v.onset_decay = expf(-1.0f / (p->attack_noise_decay * sample_rate));
    }

    const int fkind = p->filter;
    v.svf = (synth_svf){.sample_rate = sample_rate};
    v.ladder = (synth_ladder){.sample_rate = sample_rate};
    int svf_mode = fkind == CDSP_FILTER_SVF_BP ? CDSP_SVF_BANDPASS
                   : fkind == CDSP_FILTER_SVF_HP ? CDSP_SVF_HIGHPASS : CDSP_SVF_LOWPASS;
    synth_svf_set(&v.svf, svf_mode, p->cutoff, p->resonance);
    synth_ladder_set(&v.ladder, p->cutoff, p->resonance, p->drive);
    const float key_oct = log2f(frequency / 261.6256f) * p->key_tracking;
    const float base_cut_oct = key_oct + p->velocity_to_cutoff * v.vel;
    const float fm_index = p->fm_index * (0.35f + 0.65f * v.vel);
    const float fm_decay_coef = p->fm_index_decay > 0.0f ? -1.0f / p->fm_index_decay : 0.0f;

    synth_adsr_gate(&v.amp, 1);
    synth_adsr_gate(&v.fenv, 1);
    int released = 0;
    float buf[VOICE_CR];
    float f_prev = voice_pitch(&v, glide_oct, 0.0f);
    float idx_prev = fm_index;
    float last_cut = -1.0f;
    size_t pos = 0;
    while (pos < frames_total) {
        if (!released && pos >= frames_on) {
            synth_adsr_gate(&v.amp, 0);
            synth_adsr_gate(&v.fenv, 0);
            released = 1;
        }
        if (released && (v.amp.stage == SYNTH_ENV_IDLE || v.amp.level < VOICE_TAIL_FLOOR)) break;
        size_t nz = frames_total - pos;
        if (nz > VOICE_CR) nz = VOICE_CR;
        if (!released && pos + nz > frames_on) nz = frames_on - pos;   // the gate closes on its exact frame
        const int n = (int)nz;
        const float t = (float)(pos + nz) / sample_rate;   // control values at the block's end, ramped from the last
        const float f_now = voice_pitch(&v, glide_oct, t);
        const float move = voice_movement(&v, t);

        switch (p->engine) {
        case CDSP_ENGINE_FM: {
            float idx_now = fm_decay_coef != 0.0f ? fm_index * expf(t * fm_decay_coef) : fm_index;
            if (move != 0.0f) idx_now *= exp2f(move);
            render_fm(&v, buf, n, f_prev, f_now, idx_prev, idx_now);
            idx_prev = idx_now;
            break;
        }
        case CDSP_ENGINE_PLUCK: render_pluck(&v, buf, n, f_now); break;
        case CDSP_ENGINE_ADDITIVE: render_additive(&v, buf, n, f_now, move); break;
        default: render_subtractive(&v, buf, n, f_prev, f_now); break;
        }
        f_prev = f_now;

        if (fkind != CDSP_FILTER_NONE) {
            const float fe = synth_adsr_skip(&v.fenv, n);
            float cut = p->cutoff * exp2f(base_cut_oct + p->filter_env_amount * fe + move);
            if (fabsf(cut - last_cut) > 1e-3f * cut) {
                last_cut = cut;
                if (fkind == CDSP_FILTER_LADDER) synth_ladder_coefs(&v.ladder, cut);
                else synth_svf_coefs(&v.svf, cut);
            }
            if (fkind == CDSP_FILTER_LADDER) synth_ladder_block(&v.ladder, buf, n);
            else synth_svf_block(&v.svf, buf, n);
        }
        if (fkind != CDSP_FILTER_LADDER && p->drive > 1.0f)
            for (int i = 0; i < n; i++) buf[i] = synth_drive(buf[i], p->drive);

        float env[VOICE_CR];
        synth_adsr_block(&v.amp, env, n);
        float *o = out + pos;
        const float level = v.level;
        if (v.onset_level > 1e-4f) {   // the onset noise, outside the amplitude envelope (a flute's chiff comes
            // before its tone has built up), stopped once its level is under 1e-4 (-80 dB before the voice's level)
            float g = v.onset_level;
            for (int i = 0; i < n; i++) {
                o[i] += (buf[i] * env[i] + g * synth_svf_tick(&v.onset, cdsp_rng_bipolar(&v.rng))) * level;
                g *= v.onset_decay;
            }
            v.onset_level = g;
        } else {
            for (int i = 0; i < n; i++) o[i] += buf[i] * env[i] * level;
        }
        pos += nz;
    }
    return CDSP_OK;
}

void cdsp_voice_add_note(const float *note, size_t frames, float gain, float *out) {
    if (!note || !out) return;
    for (size_t i = 0; i < frames; i++) out[i] += gain * note[i];
}
