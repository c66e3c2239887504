// Stereo feedback delay for a send bus. The feedback path runs through a one-pole low-pass (damping) so repeats
// darken like tape or air; ping-pong feeds the mono sum into the left line and crosses the feedback so repeats
// alternate sides. Time changes glide (no clicks) through a smoothed fractional read position.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"

struct cdsp_delay {
    float fs;
    float *buf[2];
    size_t len, pos;
    float target_delay, current_delay;  // samples
    float feedback, damp;
    float lp[2];
    int ping_pong;
};

cdsp_delay *cdsp_delay_create(float sample_rate, float max_seconds) {
    if (!(sample_rate > 0.0f) || !(max_seconds > 0.0f) || max_seconds > 30.0f) return NULL;
    cdsp_delay *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->fs = sample_rate;
    d->len = (size_t)ceilf(max_seconds * sample_rate) + 4;
    d->buf[0] = calloc(d->len, sizeof(float));
    d->buf[1] = calloc(d->len, sizeof(float));
    if (!d->buf[0] || !d->buf[1]) {
        cdsp_delay_destroy(d);
        return NULL;
    }
    cdsp_delay_set(d, max_seconds * 0.5f, 0.3f, 0.3f, 0);
    d->current_delay = d->target_delay;
    return d;
}

void cdsp_delay_destroy(cdsp_delay *d) {
    if (!d) return;
    free(d->buf[0]);
    free(d->buf[1]);
    free(d);
}

void cdsp_delay_set(cdsp_delay *d, float time_seconds, float feedback, float damping, int ping_pong) {
    float samples = time_seconds * d->fs;
    float max = (float)(d->len - 3);
    d->target_delay = samples < 1.0f ? 1.0f : (samples > max ? max : samples);
    d->feedback = feedback < 0.0f ? 0.0f : (feedback > 0.95f ? 0.95f : feedback);
    d->damp = damping < 0.0f ? 0.0f : (damping > 1.0f ? 0.95f : damping * 0.95f);
    d->ping_pong = ping_pong != 0;
}

void cdsp_delay_reset(cdsp_delay *d) {
    memset(d->buf[0], 0, d->len * sizeof(float));
    memset(d->buf[1], 0, d->len * sizeof(float));
    d->lp[0] = d->lp[1] = 0.0f;
    d->pos = 0;
    d->current_delay = d->target_delay;
}

static inline float read_frac(const float *buf, size_t len, size_t pos, float delay) {
    float rp = (float)pos - delay;
    while (rp < 0.0f) rp += (float)len;
    size_t i0 = (size_t)rp;
    float frac = rp - (float)i0;
    if (i0 >= len) i0 -= len;
    size_t i1 = i0 + 1 == len ? 0 : i0 + 1;
    return buf[i0] + (buf[i1] - buf[i0]) * frac;
}

void cdsp_delay_process(cdsp_delay *d, const float *in_left, const float *in_right, float *out_left,
                        float *out_right, size_t frames) {
    const float glide = 1.0f - expf(-1.0f / (0.05f * d->fs));  // 50 ms glide on time changes
    for (size_t i = 0; i < frames; i++) {
        float il = in_left[i], ir = in_right ? in_right[i] : in_left[i];
        d->current_delay += (d->target_delay - d->current_delay) * glide;
        float yl = read_frac(d->buf[0], d->len, d->pos, d->current_delay);
        float yr = read_frac(d->buf[1], d->len, d->pos, d->current_delay);
        d->lp[0] = yl + (d->lp[0] - yl) * d->damp;
        d->lp[1] = yr + (d->lp[1] - yr) * d->damp;
        if (fabsf(d->lp[0]) < 1e-20f) d->lp[0] = 0.0f;
        if (fabsf(d->lp[1]) < 1e-20f) d->lp[1] = 0.0f;
        if (d->ping_pong) {
            d->buf[0][d->pos] = 0.5f * (il + ir) + d->lp[1] * d->feedback;
            d->buf[1][d->pos] = d->lp[0] * d->feedback;
        } else {
            d->buf[0][d->pos] = il + d->lp[0] * d->feedback;
            d->buf[1][d->pos] = ir + d->lp[1] * d->feedback;
        }
        out_left[i] = yl;
        out_right[i] = yr;
        if (++d->pos == d->len) d->pos = 0;
    }
}
