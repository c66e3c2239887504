// The build into a chorus (issue 11): a noise riser and a low-pass that opens, both over a span of frames and
// both deterministic (seeded noise, no state outside the call).
#include <math.h>
#include <stdlib.h>
#include "synth_internal.h"

// Coefficients move every this many frames (a smooth sweep; a coefficient update per sample costs a tanf).
#define BUILD_STEP 32

static float build_sweep(float from, float to, float t) {
    return from * powf(to / from, t);
}

cdsp_status cdsp_riser_add(float *left, float *right, size_t frames, float sample_rate, float from_hz, float to_hz,
                           float peak, uint64_t seed) {
    if (!left || !right || !(sample_rate > 0.0f) || !(from_hz > 0.0f) || !(to_hz > 0.0f) || !(peak >= 0.0f))
        return CDSP_ERR_ARGUMENT;
    if (frames == 0 || peak == 0.0f) return CDSP_OK;
    // Two noises (left, right) through band-passes whose centre rises exponentially; the level swells in a
    // straight line in dB from 24 dB under `peak`, and the last 10 ms fade out so the chorus's downbeat starts clean.
    cdsp_rng rng[2];
    cdsp_rng_seed(&rng[0], seed);
    cdsp_rng_seed(&rng[1], seed ^ 0x9E3779B97F4A7C15ull);
    synth_svf f[2];
    for (int c = 0; c < 2; c++) {
        f[c].sample_rate = sample_rate;
        f[c].ic1 = f[c].ic2 = 0.0f;
        synth_svf_set(&f[c], CDSP_SVF_BANDPASS, from_hz, 0.35f);
    }
    const size_t fade = (size_t)(0.01f * sample_rate);
    float *out[2] = {left, right};
    for (size_t i = 0; i < frames; i += BUILD_STEP) {
        const size_t n = frames - i < BUILD_STEP ? frames - i : BUILD_STEP;
        const float t = (float)i / (float)frames;
        const float centre = build_sweep(from_hz, to_hz, t);
        for (int c = 0; c < 2; c++) synth_svf_coefs(&f[c], centre);
        for (size_t j = 0; j < n; j++) {
            const size_t k = i + j;
            const float u = (float)k / (float)frames;
            float g = peak * powf(10.0f, -1.2f * (1.0f - u));   // -24 dB -> 0 dB, a straight line in dB
            if (k + fade >= frames) g *= (float)(frames - k) / (float)(fade + 1);
            for (int c = 0; c < 2; c++) out[c][k] += g * synth_svf_tick(&f[c], cdsp_rng_bipolar(&rng[c]));
        }
    }
    return CDSP_OK;
}

struct cdsp_opening {
    synth_svf f[2];
};

cdsp_opening *cdsp_opening_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_opening *o = calloc(1, sizeof *o);
    if (!o) return NULL;
    for (int c = 0; c < 2; c++) {
        o->f[c].sample_rate = sample_rate;
        synth_svf_set(&o->f[c], CDSP_SVF_LOWPASS, 1000.0f, 0.0f);
    }
    return o;
}

void cdsp_opening_destroy(cdsp_opening *o) { free(o); }

void cdsp_opening_process(cdsp_opening *o, float *left, float *right, size_t frames, size_t position, size_t span,
                          float from_hz, float to_hz) {
    if (!o || !left || !right || span == 0 || !(from_hz > 0.0f) || !(to_hz > 0.0f)) return;
    if (position == 0) {
        for (int c = 0; c < 2; c++) o->f[c].ic1 = o->f[c].ic2 = 0.0f;
    }
    float *x[2] = {left, right};
    // Steps on the span's own grid of BUILD_STEP frames, so that any split into windows gives the same samples.
    for (size_t i = 0; i < frames;) {
        const size_t at = position + i, step = at - at % BUILD_STEP;
        size_t n = step + BUILD_STEP - at;
        if (n > frames - i) n = frames - i;
        const float t = (float)step / (float)span;
        const float cutoff = build_sweep(from_hz, to_hz, t > 1.0f ? 1.0f : t);
        for (int c = 0; c < 2; c++) {
            synth_svf_coefs(&o->f[c], cutoff);
            for (size_t j = 0; j < n; j++) x[c][i + j] = synth_svf_tick(&o->f[c], x[c][i + j]);
        }
        i += n;
    }
}
