// True-peak limiter. For every sample the 4x-oversampled peak of the intervals on either side gives the gain the
// sample needs (ceiling / peak). The gain computer runs on sub-blocks of SUB samples (the minimum required gain of
// each): a minimum hold over W + 1 sub-blocks, a release one-pole (instant attack) and a moving average over W
// sub-blocks, W * SUB >= the look-ahead. An average of values that are all <= the required gains of two
// neighbouring sub-blocks cannot exceed them, so the per-sample gain, interpolated linearly between two such
// averages, is never above what the sample leaving the delay line needs: the ceiling holds, and the gain ramps
// down smoothly over the look-ahead instead of stepping.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"
#include "fx_internal.h"

enum { LIM_CHUNK = 256, LIM_HIST = 2 * CDSP_TP_HALF, SUB = 8 };

struct cdsp_limiter {
    float sample_rate;
    size_t window;          // W, in sub-blocks
    size_t delay;           // total latency in samples
    float ceiling;          // linear, with a small safety margin
    float release_coeff;    // per sub-block
    cdsp_tp_filter tp;
    // detector input history + chunk per channel, and per-interval peaks
    float ext[2][LIM_HIST + LIM_CHUNK];
    float ipeak[LIM_CHUNK];
    float prev_ipeak;       // interval peak just before the current sample
    // current sub-block
    size_t sub_fill;
    float sub_min;
    // min-hold deque over sub-block minima (ring of W + 2 slots)
    float *dq_val;
    size_t *dq_t;
    size_t dq_head, dq_count;
    size_t t;               // sub-blocks completed
    float env;              // release envelope
    float *box;             // ring of the last W envelope values
    size_t box_pos;
    double box_sum;
    float g_prev, g_cur;    // the two newest averaged gains
    // audio delay line
    float *dl[2];
    size_t dl_len, dl_pos;
};

cdsp_limiter *cdsp_limiter_create(float sample_rate, float lookahead_seconds) {
    if (!(sample_rate > 0.0f) || !(lookahead_seconds > 0.0f) || lookahead_seconds > 0.05f) return NULL;
    cdsp_limiter *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->sample_rate = sample_rate;
    size_t samples = (size_t)lroundf(lookahead_seconds * sample_rate);
    l->window = (samples + SUB - 1) / SUB;
    if (l->window < 1) l->window = 1;
    // a sample in sub-block m leaves once sub-block m + W has completed; the detector looks HALF samples ahead
    l->delay = (l->window + 1) * SUB - 1 + CDSP_TP_HALF;
    l->dl_len = l->delay + 1;
    l->dq_val = calloc(l->window + 2, sizeof(float));
    l->dq_t = calloc(l->window + 2, sizeof(size_t));
    l->box = calloc(l->window, sizeof(float));
    l->dl[0] = calloc(l->dl_len, sizeof(float));
    l->dl[1] = calloc(l->dl_len, sizeof(float));
    if (!l->dq_val || !l->dq_t || !l->box || !l->dl[0] || !l->dl[1]) {
        cdsp_limiter_destroy(l);
        return NULL;
    }
    cdsp_tp_filter_init(&l->tp);
    cdsp_limiter_set(l, -1.0f, 0.1f);
    cdsp_limiter_reset(l);
    return l;
}

void cdsp_limiter_destroy(cdsp_limiter *l) {
    if (!l) return;
    free(l->dq_val);
    free(l->dq_t);
    free(l->box);
    free(l->dl[0]);
    free(l->dl[1]);
    free(l);
}

void cdsp_limiter_set(cdsp_limiter *l, float ceiling_dbtp, float release_seconds) {
    // 0.05 dB below the ceiling covers the small difference between gain-times-interpolated-input and the
    // interpolated gain-times-input while the gain moves.
    l->ceiling = cdsp_db_to_gain(ceiling_dbtp - 0.05f);
    if (!(release_seconds > 0.001f)) release_seconds = 0.001f;
    l->release_coeff = expf(-(float)SUB / (release_seconds * l->sample_rate));
}

void cdsp_limiter_reset(cdsp_limiter *l) {
    memset(l->ext, 0, sizeof(l->ext));
    l->prev_ipeak = 0.0f;
    l->sub_fill = 0;
    l->sub_min = 1.0f;
    l->dq_head = 0;
    l->dq_count = 1;  // a history of unity gains
    l->dq_val[0] = 1.0f;
    l->dq_t[0] = 0;
    l->t = 1;
    l->env = 1.0f;
    for (size_t i = 0; i < l->window; i++) l->box[i] = 1.0f;
    l->box_pos = 0;
    l->box_sum = (double)l->window;
    l->g_prev = l->g_cur = 1.0f;
    memset(l->dl[0], 0, l->dl_len * sizeof(float));
    memset(l->dl[1], 0, l->dl_len * sizeof(float));
    l->dl_pos = 0;
}

