// Synthesised drums: every hit is built from sines with pitch sweeps, seeded noise, banks of inharmonic square
// oscillators (the classic analogue cymbal recipe) and SVF filters, shaped by exponential envelopes.
//
// Each kind has a natural pitch and decay; `tune` shifts the pitch in semitones, `decay` scales every time
// constant, `tone` moves filters and transient levels from dark/soft to bright/hard, `drive` saturates, and
// velocity scales both level and (a little) tone. A hit lasts until its slowest envelope is 80 dB down.
#include <math.h>
#include "cdsp_params.h"
#include "synth_internal.h"

#define DRUM_LN_80DB 9.2103404f /* ln(10^4): time constants to fall 80 dB */

typedef struct {
    float tune_ratio, dm, tone, drive, gain;
} drum_cfg;

static float dclamp(float x, float lo, float hi, float fallback) {
    if (!isfinite(x)) return fallback;
    return x < lo ? lo : (x > hi ? hi : x);
}

/// The caller's parameters clamped to the preset table's ranges (cdsp_params.h; NaN -> the table's default).
static drum_cfg drum_config(const cdsp_drum_params *p) {
    cdsp_drum_params d;
    cdsp_drum_params_default(&d);
    if (p) d = *p;
    cdsp_drum_params_clamp(&d);
    drum_cfg c;
    c.tune_ratio = exp2f(d.tune / 12.0f);
    c.dm = d.decay;
    c.tone = d.tone;
    c.drive = d.drive;
    c.gain = d.gain;
    return c;
}

/// The slowest amplitude time constant (seconds) and the time before it starts, per kind.
static void drum_times(cdsp_drum_kind kind, const drum_cfg *c, float *tau, float *offset) {
    float dm = c->dm;
    *offset = 0.0f;
    switch (kind) {
    case CDSP_DRUM_KICK: *tau = 0.12f * dm; break;
    case CDSP_DRUM_SNARE: *tau = 0.07f * dm; break;
    case CDSP_DRUM_CLOSED_HAT: *tau = 0.014f * dm; break;
    case CDSP_DRUM_OPEN_HAT: *tau = 0.09f * dm; break;
    case CDSP_DRUM_CLAP: *tau = 0.065f * dm; *offset = 0.03f; break;
    case CDSP_DRUM_TOM_LOW: *tau = 0.2f * dm; break;
    case CDSP_DRUM_TOM_MID: *tau = 0.17f * dm; break;
    case CDSP_DRUM_TOM_HIGH: *tau = 0.14f * dm; break;
    case CDSP_DRUM_CRASH: *tau = 0.55f * dm; break;
    case CDSP_DRUM_RIDE: *tau = 0.45f * dm; break;
    case CDSP_DRUM_RIMSHOT: *tau = 0.014f * dm; break;
    case CDSP_DRUM_SHAKER: *tau = 0.035f * dm; *offset = 0.012f; break;
    default: *tau = 0.0f; break;
    }
}

size_t cdsp_drum_length(cdsp_drum_kind kind, const cdsp_drum_params *p, float sample_rate) {
    if (kind < 0 || kind >= CDSP_DRUM_KIND_COUNT || !(sample_rate > 0.0f)) return 0;
    drum_cfg c = drum_config(p);
    float tau, offset;
    drum_times(kind, &c, &tau, &offset);
    return (size_t)ceilf((offset + DRUM_LN_80DB * tau) * sample_rate) + 1;
}

static inline float decay_coef(float tau, float sr) { return expf(-1.0f / (tau * sr)); }

/// One step of an exponential decay, flushed to 0 once it is 300 dB down: fast transients (clicks, pitch drops)
/// would otherwise reach subnormal floats long before the hit ends, and those cost ~100x per operation.
static inline float decay_step(float x, float c) {
    x *= c;
    return x > 1e-15f ? x : 0.0f;
}

/// Six detuned square oscillators at inharmonic ratios: the metallic core of hats and cymbals. Two 4-wide lanes
/// (the last two lanes silent).
typedef struct {
    synth_v4f phase[2], inc[2], w[2];
} metal_bank;

static void metal_init(metal_bank *m, float base, float sr, cdsp_rng *rng) {
    static const float ratios[6] = {1.0f, 1.4827f, 1.8003f, 2.5461f, 2.6303f, 3.8967f};
    for (int i = 0; i < 8; i++) {
        float f = i < 6 ? base * ratios[i] : base;
        if (f > 0.45f * sr) f = 0.45f * sr;
        m->inc[i / 4][i % 4] = f / sr;
        m->phase[i / 4][i % 4] = i < 6 ? cdsp_rng_uniform(rng) : 0.0f;
        m->w[i / 4][i % 4] = i < 6 ? 1.0f / 6.0f : 0.0f;
    }
}

