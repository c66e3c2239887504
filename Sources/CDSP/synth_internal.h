// Why one header of 500 lines: these helpers are inline on purpose (called per sample inside the renderers'
// loops); a header per primitive would only spread the same includes over six files.
//
// Shared inline helpers of the sound sources (osc.c, noise.c, envelope.c, filters.c, voice.c, drums.c): a sine
// polynomial, a tanh approximation, band-limiting residuals, and the state of each primitive, so whole-note
// renderers keep every object on the stack and never allocate.
#ifndef CDSP_SYNTH_INTERNAL_H
#define CDSP_SYNTH_INTERNAL_H

#include <math.h>
#include "cdsp_synth.h"

#define SYNTH_TWO_PI 6.283185307179586f
#define SYNTH_PI 3.14159265358979f

/// sin(2*pi*p) for any p, branch-free: sin(2pi(u + 1/2)) = -sign(u) cos(2pi(1/4 - |u|)) with |1/4 - |u|| <= 1/4,
/// and cos from a 10th-order even polynomial (measured error < 1e-6, -120 dB).
static inline float synth_sin_cycles(float p) {
    float x = p - (float)(int32_t)p;   // (-1, 1)
    x += x < 0.0f ? 1.0f : 0.0f;       // [0, 1)
    float u = x - 0.5f;
    float v = (0.25f - fabsf(u)) * SYNTH_TWO_PI, v2 = v * v;
    // Estrin's scheme: the same polynomial with half the dependency depth of Horner's (FM feedback is a chain)
    float v4 = v2 * v2, v8 = v4 * v4;
    float c = (1.0f - 0.5f * v2) + v4 * ((1.0f / 24.0f) - (1.0f / 720.0f) * v2) +
              v8 * ((1.0f / 40320.0f) - (1.0f / 3628800.0f) * v2);
    return copysignf(c, -u);
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

/// After a decay step (one sample or many): within 1e-6 of the sustain level the envelope holds there.
static inline void synth_adsr_settle(synth_adsr *e) {
    if (e->level - e->sustain < 1e-6f) {
        e->level = e->sustain;
        e->stage = SYNTH_ENV_SUSTAIN;
    }
}

/// After a release step (one sample or many): under the floor the envelope is idle.
static inline void synth_adsr_fade(synth_adsr *e) {
    if (e->level < SYNTH_ENV_FLOOR) {
        e->level = 0.0f;
        e->stage = SYNTH_ENV_IDLE;
    }
}

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
        synth_adsr_settle(e);
        break;
    case SYNTH_ENV_SUSTAIN:
        e->level = e->sustain;
        break;
    case SYNTH_ENV_RELEASE:
        e->level *= e->release_coef;
        synth_adsr_fade(e);
        break;
    default:
        e->level = 0.0f;
        break;
    }
    return e->level;
}

/// `n` envelope values into env[]: same as n ticks, with the state in registers (the hot path of every note).
static inline void synth_adsr_block(synth_adsr *e, float *env, int n) {
    float level = e->level;
    int i = 0;
    while (i < n) {
        switch (e->stage) {
        case SYNTH_ENV_DECAY: {
            const float sus = e->sustain, c = e->decay_coef;
            for (; i < n; i++) {
                level = sus + (level - sus) * c;
                env[i] = level;
            }
            if (level - sus < 1e-6f) {
                level = sus;
                e->stage = SYNTH_ENV_SUSTAIN;
            }
            break;
        }
        case SYNTH_ENV_SUSTAIN:
            level = e->sustain;
            for (; i < n; i++) env[i] = level;
            break;
        case SYNTH_ENV_RELEASE: {
            const float c = e->release_coef;
            for (; i < n && level >= SYNTH_ENV_FLOOR; i++) {
                level *= c;
                env[i] = level;
            }
            if (level < SYNTH_ENV_FLOOR) {
                level = 0.0f;
                e->stage = SYNTH_ENV_IDLE;
                if (i > 0) env[i - 1] = 0.0f;
            }
            break;
        }
        case SYNTH_ENV_ATTACK:
            e->level = level;
            env[i++] = synth_adsr_tick(e);
            level = e->level;
            break;
        default:
            for (; i < n; i++) env[i] = 0.0f;
            level = 0.0f;
            break;
        }
    }
    e->level = level;
}

