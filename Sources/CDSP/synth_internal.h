// Shared inline helpers of the sound sources (osc.c, noise.c, envelope.c, filters.c, voice.c, drums.c): a sine
// polynomial, a tanh approximation, band-limiting residuals, and the state of each primitive, so whole-note
// renderers keep every object on the stack and never allocate.
#ifndef CDSP_SYNTH_INTERNAL_H
#define CDSP_SYNTH_INTERNAL_H

#include <math.h>
#include "cdsp_synth.h"

#define SYNTH_TWO_PI 6.283185307179586f
#define SYNTH_PI 3.14159265358979f

/// sin(2*pi*p) for any p: fold to a quarter period, then a 9th-order odd polynomial (error < 4e-6, -108 dB).
static inline float synth_sin_cycles(float p) {
    float x = p - (float)(int32_t)p;   // (-1, 1)
    if (x < 0.0f) x += 1.0f;           // [0, 1)
    x -= 0.5f;                         // sin(2pi(x+0.5)) = -sin(2pi x)
    if (x > 0.25f) x = 0.5f - x;
    else if (x < -0.25f) x = -0.5f - x;
    float t = x * SYNTH_TWO_PI, t2 = t * t;
    float s = t * (1.0f + t2 * (-1.0f / 6.0f + t2 * (1.0f / 120.0f + t2 * (-1.0f / 5040.0f + t2 * (1.0f / 362880.0f)))));
    return -s;
}

/// Pade tanh, exact at 0 and saturating at +-3; smooth and monotonic on the clamp interval.
static inline float synth_tanh(float x) {
    if (x > 3.0f) return 1.0f;
    if (x < -3.0f) return -1.0f;
    float x2 = x * x;
    return x * (27.0f + x2) / (27.0f + 9.0f * x2);
}

/// Saturation with unity small-signal gain at drive 1 and a level that grows as sqrt(drive) for loud drive.
static inline float synth_drive(float x, float drive) {
    if (drive <= 1.0f) return x;
    return synth_tanh(x * drive) / sqrtf(drive);
}

/// 2-point polyBLEP residual of a unit-height (+2 peak-to-peak) rising step at phase 0; t in [0,1), dt = f/fs.
static inline float synth_blep(float t, float dt) {
    if (t < dt) {
        float x = t / dt;
        return x + x - x * x - 1.0f;
    }
    if (t > 1.0f - dt) {
        float x = (t - 1.0f) / dt;
        return x * x + x + x + 1.0f;
    }
    return 0.0f;
}

/// 2-point polyBLAMP residual (integrated BLEP) of a unit slope change per sample, at phase 0.
static inline float synth_blamp(float t, float dt) {
    if (t < dt) {
        float x = 1.0f - t / dt;
        return x * x * x * (1.0f / 6.0f);
    }
    if (t > 1.0f - dt) {
        float x = (t - 1.0f) / dt + 1.0f;
        return x * x * x * (1.0f / 6.0f);
    }
    return 0.0f;
}

static inline float synth_wrap(float t) { return t >= 1.0f ? t - 1.0f : (t < 0.0f ? t + 1.0f : t); }

/// One band-limited oscillator sample at phase t with increment dt (< 0.5); does not advance the phase.
static inline float synth_wave(int wave, float t, float dt, float pw) {
    switch (wave) {
    case CDSP_WAVE_SAW:
        return 2.0f * t - 1.0f - synth_blep(t, dt);
    case CDSP_WAVE_SQUARE: {
        float v = (t < pw ? 1.0f : -1.0f) + synth_blep(t, dt) - synth_blep(synth_wrap(t + 1.0f - pw), dt);
        return v - (2.0f * pw - 1.0f);
    }
    case CDSP_WAVE_TRIANGLE: {
        float v = t < 0.5f ? 4.0f * t - 1.0f : 3.0f - 4.0f * t;
        // slope changes of +8 (per cycle) at phase 0 and -8 at phase 0.5, as amplitude per sample: 8 dt.
        return v + 8.0f * dt * (synth_blamp(t, dt) - synth_blamp(synth_wrap(t + 0.5f), dt));
    }
    default:
        return synth_sin_cycles(t);
    }
}