static inline float metal_tick(metal_bank *m) {
    synth_v4f acc = synth_v4_splat(0.0f);
    for (int g = 0; g < 2; g++) {
        // +w below half a cycle, -w above: flip the sign bit of w where phase >= 1/2
        synth_v4f sq = (synth_v4f)((synth_v4i)m->w[g] ^ ((m->phase[g] >= 0.5f) & (synth_v4i)synth_v4_splat(-0.0f)));
        acc += sq;
        m->phase[g] = synth_v4_wrap(m->phase[g] + m->inc[g]);
    }
    return synth_v4_sum(acc);
}

static inline float drum_drive(float x, float drive, float norm) {
    return drive > 1.0f ? synth_tanh(x * drive) * norm : x;
}

static synth_svf make_svf(float sr, int mode, float cutoff, float res) {
    synth_svf f = {.sample_rate = sr};
    synth_svf_set(&f, mode, cutoff, res);
    return f;
}

cdsp_status cdsp_drum_render(cdsp_drum_kind kind, const cdsp_drum_params *params, float sample_rate, float velocity,
                             uint64_t seed, float *out, size_t frames) {
    if (kind < 0 || kind >= CDSP_DRUM_KIND_COUNT) return CDSP_ERR_ARGUMENT;
    if (!(sample_rate >= 8000.0f && sample_rate <= 384000.0f)) return CDSP_ERR_ARGUMENT;
    if (!out && frames > 0) return CDSP_ERR_ARGUMENT;
    const drum_cfg c = drum_config(params);
    const float sr = sample_rate, inv_sr = 1.0f / sample_rate;
    const float vel = dclamp(velocity, 0, 1, 0);
    const float tone = dclamp(c.tone + 0.25f * (vel - 0.7f), 0, 1, 0.5f);
    // balance between kinds at default settings (peaks: kick ~0.9, snare/toms ~0.8, hats ~0.5, cymbals ~0.55,
    // shaker ~0.4 at gain 0.8), so a kit played at equal velocities sits like a mixed kit
    static const float balance[CDSP_DRUM_KIND_COUNT] = {1.0f, 0.75f, 1.0f, 1.0f, 1.0f, 0.75f, 0.75f, 0.75f,
                                                        0.55f, 0.4f, 0.75f, 0.3f};
    const float level = c.gain * powf(vel, 1.3f) * balance[kind];
    const float dm = c.dm, rt = c.tune_ratio;
    const float drive_norm = c.drive > 1.0f ? 1.0f / synth_tanh(c.drive) : 1.0f;
    size_t len = cdsp_drum_length(kind, params, sample_rate);
    size_t n = frames < len ? frames : len;
    cdsp_rng rng;
    cdsp_rng_seed(&rng, seed ^ ((uint64_t)kind * 0x9E3779B97F4A7C15ull));
    uint32_t ns = synth_noise_seed(&rng);   // the per-sample white noise: inline xorshift32, seeded per hit

    switch (kind) {
    case CDSP_DRUM_KICK: {
        // sine swept from a few times its resting pitch down to ~48 Hz, plus a short filtered noise click
        const float f_end = 48.0f * rt, f_start = f_end * (2.6f + 2.0f * tone);
        float sweep = 1.0f, amp = 1.0f, click = 0.15f + 0.4f * tone, ph = 0.0f;
        const float sweep_c = decay_coef(0.024f, sr), amp_c = decay_coef(0.12f * dm, sr), click_c = decay_coef(0.0025f, sr);
        synth_svf hp = make_svf(sr, CDSP_SVF_BANDPASS, 2500.0f + 3000.0f * tone, 0.2f);
        for (size_t i = 0; i < n; i++) {
            float f = f_end + (f_start - f_end) * sweep;
            float x = synth_sin_cycles(ph) * amp + click * synth_svf_tick(&hp, synth_noise(&ns));
            ph += f * inv_sr;
            ph -= ph >= 1.0f ? 1.0f : 0.0f;
            sweep = decay_step(sweep, sweep_c);
            amp = decay_step(amp, amp_c);
            click = decay_step(click, click_c);
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_SNARE: {
        // two drum-head modes with a small pitch drop, and snare-wire noise through a high-pass
        const float f1 = 185.0f * rt, f2 = 330.0f * rt;
        float p1 = 0.0f, p2 = 0.0f, drop = 1.0f, body = 1.0f, wires = 1.0f;
        const float drop_c = decay_coef(0.015f, sr), body_c = decay_coef(0.045f * dm, sr);
        const float wires_c = decay_coef(0.07f * dm, sr);
        const float body_l = 0.9f - 0.4f * tone, wire_l = 0.6f + 0.5f * tone;
        synth_svf hp = make_svf(sr, CDSP_SVF_HIGHPASS, 1200.0f + 2500.0f * tone, 0.1f);
        synth_svf lp = make_svf(sr, CDSP_SVF_LOWPASS, 5000.0f + 6000.0f * tone, 0.0f);
        for (size_t i = 0; i < n; i++) {
            float bend = 1.0f + 0.25f * drop;
            float x = body_l * body * (0.65f * synth_sin_cycles(p1) + 0.35f * synth_sin_cycles(p2));
            x += wire_l * wires * synth_svf_tick(&lp, synth_svf_tick(&hp, synth_noise(&ns)));
            p1 += f1 * bend * inv_sr;
            p1 -= p1 >= 1.0f ? 1.0f : 0.0f;
            p2 += f2 * bend * inv_sr;
            p2 -= p2 >= 1.0f ? 1.0f : 0.0f;
            drop = decay_step(drop, drop_c);
            body = decay_step(body, body_c);
            wires = decay_step(wires, wires_c);
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_CLOSED_HAT:
    case CDSP_DRUM_OPEN_HAT:
    case CDSP_DRUM_CRASH:
    case CDSP_DRUM_RIDE: {
        // metallic square bank + noise, band-passed high and then high-passed twice (steep low cut)
        const int cymbal = kind == CDSP_DRUM_CRASH || kind == CDSP_DRUM_RIDE;
        const float base = (cymbal ? (kind == CDSP_DRUM_RIDE ? 420.0f : 360.0f) : 520.0f) * rt;
        metal_bank m;
        metal_init(&m, base, sr, &rng);
        float tau, offset;
        drum_times(kind, &c, &tau, &offset);
        const float noise_l = kind == CDSP_DRUM_RIDE ? 0.25f : (kind == CDSP_DRUM_CRASH ? 0.8f : 0.45f);
        const float hp_f = (cymbal ? 3500.0f : 6000.0f) + 2500.0f * tone;
        synth_svf bp = make_svf(sr, CDSP_SVF_BANDPASS, (cymbal ? 7000.0f : 9500.0f) + 2000.0f * tone, 0.2f);
        synth_svf hp1 = make_svf(sr, CDSP_SVF_HIGHPASS, hp_f, 0.0f), hp2 = make_svf(sr, CDSP_SVF_HIGHPASS, hp_f, 0.0f);
        float amp = 1.0f, att = 1.0f;   // att: a fast extra transient on top of the body decay
        const float amp_c = decay_coef(tau, sr), att_c = decay_coef(cymbal ? 0.03f * dm : 0.006f * dm, sr);
        // ride bell: two inharmonic partials
        float b1 = 0.0f, b2 = 0.0f, bell = kind == CDSP_DRUM_RIDE ? 0.25f + 0.2f * tone : 0.0f;
        const float bell_c = decay_coef(0.3f * dm, sr);
        const float bf1 = 2450.0f * rt * inv_sr, bf2 = 3610.0f * rt * inv_sr;
        for (size_t i = 0; i < n; i++) {
            float x = metal_tick(&m) + noise_l * synth_noise(&ns);
            x = synth_svf_tick(&bp, x);
            x = synth_svf_tick(&hp2, synth_svf_tick(&hp1, x));
            x *= amp * (0.6f + 0.4f * att);
            if (bell > 0.0f) {
                x += bell * (synth_sin_cycles(b1) + 0.6f * synth_sin_cycles(b2));
                b1 += bf1;
                b1 -= b1 >= 1.0f ? 1.0f : 0.0f;
                b2 += bf2;
                b2 -= b2 >= 1.0f ? 1.0f : 0.0f;
                bell = decay_step(bell, bell_c);
            }
            amp = decay_step(amp, amp_c);
            att = decay_step(att, att_c);
            out[i] += 2.0f * level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_CLAP: {
        // four noise bursts ~9 ms apart (hands), then a reverberant tail, through a band-pass
        float starts[4];
        for (int b = 0; b < 4; b++) starts[b] = (0.0095f * (float)b + 0.0015f * cdsp_rng_uniform(&rng)) * sr;
        const float burst_c = decay_coef(0.0035f, sr), tail_c = decay_coef(0.065f * dm, sr);
        float burst = 0.0f, tail = 1.0f;
        synth_svf bp = make_svf(sr, CDSP_SVF_BANDPASS, 1000.0f + 1000.0f * tone, 0.45f);
        int next = 0;
        for (size_t i = 0; i < n; i++) {
            if (next < 4 && (float)i >= starts[next]) {
                burst = 1.0f;
                next++;
            }
            float env = burst;
            if (next == 4 && (float)i >= starts[3]) {
                env += 0.45f * tail;
                tail = decay_step(tail, tail_c);
            }
            burst = decay_step(burst, burst_c);
            float x = 1.6f * env * synth_svf_tick(&bp, synth_noise(&ns));
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_TOM_LOW:
    case CDSP_DRUM_TOM_MID:
    case CDSP_DRUM_TOM_HIGH: {
        // fundamental with a pitch drop, an inharmonic second head mode, and a little stick noise
        const float base = (kind == CDSP_DRUM_TOM_LOW ? 95.0f : (kind == CDSP_DRUM_TOM_MID ? 140.0f : 200.0f)) * rt;
        float tau, offset;
        drum_times(kind, &c, &tau, &offset);
        float p1 = 0.0f, p2 = 0.0f, drop = 1.0f, amp = 1.0f, amp2 = 0.35f, stick = 0.2f + 0.3f * tone;
        const float drop_c = decay_coef(0.06f, sr), amp_c = decay_coef(tau, sr), amp2_c = decay_coef(0.35f * tau, sr);
        const float stick_c = decay_coef(0.004f, sr);
        synth_svf lp = make_svf(sr, CDSP_SVF_LOWPASS, 1500.0f + 4000.0f * tone, 0.0f);
        for (size_t i = 0; i < n; i++) {
            float bend = 1.0f + 0.35f * drop;
            float x = amp * synth_sin_cycles(p1) + amp2 * synth_sin_cycles(p2);
            x += stick * synth_svf_tick(&lp, synth_noise(&ns));
            p1 += base * bend * inv_sr;
            p1 -= p1 >= 1.0f ? 1.0f : 0.0f;
            p2 += 1.593f * base * bend * inv_sr;
            p2 -= p2 >= 1.0f ? 1.0f : 0.0f;
            drop = decay_step(drop, drop_c);
            amp = decay_step(amp, amp_c);
            amp2 = decay_step(amp2, amp2_c);
            stick = decay_step(stick, stick_c);
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_RIMSHOT: {
        // two short high modes (stick on rim) and a band-passed crack
        float p1 = 0.0f, p2 = 0.0f, amp = 1.0f, crack = 0.6f + 0.4f * tone;
        const float amp_c = decay_coef(0.014f * dm, sr), crack_c = decay_coef(0.004f, sr);
        const float f1 = 480.0f * rt * inv_sr, f2 = 1710.0f * rt * inv_sr;
        synth_svf bp = make_svf(sr, CDSP_SVF_BANDPASS, 2200.0f + 2000.0f * tone, 0.3f);
        for (size_t i = 0; i < n; i++) {
            float x = amp * (0.6f * synth_sin_cycles(p1) + 0.5f * synth_sin_cycles(p2));
            x += crack * synth_svf_tick(&bp, synth_noise(&ns));
            p1 += f1;
            p1 -= p1 >= 1.0f ? 1.0f : 0.0f;
            p2 += f2;
            p2 -= p2 >= 1.0f ? 1.0f : 0.0f;
            amp = decay_step(amp, amp_c);
            crack = decay_step(crack, crack_c);
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    case CDSP_DRUM_SHAKER: {
        // high-passed noise with a soft 12 ms swell and a short decay
        const float rise = 0.012f * sr;
        const float amp_c = decay_coef(0.035f * dm, sr);
        float amp = 1.0f;
        synth_svf hp1 = make_svf(sr, CDSP_SVF_HIGHPASS, 4500.0f + 3000.0f * tone, 0.1f);
        synth_svf hp2 = make_svf(sr, CDSP_SVF_HIGHPASS, 4500.0f + 3000.0f * tone, 0.0f);
        for (size_t i = 0; i < n; i++) {
            float env;
            if ((float)i < rise) env = (float)i / rise;
            else {
                env = amp;
                amp = decay_step(amp, amp_c);
            }
            float x = 1.4f * env * synth_svf_tick(&hp2, synth_svf_tick(&hp1, synth_noise(&ns)));
            out[i] += level * drum_drive(x, c.drive, drive_norm);
        }
        break;
    }
    default:
        return CDSP_ERR_ARGUMENT;
    }
    return CDSP_OK;
}
