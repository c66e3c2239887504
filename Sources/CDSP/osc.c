// Band-limited oscillators: polyBLEP saw and pulse, polyBLAMP triangle, polynomial sine. Phase runs in cycles.
#include <stdlib.h>
#include "synth_internal.h"

struct cdsp_osc {
    float sample_rate, phase, frequency, pulse_width;
    int waveform;
    synth_halfband hb;
};

cdsp_osc *cdsp_osc_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_osc *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    o->sample_rate = sample_rate;
    o->frequency = 440.0f;
    o->pulse_width = 0.5f;
    synth_halfband_init(&o->hb);
    return o;
}

void cdsp_osc_destroy(cdsp_osc *osc) { free(osc); }

void cdsp_osc_reset(cdsp_osc *osc, float phase) {
    if (!osc) return;
    float p = phase - floorf(phase);
    osc->phase = (p >= 0.0f && p < 1.0f) ? p : 0.0f;
    synth_halfband_init(&osc->hb);
}

void cdsp_osc_set(cdsp_osc *osc, cdsp_waveform waveform, float frequency, float pulse_width) {
    if (!osc) return;
    osc->waveform = (waveform >= CDSP_WAVE_SINE && waveform <= CDSP_WAVE_TRIANGLE) ? (int)waveform : CDSP_WAVE_SINE;
    osc->frequency = isfinite(frequency) ? fabsf(frequency) : 0.0f;
    osc->pulse_width = pulse_width < 0.05f ? 0.05f : (pulse_width > 0.95f ? 0.95f : pulse_width);
}

void cdsp_osc_process(cdsp_osc *osc, const float *frequency_mod, float *out, size_t frames) {
    if (!osc || !out) return;
    const float inv_sr = 1.0f / osc->sample_rate;
    const float base = osc->frequency * inv_sr;
    const int wave = osc->waveform;
    const float pw = osc->pulse_width;
    float t = osc->phase;
    if (wave == CDSP_WAVE_SINE) {   // alias-free as it is: no oversampling (and no filter delay)
        for (size_t i = 0; i < frames; i++) {
            float dt = frequency_mod ? base * frequency_mod[i] : base;
            if (!(dt >= 0.0f)) dt = 0.0f;   // also catches NaN modulation
            if (dt > 0.45f) dt = 0.45f;
            out[i] = synth_sin_cycles(t);
            t += dt;
            t -= t >= 1.0f ? 1.0f : 0.0f;
        }
        osc->phase = t;
        return;
    }
    float x2[2 * SYNTH_HB_BLOCK];
    for (size_t start = 0; start < frames; start += SYNTH_HB_BLOCK) {
        int n = frames - start < SYNTH_HB_BLOCK ? (int)(frames - start) : SYNTH_HB_BLOCK;
        for (int i = 0; i < n; i++) {
            float dt = frequency_mod ? base * frequency_mod[start + (size_t)i] : base;
            if (!(dt >= 0.0f)) dt = 0.0f;
            if (dt > 0.45f) dt = 0.45f;
            // edges run at twice the rate (phase step dt/2), then the half-band decimator
            float h = 0.5f * dt, hs = h > 1e-6f ? h : 1e-6f;
            x2[2 * i] = synth_wave(wave, t, hs, pw);
            t += h;
            t -= t >= 1.0f ? 1.0f : 0.0f;
            x2[2 * i + 1] = synth_wave(wave, t, hs, pw);
            t += h;
            t -= t >= 1.0f ? 1.0f : 0.0f;
        }
        synth_halfband_block(&osc->hb, x2, out + start, n);
    }
    osc->phase = t;
}