// --- ADSR state (envelope.c semantics): times are the time to move 60 dB of the remaining distance.
enum { SYNTH_ENV_IDLE = 0, SYNTH_ENV_ATTACK, SYNTH_ENV_DECAY, SYNTH_ENV_SUSTAIN, SYNTH_ENV_RELEASE };
typedef struct {
    float sample_rate, attack_inc, decay_coef, sustain, release_coef, level;
    int stage;
} synth_adsr;

/// Coefficient of an exponential that falls 60 dB in `seconds`.
static inline float synth_t60_coef(float seconds, float sample_rate) {
    if (!(seconds > 0.0f)) return 0.0f;
    return expf(-6.907755279f / (seconds * sample_rate));
}

static inline void synth_adsr_set(synth_adsr *e, float a, float d, float s, float r) {
    e->attack_inc = a > 0.0f ? 1.0f / (a * e->sample_rate) : 1.0f;
    e->decay_coef = synth_t60_coef(d, e->sample_rate);
    e->sustain = s < 0.0f ? 0.0f : (s > 1.0f ? 1.0f : s);
    e->release_coef = synth_t60_coef(r, e->sample_rate);
}

static inline void synth_adsr_gate(synth_adsr *e, int on) {
    if (on) e->stage = SYNTH_ENV_ATTACK;
    else if (e->stage != SYNTH_ENV_IDLE) e->stage = SYNTH_ENV_RELEASE;
}

#define SYNTH_ENV_FLOOR 1e-4f /* -80 dB */

static inline float synth_adsr_tick(synth_adsr *e) {
    switch (e->stage) {
    case SYNTH_ENV_ATTACK:
        e->level += e->attack_inc;
        if (e->level >= 1.0f) {
            e->level = 1.0f;
            e->stage = SYNTH_ENV_DECAY;
        }
        break;
    case SYNTH_ENV_DECAY:
        e->level = e->sustain + (e->level - e->sustain) * e->decay_coef;
        if (e->level - e->sustain < 1e-6f) {
            e->level = e->sustain;
            e->stage = SYNTH_ENV_SUSTAIN;
        }
        break;
    case SYNTH_ENV_SUSTAIN:
        e->level = e->sustain;
        break;
    case SYNTH_ENV_RELEASE:
        e->level *= e->release_coef;
        if (e->level < SYNTH_ENV_FLOOR) {
            e->level = 0.0f;
            e->stage = SYNTH_ENV_IDLE;
        }
        break;
    default:
        e->level = 0.0f;
        break;
    }
    return e->level;
}

// --- Zero-delay-feedback state-variable filter (Simper).
typedef struct {
    float sample_rate, cutoff, k, a1, a2, a3, ic1, ic2;
    int mode;
} synth_svf;

static inline void synth_svf_coefs(synth_svf *f, float cutoff) {
    float nyq_limit = 0.45f * f->sample_rate;
    if (!(cutoff > 10.0f)) cutoff = 10.0f;
    if (cutoff > nyq_limit) cutoff = nyq_limit;
    f->cutoff = cutoff;
    float g = tanf(SYNTH_PI * cutoff / f->sample_rate);
    f->a1 = 1.0f / (1.0f + g * (g + f->k));
    f->a2 = g * f->a1;
    f->a3 = g * f->a2;
}

static inline void synth_svf_set(synth_svf *f, int mode, float cutoff, float resonance) {
    if (!(resonance >= 0.0f)) resonance = 0.0f;
    if (resonance > 1.0f) resonance = 1.0f;
    f->mode = mode;
    f->k = 1.41421356f * (1.0f - resonance) + 0.02f * resonance;  // Butterworth at 0, Q = 50 at 1
    synth_svf_coefs(f, cutoff);
}

static inline float synth_svf_tick(synth_svf *f, float v0) {
    float v3 = v0 - f->ic2;
    float v1 = f->a1 * f->ic1 + f->a2 * v3;
    float v2 = f->ic2 + f->a2 * f->ic1 + f->a3 * v3;
    f->ic1 = 2.0f * v1 - f->ic1;
    f->ic2 = 2.0f * v2 - f->ic2;
    switch (f->mode) {
    case CDSP_SVF_HIGHPASS: return v0 - f->k * v1 - v2;
    case CDSP_SVF_BANDPASS: return f->k * v1;   // unity gain at the centre
    case CDSP_SVF_NOTCH: return v0 - f->k * v1;
    default: return v2;
    }
}

