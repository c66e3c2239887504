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
    c->buf[0] = calloc(2 * c->len, sizeof(float));  // mirrored: sample i is also at i + len
    c->buf[1] = calloc(2 * c->len, sizeof(float));
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
    memset(c->buf[0], 0, 2 * c->len * sizeof(float));
    memset(c->buf[1], 0, 2 * c->len * sizeof(float));
    c->pos = 0;
    c->phase = 0.0;
}

/// Catmull-Rom read at fractional index rp of a mirrored buffer (every sample is stored at i and i + len, so the
/// four taps are contiguous and never wrap); the arrangement of the cubic after Laurent de Soras.
static inline float read_cubic(const float *buf, float rp) {
    int i1 = (int)rp;  // rp > 1: truncation is floor (a signed 32-bit conversion is one instruction)
    float t = rp - (float)i1;
    const float *y = buf + i1 - 1;
    float y0 = y[0], y1 = y[1], y2 = y[2], y3 = y[3];
    float c1 = 0.5f * (y2 - y0);
    float v = y1 - y2;
    float w = c1 + v;
    float a = w + v + 0.5f * (y3 - y1);
    float b = w + a;
    return ((a * t - b) * t + c1) * t + y1;
}

#define CHORUS_CR 32 /* frames per LFO control block: the delays ramp linearly between block ends */

void cdsp_chorus_process(cdsp_chorus *c, float *left, float *right, size_t frames) {
    const float base = 0.015f * c->fs, depth = c->depth * c->fs;
    const double inc = c->rate / c->fs;
    const float dry = 1.0f - 0.5f * c->mix, wet = c->mix / VOICES;
    const float two_pi = 6.2831853f;
    const size_t len = c->len;
    float dl[VOICES], dr[VOICES];   // delays (samples) at the current frame, for each voice
    for (int v = 0; v < VOICES; v++) {
        float ph = (float)c->phase + (float)v / VOICES;
        dl[v] = base + depth * sinf(two_pi * ph);
        dr[v] = base + depth * sinf(two_pi * (ph + 0.25f));
    }
    float wl[CHORUS_CR], wr[CHORUS_CR];
    for (size_t start = 0, n = 0; start < frames; start += n) {
        // a block never crosses the buffer's end, so its samples are contiguous in both halves
        n = frames - start < CHORUS_CR ? frames - start : CHORUS_CR;
        if (n > len - c->pos) n = len - c->pos;
        double end_phase = c->phase + inc * (double)n;
        if (end_phase >= 1.0) end_phase -= 1.0;
        float stepl[VOICES], stepr[VOICES];
        for (int v = 0; v < VOICES; v++) {
            float ph = (float)end_phase + (float)v / VOICES;
            stepl[v] = (base + depth * sinf(two_pi * ph) - dl[v]) / (float)n;
            stepr[v] = (base + depth * sinf(two_pi * (ph + 0.25f)) - dr[v]) / (float)n;
        }
        float *L = left + start, *R = right ? right + start : L;
        float *b0 = c->buf[0], *b1 = c->buf[1];
        for (size_t i = 0; i < n; i++) {
            b0[c->pos + i] = b0[c->pos + len + i] = L[i];
            b1[c->pos + i] = b1[c->pos + len + i] = R[i];
        }
        // read positions (mirrored index pos + len + i - delay) for each voice, ramping with the delays; the
        // block's input is already in the buffer and delays are >= 3 ms (> 2 samples), so every tap reads the
        // current or an earlier frame, as a frame-by-frame loop would
        float pl[VOICES], pr[VOICES], il[VOICES], ir[VOICES];
        for (int v = 0; v < VOICES; v++) {
            pl[v] = (float)(c->pos + len) - dl[v];
            pr[v] = (float)(c->pos + len) - dr[v];
            il[v] = 1.0f - stepl[v];
            ir[v] = 1.0f - stepr[v];
        }
        for (size_t i = 0; i < n; i++) {
            float sl = 0.0f, sr = 0.0f;
            for (int v = 0; v < VOICES; v++) {
                sl += read_cubic(b0, pl[v] + il[v] * (float)i);
                sr += read_cubic(b1, pr[v] + ir[v] * (float)i);
            }
            wl[i] = sl;
            wr[i] = sr;
        }
        if (right) {
            for (size_t i = 0; i < n; i++) {
                L[i] = dry * L[i] + wet * wl[i];
                R[i] = dry * R[i] + wet * wr[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) L[i] = dry * L[i] + wet * wl[i];
        }
        for (int v = 0; v < VOICES; v++) {
            dl[v] += stepl[v] * (float)n;
            dr[v] += stepr[v] * (float)n;
        }
        c->pos += n;
        if (c->pos == len) c->pos = 0;
        c->phase = end_phase;
    }
}
