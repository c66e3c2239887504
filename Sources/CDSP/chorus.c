// Three-voice stereo chorus: each voice is a delay of about 15 ms swept by its own sine LFO (phases 0, 1/3, 2/3
// of a cycle, the right channel a quarter cycle later), read with cubic interpolation. Dry/wet mix in place.
// The LFOs are evaluated every CHORUS_CR frames and the delays ramp linearly in between (at the 10 Hz maximum
// rate the ramp is within 0.15 samples of the sine; at chorus rates under 1 Hz within 0.002).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"

enum { VOICES = 3 };

struct cdsp_chorus {
    float fs;
    float *buf[2];
    size_t len, pos;
    double phase;  // 0..1
    float rate, depth, mix;
};

cdsp_chorus *cdsp_chorus_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_chorus *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->fs = sample_rate;
    c->len = (size_t)ceilf(0.05f * sample_rate) + 8;  // 15 ms base + up to 20 ms depth + margin
    c->buf[0] = calloc(c->len, sizeof(float));
    c->buf[1] = calloc(c->len, sizeof(float));
    if (!c->buf[0] || !c->buf[1]) {
        cdsp_chorus_destroy(c);
        return NULL;
    }
    cdsp_chorus_set(c, 0.8f, 0.003f, 0.5f);
    return c;
}

void cdsp_chorus_destroy(cdsp_chorus *c) {
    if (!c) return;
    free(c->buf[0]);
    free(c->buf[1]);
    free(c);
}

void cdsp_chorus_set(cdsp_chorus *c, float rate, float depth, float mix) {
    c->rate = rate < 0.0f ? 0.0f : (rate > 10.0f ? 10.0f : rate);
    c->depth = depth < 0.0f ? 0.0f : (depth > 0.012f ? 0.012f : depth);
    c->mix = mix < 0.0f ? 0.0f : (mix > 1.0f ? 1.0f : mix);
}

void cdsp_chorus_reset(cdsp_chorus *c) {
    memset(c->buf[0], 0, c->len * sizeof(float));
    memset(c->buf[1], 0, c->len * sizeof(float));
    c->pos = 0;
    c->phase = 0.0;
}

static inline float read_cubic(const float *buf, size_t len, size_t pos, float delay) {
    float rp = (float)pos - delay;
    if (rp < 0.0f) rp += (float)len;   // delay < len, so one wrap is enough
    size_t i1 = (size_t)rp;
    float t = rp - (float)i1;
    if (i1 >= len) i1 -= len;          // rounding at the wrap point
    size_t i0 = i1 == 0 ? len - 1 : i1 - 1, i2 = i1 + 1 == len ? 0 : i1 + 1, i3 = i2 + 1 == len ? 0 : i2 + 1;
    float y0 = buf[i0], y1 = buf[i1], y2 = buf[i2], y3 = buf[i3];
    // Catmull-Rom
    float a = -0.5f * y0 + 1.5f * y1 - 1.5f * y2 + 0.5f * y3;
    float b = y0 - 2.5f * y1 + 2.0f * y2 - 0.5f * y3;
    float cc = -0.5f * y0 + 0.5f * y2;
    return ((a * t + b) * t + cc) * t + y1;
}

#define CHORUS_CR 32 /* frames per LFO control block: the delays ramp linearly between block ends */

void cdsp_chorus_process(cdsp_chorus *c, float *left, float *right, size_t frames) {
    const float base = 0.015f * c->fs, depth = c->depth * c->fs;
    const double inc = c->rate / c->fs;
    const float dry = 1.0f - 0.5f * c->mix, wet = c->mix / VOICES;
    const float two_pi = 6.2831853f;
    float dl[VOICES], dr[VOICES];   // delays (samples) at the current frame, for each voice
    for (int v = 0; v < VOICES; v++) {
        float ph = (float)c->phase + (float)v / VOICES;
        dl[v] = base + depth * sinf(two_pi * ph);
        dr[v] = base + depth * sinf(two_pi * (ph + 0.25f));
    }
    for (size_t start = 0; start < frames; start += CHORUS_CR) {
        const size_t n = frames - start < CHORUS_CR ? frames - start : CHORUS_CR;
        double end_phase = c->phase + inc * (double)n;
        if (end_phase >= 1.0) end_phase -= 1.0;
        float stepl[VOICES], stepr[VOICES];
        for (int v = 0; v < VOICES; v++) {
            float ph = (float)end_phase + (float)v / VOICES;
            stepl[v] = (base + depth * sinf(two_pi * ph) - dl[v]) / (float)n;
            stepr[v] = (base + depth * sinf(two_pi * (ph + 0.25f)) - dr[v]) / (float)n;
        }
        float *L = left + start, *R = right ? right + start : NULL;
        for (size_t i = 0; i < n; i++) {
            float l = L[i], r = R ? R[i] : L[i];
            c->buf[0][c->pos] = l;
            c->buf[1][c->pos] = r;
            float wl = 0.0f, wr = 0.0f;
            for (int v = 0; v < VOICES; v++) {
                wl += read_cubic(c->buf[0], c->len, c->pos, dl[v]);
                wr += read_cubic(c->buf[1], c->len, c->pos, dr[v]);
                dl[v] += stepl[v];
                dr[v] += stepr[v];
            }
            L[i] = dry * l + wet * wl;
            if (R) R[i] = dry * r + wet * wr;
            if (++c->pos == c->len) c->pos = 0;
        }
        c->phase = end_phase;
    }
}
