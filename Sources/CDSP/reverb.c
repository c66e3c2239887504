// Stereo reverb after Jezar's Freeverb topology: per channel 8 damped feedback combs in parallel and 4 series
// allpasses; the right channel's lines are 23 samples longer (at 44.1 kHz) so the two sides decorrelate. A
// pre-delay line sits in front, and width mixes the two wet channels. Line lengths scale with the sample rate.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"

enum { COMBS = 8, ALLPASSES = 4 };
static const int comb_tuning[COMBS] = {1116, 1188, 1277, 1356, 1422, 1491, 1557, 1617};
static const int allpass_tuning[ALLPASSES] = {556, 441, 341, 225};
static const int stereo_spread = 23;

typedef struct {
    float *buf;
    size_t len, pos;
    float store;
} line;

struct cdsp_reverb {
    float fs;
    line comb[2][COMBS];
    line allpass[2][ALLPASSES];
    float *pre[2];
    size_t pre_len, pre_pos, pre_delay;
    float feedback, damp, wet1, wet2;
};

static int line_alloc(line *l, size_t len) {
    l->len = len < 1 ? 1 : len;
    l->buf = calloc(l->len, sizeof(float));
    l->pos = 0;
    l->store = 0.0f;
    return l->buf != NULL;
}

cdsp_reverb *cdsp_reverb_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_reverb *r = calloc(1, sizeof(*r));
    if (!r) return NULL;
    r->fs = sample_rate;
    double scale = sample_rate / 44100.0;
    int ok = 1;
    for (int ch = 0; ch < 2; ch++) {
        for (int i = 0; i < COMBS; i++)
            ok &= line_alloc(&r->comb[ch][i], (size_t)lround((comb_tuning[i] + ch * stereo_spread) * scale));
        for (int i = 0; i < ALLPASSES; i++)
            ok &= line_alloc(&r->allpass[ch][i], (size_t)lround((allpass_tuning[i] + ch * stereo_spread) * scale));
    }
    r->pre_len = (size_t)ceil(0.2 * sample_rate) + 1;
    r->pre[0] = calloc(r->pre_len, sizeof(float));
    r->pre[1] = calloc(r->pre_len, sizeof(float));
    if (!ok || !r->pre[0] || !r->pre[1]) {
        cdsp_reverb_destroy(r);
        return NULL;
    }
    cdsp_reverb_set(r, 0.5f, 0.5f, 1.0f, 0.02f);
    return r;
}

void cdsp_reverb_destroy(cdsp_reverb *r) {
    if (!r) return;
    for (int ch = 0; ch < 2; ch++) {
        for (int i = 0; i < COMBS; i++) free(r->comb[ch][i].buf);
        for (int i = 0; i < ALLPASSES; i++) free(r->allpass[ch][i].buf);
        free(r->pre[ch]);
    }
    free(r);
}

static float clamp01(float v) { return v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v); }

void cdsp_reverb_set(cdsp_reverb *r, float size, float damping, float width, float predelay) {
    size = clamp01(size);
    width = clamp01(width);
    // size 0 -> feedback 0.70 (small room, RT60 ~0.6 s), 1 -> 0.95 (large hall, RT60 ~4 s; below 1 and damped:
    // stable)
    r->feedback = 0.70f + 0.25f * size;
    r->damp = 0.4f * clamp01(damping);
    // wet gain keeps the tail level roughly independent of the width
    r->wet1 = 3.0f * (width / 2.0f + 0.5f);
    r->wet2 = 3.0f * ((1.0f - width) / 2.0f);
    if (!(predelay > 0.0f)) predelay = 0.0f;
    if (predelay > 0.2f) predelay = 0.2f;
    r->pre_delay = (size_t)lroundf(predelay * r->fs);
    if (r->pre_delay >= r->pre_len) r->pre_delay = r->pre_len - 1;
}

void cdsp_reverb_reset(cdsp_reverb *r) {
    for (int ch = 0; ch < 2; ch++) {
        for (int i = 0; i < COMBS; i++) {
            memset(r->comb[ch][i].buf, 0, r->comb[ch][i].len * sizeof(float));
            r->comb[ch][i].store = 0.0f;
        }
        for (int i = 0; i < ALLPASSES; i++) memset(r->allpass[ch][i].buf, 0, r->allpass[ch][i].len * sizeof(float));
        memset(r->pre[ch], 0, r->pre_len * sizeof(float));
    }
}

static inline float comb_tick(line *c, float in, float feedback, float damp) {
    float out = c->buf[c->pos];
    c->store = out * (1.0f - damp) + c->store * damp;
    if (fabsf(c->store) < 1e-20f) c->store = 0.0f;
    c->buf[c->pos] = in + c->store * feedback;
    if (++c->pos == c->len) c->pos = 0;
    return out;
}

static inline float allpass_tick(line *a, float in) {
    float buffered = a->buf[a->pos];
    float out = buffered - in;
    float next = in + buffered * 0.5f;
    a->buf[a->pos] = fabsf(next) < 1e-20f ? 0.0f : next;
    if (++a->pos == a->len) a->pos = 0;
    return out;
}

void cdsp_reverb_process(cdsp_reverb *r, const float *in_left, const float *in_right, float *out_left,
                         float *out_right, size_t frames) {
    const float input_gain = 0.015f;
    for (size_t i = 0; i < frames; i++) {
        float inl = in_left[i], inr = in_right ? in_right[i] : in_left[i];
        // pre-delay
        size_t rd = (r->pre_pos + r->pre_len - r->pre_delay) % r->pre_len;
        r->pre[0][r->pre_pos] = inl;
        r->pre[1][r->pre_pos] = inr;
        float dl = r->pre[0][rd], dr = r->pre[1][rd];
        if (++r->pre_pos == r->pre_len) r->pre_pos = 0;
        // both sides feed from the mono sum, as Freeverb does; the different line lengths decorrelate them
        float input = (dl + dr) * input_gain;
        float outs[2];
        for (int ch = 0; ch < 2; ch++) {
            float acc = 0.0f;
            for (int k = 0; k < COMBS; k++) acc += comb_tick(&r->comb[ch][k], input, r->feedback, r->damp);
            for (int k = 0; k < ALLPASSES; k++) acc = allpass_tick(&r->allpass[ch][k], acc);
            outs[ch] = acc;
        }
        float ol = outs[0] * r->wet1 + outs[1] * r->wet2;
        float orr = outs[1] * r->wet1 + outs[0] * r->wet2;
        out_left[i] = ol;
        out_right[i] = orr;
    }
}