// Both filters' cutoff: clamped to 10 Hz ... 0.45 fs (NaN goes to 10 Hz), then prewarped, g = tan(pi fc / fs).
static inline float synth_prewarp(float sample_rate, float *cutoff) {
    float nyq_limit = 0.45f * sample_rate;
    float c = *cutoff;
    if (!(c > 10.0f)) c = 10.0f;
    if (c > nyq_limit) c = nyq_limit;
    *cutoff = c;
    return tanf(SYNTH_PI * c / sample_rate);
}

// --- Zero-delay-feedback state-variable filter (Simper).
typedef struct {
    float sample_rate, cutoff, k, a1, a2, a3, ic1, ic2;
    int mode;
} synth_svf;

static inline void synth_svf_coefs(synth_svf *f, float cutoff) {
    float g = synth_prewarp(f->sample_rate, &cutoff);
    f->cutoff = cutoff;
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

/// A block in place, mode hoisted out of the loop and state kept in registers.
static inline void synth_svf_block(synth_svf *f, float *x, int n) {
    const float a1 = f->a1, a2 = f->a2, a3 = f->a3, k = f->k;
    // the state update rewritten as ic1' = (2a1-1) ic1 + 2a2 v3, ic2' = ic2 + 2a2 ic1 + 2a3 v3: same filter,
    // shorter dependency chain from one sample to the next (this loop is latency-bound)
    const float b11 = 2.0f * a1 - 1.0f, b2 = 2.0f * a2, b3 = 2.0f * a3;
    float ic1 = f->ic1, ic2 = f->ic2;
#define SYNTH_SVF_STEP                              \
    float v0 = x[i], v3 = v0 - ic2;                 \
    float v1 = a1 * ic1 + a2 * v3;                  \
    float v2 = ic2 + a2 * ic1 + a3 * v3;            \
    float n1 = b11 * ic1 + b2 * v3;                 \
    ic2 = ic2 + b2 * ic1 + b3 * v3;                 \
    ic1 = n1;
    switch (f->mode) {
    case CDSP_SVF_HIGHPASS:
        for (int i = 0; i < n; i++) { SYNTH_SVF_STEP x[i] = v0 - k * v1 - v2; }
        break;
    case CDSP_SVF_BANDPASS:
        for (int i = 0; i < n; i++) { SYNTH_SVF_STEP (void)v2; x[i] = k * v1; }
        break;
    case CDSP_SVF_NOTCH:
        for (int i = 0; i < n; i++) { SYNTH_SVF_STEP (void)v2; x[i] = v0 - k * v1; }
        break;
    default:
        for (int i = 0; i < n; i++) { SYNTH_SVF_STEP (void)v1; x[i] = v2; }
        break;
    }
#undef SYNTH_SVF_STEP
    f->ic1 = ic1;
    f->ic2 = ic2;
}

// --- 4-pole ladder, zero-delay-feedback (TPT) form with tanh saturation at the input of the stages.
typedef struct {
    float sample_rate, cutoff, k, drive, G, beta, G4, inv_den, out_gain, s[4];
} synth_ladder;

static inline void synth_ladder_coefs(synth_ladder *f, float cutoff) {
    float g = synth_prewarp(f->sample_rate, &cutoff);
    f->cutoff = cutoff;
    f->G = g / (1.0f + g);
    f->beta = 1.0f / (1.0f + g);
    f->G4 = f->G * f->G * f->G * f->G;
    f->inv_den = 1.0f / (1.0f + f->k * f->G4);
    // passband loss of the feedback (1/(1+k) at DC) half compensated; drive grows the level as sqrt(drive)
    f->out_gain = (1.0f + 0.5f * f->k) / sqrtf(f->drive);
}

static inline void synth_ladder_set(synth_ladder *f, float cutoff, float resonance, float drive) {
    if (!(resonance >= 0.0f)) resonance = 0.0f;
    if (resonance > 1.0f) resonance = 1.0f;
    f->k = 4.0f * resonance;
    f->drive = drive > 1.0f ? drive : 1.0f;
    synth_ladder_coefs(f, cutoff);
}

static inline void synth_ladder_block(synth_ladder *f, float *x, int n) {
    const float G = f->G, b = f->beta, G4 = f->G4, inv_den = f->inv_den, k = f->k, drive = f->drive;
    const float og = f->out_gain;
    float s0 = f->s[0], s1 = f->s[1], s2 = f->s[2], s3 = f->s[3];
    for (int i = 0; i < n; i++) {
        // solve the linear feedback loop exactly (zero delay), then saturate the stage input
        float S = b * (G * (G * (G * s0 + s1) + s2) + s3);
        float xin = x[i] * drive;
        float y4 = (G4 * xin + S) * inv_den;
        float u = synth_tanh(xin - k * y4);
        float v = (u - s0) * G, y = v + s0;
        s0 = y + v;
        v = (y - s1) * G; u = v + s1; s1 = u + v;
        v = (u - s2) * G; y = v + s2; s2 = y + v;
        v = (y - s3) * G; u = v + s3; s3 = u + v;
        x[i] = u * og;
    }
    f->s[0] = s0; f->s[1] = s1; f->s[2] = s2; f->s[3] = s3;
}

// --- 2x oversampling: oscillators with edges run at twice the rate, then this 47-tap half-band FIR (Blackman-
// windowed sinc) brings them back. polyBLEP alone leaves the first alias of a C8 saw ~29 dB down at 44.1 kHz; at
// 2x the images that fold into the audible band are 40+ dB lower. Polyphase form: the centre tap reads the even
// phase, the 24 non-zero side taps read a contiguous window of the odd phase (kept twice, so never wrapped).
#define SYNTH_HB_SIDE 24
#define SYNTH_HB_BLOCK 64 /* most base-rate frames per synth_halfband_block call */
typedef struct {
    float center, c[SYNTH_HB_SIDE];
    float odd_hist[23], even_hist[11];
} synth_halfband;

static inline void synth_halfband_init(synth_halfband *h) {
    double sum = 0.5, cc[12];
    for (int j = 0; j < 12; j++) {
        int m = 2 * j + 1;
        double x = 3.14159265358979 * m / 2.0;
        int i = 23 + m;
        double w = 0.42 - 0.5 * cos(2.0 * 3.14159265358979 * i / 46.0) + 0.08 * cos(4.0 * 3.14159265358979 * i / 46.0);
        cc[j] = 0.5 * sin(x) / x * w;
        sum += 2.0 * cc[j];
    }
    h->center = (float)(0.5 / sum);
    for (int j = 0; j < 12; j++) h->c[11 - j] = h->c[12 + j] = (float)(cc[j] / sum);
    for (int i = 0; i < 23; i++) h->odd_hist[i] = 0.0f;
    for (int i = 0; i < 11; i++) h->even_hist[i] = 0.0f;
}

/// Decimates 2n samples at the doubled rate (x2) to n samples (y), n <= SYNTH_HB_BLOCK; delay 11.5 base-rate
/// samples. Whole blocks, so the vector loads never wait on just-stored scalars.
static inline void synth_halfband_block(synth_halfband *h, const float *x2, float *y, int n) {
    float odd[23 + SYNTH_HB_BLOCK], even[11 + SYNTH_HB_BLOCK];
    __builtin_memcpy(odd, h->odd_hist, sizeof h->odd_hist);
    __builtin_memcpy(even, h->even_hist, sizeof h->even_hist);
    for (int i = 0; i < n; i++) {
        even[11 + i] = x2[2 * i];
        odd[23 + i] = x2[2 * i + 1];
    }
    // 4-wide vectors (GCC/Clang vector extension: SSE on x86, NEON on ARM); memcpy = unaligned load
    typedef float synth_v4 __attribute__((vector_size(16)));
    synth_v4 c[SYNTH_HB_SIDE / 4];
    __builtin_memcpy(c, h->c, sizeof c);
    for (int i = 0; i < n; i++) {
        const float *w = odd + i;   // the 24 odd-phase samples around this output, oldest first
        synth_v4 acc = {0.0f, 0.0f, 0.0f, 0.0f};
        for (int j = 0; j < SYNTH_HB_SIDE / 4; j++) {
            synth_v4 b;
            __builtin_memcpy(&b, w + 4 * j, sizeof b);
            acc += c[j] * b;
        }
        y[i] = h->center * even[i] + ((acc[0] + acc[1]) + (acc[2] + acc[3]));
    }
    __builtin_memcpy(h->odd_hist, odd + n, sizeof h->odd_hist);
    __builtin_memcpy(h->even_hist, even + n, sizeof h->even_hist);
}

// --- 4-wide vectors (GCC/Clang vector extension: SSE on x86, NEON on ARM) and branch-free helpers on them.
typedef float synth_v4f __attribute__((vector_size(16)));
typedef int32_t synth_v4i __attribute__((vector_size(16)));

static inline synth_v4f synth_v4_splat(float x) { return (synth_v4f){x, x, x, x}; }
/// max(x, 0) lane-wise: the comparison gives all-ones lanes where x > 0.
static inline synth_v4f synth_v4_pos(synth_v4f x) { return (synth_v4f)((synth_v4i)x & (x > 0.0f)); }
static inline synth_v4f synth_v4_min(synth_v4f a, synth_v4f b) {
    synth_v4i m = a < b;
    return (synth_v4f)(((synth_v4i)a & m) | ((synth_v4i)b & ~m));
}
/// t - 1 where t >= 1 (a phase that advanced by less than one cycle back into [0, 1)).
static inline synth_v4f synth_v4_wrap(synth_v4f t) { return t - (synth_v4f)((synth_v4i)synth_v4_splat(1.0f) & (t >= 1.0f)); }
static inline float synth_v4_sum(synth_v4f x) { return (x[0] + x[1]) + (x[2] + x[3]); }

/// Lane-wise polyBLEP saw at phase t in [0, 1), inv = 1/dt: 2t - 1 minus the residual of its falling edge,
/// written as b^2 - a^2 with a = max(0, 1 - t/dt) (just after the edge) and b = max(0, 1 - (1 - t)/dt) (just
/// before it): the same polynomial as synth_blep, without branches.
static inline synth_v4f synth_v4_saw(synth_v4f t, synth_v4f inv) {
    synth_v4f x = t * inv;
    synth_v4f a = synth_v4_pos(1.0f - x), b = synth_v4_pos(x + (1.0f - inv));
    return (t + t - 1.0f) + (a * a - b * b);
}

/// Lane-wise 4-point polyBLEP saw: the edge smoothed by the integral C of the cubic B-spline (support +-2
/// samples) instead of a 2-point polynomial, which leaves ~10 dB less alias at the same rate (used without
/// oversampling, dt < 1/4). With y = |distance to the edge| in samples, C(-y) = (2 - y)^4 / 24 for 1 <= y < 2
/// and 1/2 - 2y/3 + y^3/3 - y^4/8 for y < 1; the saw is 2t - 1 +- 2 C(-y) (plus after the edge, minus before).
static inline synth_v4f synth_v4_saw4(synth_v4f t, synth_v4f inv) {
    synth_v4i after = t < 0.5f;
    synth_v4f x = (synth_v4f)((after & (synth_v4i)(t * inv)) | (~after & (synth_v4i)((t - 1.0f) * inv)));
    synth_v4f y = (synth_v4f)((synth_v4i)x & 0x7fffffff), y2 = y * y;
    synth_v4f z = synth_v4_pos(2.0f - y), z2 = z * z;
    synth_v4f outer = z2 * z2 * (1.0f / 24.0f);
    synth_v4f inner = 0.5f - (2.0f / 3.0f) * y + y2 * ((1.0f / 3.0f) * y - 0.125f * y2);
    synth_v4i near = y < 1.0f;
    synth_v4f c = (synth_v4f)((near & (synth_v4i)inner) | (~near & (synth_v4i)outer));
    // +2C after the edge, -2C before it: flip the sign bit of 2C where the lane is before the edge
    synth_v4f c2 = (synth_v4f)((synth_v4i)(c + c) ^ (~after & (synth_v4i)synth_v4_splat(-0.0f)));
    return (t + t - 1.0f) + c2;
}

/// Lane-wise polyBLAMP triangle (synth_wave's triangle), dt and inv = 1/dt.
static inline synth_v4f synth_v4_tri(synth_v4f t, synth_v4f dt, synth_v4f inv) {
    synth_v4f h = t - 0.5f;
    synth_v4f tri = 1.0f - 4.0f * (synth_v4f)((synth_v4i)h & 0x7fffffff);   // 1 - 4|t - 1/2|
    synth_v4f t3 = synth_v4_wrap(t + 0.5f);
    synth_v4f x = t * inv, y = t3 * inv;
    synth_v4f a = synth_v4_pos(1.0f - x), b = synth_v4_pos(x + (1.0f - inv));
    synth_v4f c = synth_v4_pos(1.0f - y), d = synth_v4_pos(y + (1.0f - inv));
    synth_v4f bl = (a * a * a + b * b * b) - (c * c * c + d * d * d);
    return tri + (8.0f / 6.0f) * dt * bl;
}

/// Lane-wise synth_sin_cycles for t in [0, 1).
static inline synth_v4f synth_v4_sin(synth_v4f t) {
    synth_v4f u = t - 0.5f;
    synth_v4i sign = (synth_v4i)u & (synth_v4i)synth_v4_splat(-0.0f);
    synth_v4f au = (synth_v4f)((synth_v4i)u ^ sign);
    synth_v4f v = (0.25f - au) * SYNTH_TWO_PI, v2 = v * v;
    synth_v4f v4 = v2 * v2, v8 = v4 * v4;
    synth_v4f c = (1.0f - 0.5f * v2) + v4 * ((1.0f / 24.0f) - (1.0f / 720.0f) * v2) +
                  v8 * ((1.0f / 40320.0f) - (1.0f / 3628800.0f) * v2);
    return (synth_v4f)((synth_v4i)c ^ sign ^ (synth_v4i)synth_v4_splat(-0.0f));
}

/// Inline white noise for the hot loops: xorshift32, seeded from the note's cdsp_rng (so still seed-determined).
static inline uint32_t synth_noise_seed(cdsp_rng *rng) {
    uint32_t s = (uint32_t)(cdsp_rng_next(rng) >> 32);
    return s ? s : 0x9E3779B9u;
}
static inline float synth_noise(uint32_t *s) {
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return (float)(int32_t)x * (1.0f / 2147483648.0f);
}

/// Advances an envelope by n ticks without producing the samples: the control-rate path (filter envelope).
static inline float synth_adsr_skip(synth_adsr *e, int n) {
    while (n > 0) {
        switch (e->stage) {
        case SYNTH_ENV_ATTACK: {
            int k = (int)ceilf((1.0f - e->level) / e->attack_inc);
            if (k < 1) k = 1;
            if (k > n) {
                e->level += (float)n * e->attack_inc;
                n = 0;
            } else {
                e->level = 1.0f;
                e->stage = SYNTH_ENV_DECAY;
                n -= k;
            }
            break;
        }
        case SYNTH_ENV_DECAY:
            e->level = e->sustain + (e->level - e->sustain) * powf(e->decay_coef, (float)n);
            n = 0;
            synth_adsr_settle(e);
            break;
        case SYNTH_ENV_SUSTAIN:
            e->level = e->sustain;
            n = 0;
            break;
        case SYNTH_ENV_RELEASE:
            e->level *= powf(e->release_coef, (float)n);
            n = 0;
            synth_adsr_fade(e);
            break;
        default:
            e->level = 0.0f;
            n = 0;
            break;
        }
    }
    return e->level;
}

#endif