// --- 4-pole ladder, zero-delay-feedback (TPT) form with tanh saturation at the input of the stages.
typedef struct {
    float sample_rate, cutoff, k, drive, G, beta, s[4];
} synth_ladder;

static inline void synth_ladder_coefs(synth_ladder *f, float cutoff) {
    float nyq_limit = 0.45f * f->sample_rate;
    if (!(cutoff > 10.0f)) cutoff = 10.0f;
    if (cutoff > nyq_limit) cutoff = nyq_limit;
    f->cutoff = cutoff;
    float g = tanf(SYNTH_PI * cutoff / f->sample_rate);
    f->G = g / (1.0f + g);
    f->beta = 1.0f / (1.0f + g);
}

static inline void synth_ladder_set(synth_ladder *f, float cutoff, float resonance, float drive) {
    if (!(resonance >= 0.0f)) resonance = 0.0f;
    if (resonance > 1.0f) resonance = 1.0f;
    f->k = 4.0f * resonance;
    f->drive = drive > 1.0f ? drive : 1.0f;
    synth_ladder_coefs(f, cutoff);
}

static inline float synth_ladder_tick(synth_ladder *f, float x) {
    float G = f->G, b = f->beta;
    float S = b * (G * (G * (G * f->s[0] + f->s[1]) + f->s[2]) + f->s[3]);
    float G4 = G * G * G * G;
    float xin = x * f->drive;
    float y4 = (G4 * xin + S) / (1.0f + f->k * G4);
    float u = synth_tanh(xin - f->k * y4);
    for (int i = 0; i < 4; i++) {
        float v = (u - f->s[i]) * G;
        float y = v + f->s[i];
        f->s[i] = y + v;
        u = y;
    }
    // passband loss of the feedback (1/(1+k) at DC) half compensated; drive grows the level as sqrt(drive)
    return u * (1.0f + 0.5f * f->k) / sqrtf(f->drive);
}

// --- 2x oversampling: oscillators with edges run at twice the rate, then this 47-tap half-band FIR (Blackman-
// windowed sinc, 12 distinct side taps) brings them back. polyBLEP alone leaves the first alias of a C8 saw only
// ~29 dB down at 44.1 kHz; at 2x the images that fold into the audible band are 40+ dB lower.
#define SYNTH_HB_SIDE 12
#define SYNTH_HB_CENTER 23
typedef struct {
    float center, c[SYNTH_HB_SIDE];
    float buf[64];
    unsigned pos;
} synth_halfband;

static inline void synth_halfband_init(synth_halfband *h) {
    double sum = 0.5;
    double cc[SYNTH_HB_SIDE];
    for (int j = 0; j < SYNTH_HB_SIDE; j++) {
        int m = 2 * j + 1;
        double x = 3.14159265358979 * m / 2.0;
        int i = SYNTH_HB_CENTER + m;
        double w = 0.42 - 0.5 * cos(2.0 * 3.14159265358979 * i / 46.0) + 0.08 * cos(4.0 * 3.14159265358979 * i / 46.0);
        cc[j] = 0.5 * sin(x) / x * w;
        sum += 2.0 * cc[j];
    }
    h->center = (float)(0.5 / sum);
    for (int j = 0; j < SYNTH_HB_SIDE; j++) h->c[j] = (float)(cc[j] / sum);
    for (int i = 0; i < 64; i++) h->buf[i] = 0.0f;
    h->pos = 0;
}

/// Takes two samples at the doubled rate, returns one at the base rate (delay: 11.5 base-rate samples).
static inline float synth_halfband_process(synth_halfband *h, float x0, float x1) {
    h->buf[h->pos & 63] = x0;
    h->buf[(h->pos + 1) & 63] = x1;
    h->pos += 2;
    unsigned newest = h->pos - 1, mid = newest - SYNTH_HB_CENTER;
    float y = h->center * h->buf[mid & 63];
    for (int j = 0; j < SYNTH_HB_SIDE; j++) {
        unsigned m = (unsigned)(2 * j + 1);
        y += h->c[j] * (h->buf[(mid - m) & 63] + h->buf[(mid + m) & 63]);
    }
    return y;
}

#endif
