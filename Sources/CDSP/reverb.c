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

enum { RV_BLOCK = 64 };

/// One channel's 8 combs over n frames, none of which wraps (the caller cuts blocks at wrap points). The combs
/// run interleaved in one loop so their 8 independent damping recursions overlap; the stores live in registers.
static void combs_block(line *c, const float *restrict input, float *restrict out, size_t n, float feedback,
                        float damp) {
    float *p[COMBS], s[COMBS];
    for (int k = 0; k < COMBS; k++) {
        p[k] = c[k].buf + c[k].pos;
        s[k] = c[k].store;
    }
    const float undamp = 1.0f - damp;
    for (size_t i = 0; i < n; i++) {
        const float in = input[i];
        float acc = 0.0f;
        for (int k = 0; k < COMBS; k++) {
            float o = p[k][i];
            float st = o * undamp + s[k] * damp;
            st = fabsf(st) < 1e-20f ? 0.0f : st;
            s[k] = st;
            p[k][i] = in + st * feedback;
            acc += o;
        }
        out[i] = acc;
    }
    for (int k = 0; k < COMBS; k++) {
        c[k].store = s[k];
        c[k].pos += n;
        if (c[k].pos == c[k].len) c[k].pos = 0;
    }
}

/// One allpass over n <= len frames, in place on x: every read is of a value written at least len frames ago,
/// so the frames are independent and the loop vectorises. Splits itself at the wrap point.
static void allpass_block(line *a, float *restrict x, size_t n) {
    while (n > 0) {
        size_t m = a->len - a->pos < n ? a->len - a->pos : n;
        float *restrict b = a->buf + a->pos;
        for (size_t i = 0; i < m; i++) {
            float buffered = b[i], in = x[i];
            float next = in + buffered * 0.5f;
            b[i] = fabsf(next) < 1e-20f ? 0.0f : next;
            x[i] = buffered - in;
        }
        a->pos += m;
        if (a->pos == a->len) a->pos = 0;
        x += m;
        n -= m;
    }
}

void cdsp_reverb_process(cdsp_reverb *r, const float *in_left, const float *in_right, float *out_left,
                         float *out_right, size_t frames) {
    const float input_gain = 0.015f;
    size_t block = RV_BLOCK;  // allpasses need block <= their length
    for (int ch = 0; ch < 2; ch++)
        for (int k = 0; k < ALLPASSES; k++) block = r->allpass[ch][k].len < block ? r->allpass[ch][k].len : block;
    float input[RV_BLOCK], outs[2][RV_BLOCK];
    for (size_t start = 0; start < frames; start += block) {
        const size_t n = frames - start < block ? frames - start : block;
        // pre-delay; both sides feed from the mono sum, as Freeverb does (the line lengths decorrelate them)
        size_t rd = r->pre_pos >= r->pre_delay ? r->pre_pos - r->pre_delay : r->pre_pos + r->pre_len - r->pre_delay;
        for (size_t i = 0; i < n; i++) {
            size_t j = start + i;
            float inl = in_left[j], inr = in_right ? in_right[j] : in_left[j];
            r->pre[0][r->pre_pos] = inl;
            r->pre[1][r->pre_pos] = inr;
            input[i] = (r->pre[0][rd] + r->pre[1][rd]) * input_gain;
            if (++r->pre_pos == r->pre_len) r->pre_pos = 0;
            if (++rd == r->pre_len) rd = 0;
        }
        for (int ch = 0; ch < 2; ch++) {
            line *c = r->comb[ch];
            for (size_t done = 0; done < n;) {  // cut at the combs' wrap points
                size_t m = n - done;
                for (int k = 0; k < COMBS; k++) m = c[k].len - c[k].pos < m ? c[k].len - c[k].pos : m;
                combs_block(c, input + done, outs[ch] + done, m, r->feedback, r->damp);
                done += m;
            }
            for (int k = 0; k < ALLPASSES; k++) allpass_block(&r->allpass[ch][k], outs[ch], n);
        }
        const float w1 = r->wet1, w2 = r->wet2;
        for (size_t i = 0; i < n; i++) {
            out_left[start + i] = outs[0][i] * w1 + outs[1][i] * w2;
            out_right[start + i] = outs[1][i] * w1 + outs[0][i] * w2;
        }
    }
}