size_t cdsp_limiter_latency(const cdsp_limiter *l) { return l->delay; }

/// One completed sub-block with minimum required gain r: hold over W + 1 sub-blocks, release, average over W.
static void sub_block_step(cdsp_limiter *l, float r) {
    const size_t cap = l->window + 2, span = l->window + 1;
    while (l->dq_count > 0) {
        size_t back = l->dq_head + l->dq_count - 1;
        if (back >= cap) back -= cap;
        if (l->dq_val[back] >= r) l->dq_count--;
        else break;
    }
    size_t slot = l->dq_head + l->dq_count;
    if (slot >= cap) slot -= cap;
    l->dq_val[slot] = r;
    l->dq_t[slot] = l->t;
    l->dq_count++;
    if (l->dq_t[l->dq_head] + span <= l->t) {  // at most one entry expires per step
        if (++l->dq_head == cap) l->dq_head = 0;
        l->dq_count--;
    }
    float hold = l->dq_val[l->dq_head];
    l->t++;
    float e = l->env;
    e = hold < e ? hold : hold + (e - hold) * l->release_coeff;
    l->env = e;
    l->box_sum += (double)e - (double)l->box[l->box_pos];
    l->box[l->box_pos] = e;
    if (++l->box_pos == l->window) l->box_pos = 0;
    l->g_prev = l->g_cur;
    l->g_cur = (float)(l->box_sum / (double)l->window);
}

void cdsp_limiter_process(cdsp_limiter *l, float *left, float *right, size_t frames) {
    float *io[2] = {left, right ? right : left};
    int channels = right ? 2 : 1;
    const float ceiling = l->ceiling, inv_sub = 1.0f / SUB;
    for (size_t base = 0; base < frames; base += LIM_CHUNK) {
        size_t n = frames - base < LIM_CHUNK ? frames - base : LIM_CHUNK;
        // ext holds x[t - LIM_HIST .. t + n); the interval right of sample c = t + k - HALF reads
        // x[c - HALF + 1 .. c + HALF].
        float m = 0.0f;
        for (int ch = 0; ch < channels; ch++) {
            memcpy(l->ext[ch] + LIM_HIST, io[ch] + base, n * sizeof(float));
            for (size_t i = 0; i < LIM_HIST + n; i++) {
                float a = fabsf(l->ext[ch][i]);
                m = a > m ? a : m;
            }
        }
        if (m * l->tp.l1 < ceiling && m < ceiling) {
            for (size_t k = 0; k < n; k++) l->ipeak[k] = 0.0f;  // no interval can reach the ceiling
        } else {
            float tmp[LIM_CHUNK];
            for (int ch = 0; ch < channels; ch++) {
                cdsp_tp_interval_peaks(&l->tp, l->ext[ch] + LIM_HIST - CDSP_TP_HALF, n, ch == 0 ? l->ipeak : tmp);
                if (ch == 1)
                    for (size_t k = 0; k < n; k++) l->ipeak[k] = tmp[k] > l->ipeak[k] ? tmp[k] : l->ipeak[k];
            }
        }
        float gain[LIM_CHUNK];
        float prev = l->prev_ipeak;
        for (size_t k = 0; k < n; k++) {
            float cur = l->ipeak[k];
            float p = cur > prev ? cur : prev;
            prev = cur;
            float required = p > ceiling ? ceiling / p : 1.0f;
            l->sub_min = required < l->sub_min ? required : l->sub_min;
            if (++l->sub_fill == SUB) {
                sub_block_step(l, l->sub_min);
                l->sub_fill = 0;
                l->sub_min = 1.0f;
            }
            gain[k] = l->g_prev + (l->g_cur - l->g_prev) * ((float)l->sub_fill * inv_sub);
        }
        l->prev_ipeak = prev;
        size_t start = l->dl_pos, len = l->dl_len, pos = start;
        for (int ch = 0; ch < channels; ch++) {
            float *restrict line = l->dl[ch];
            float *restrict x = io[ch] + base;
            pos = start;
            for (size_t k = 0; k < n; k++) {
                size_t out_pos = pos + 1 == len ? 0 : pos + 1;  // the oldest sample: delay = len - 1
                line[pos] = x[k];
                x[k] = line[out_pos] * gain[k];
                pos = out_pos;
            }
        }
        l->dl_pos = pos;
        for (int ch = 0; ch < channels; ch++) memmove(l->ext[ch], l->ext[ch] + n, LIM_HIST * sizeof(float));
    }
}
