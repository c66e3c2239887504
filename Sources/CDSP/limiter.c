// True-peak limiter. For every sample the 4x-oversampled peak of the intervals on either side gives the gain the
// sample needs (ceiling / peak). That required gain goes through a minimum hold over the look-ahead window, a
// release one-pole (instant attack) and a moving average over the same window: the average of values that are
// all <= the required gain of the sample leaving the delay line can never exceed it, so the gain reaches its
// target exactly when the peak arrives, with a smooth ramp instead of a step.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_fx.h"
#include "fx_internal.h"

enum { LIM_CHUNK = 256, LIM_HIST = 2 * CDSP_TP_HALF };

struct cdsp_limiter {
    float sample_rate;
    size_t window;          // look-ahead L in samples
    double inv_window;
    size_t delay;           // total latency: L - 1 + detector delay
    float ceiling;          // linear, with a small safety margin
    float release_coeff;
    cdsp_tp_filter tp;
    // detector input history + chunk per channel, and per-interval peaks
    float ext[2][LIM_HIST + LIM_CHUNK];
    float ipeak[LIM_CHUNK + 1];
    float prev_ipeak;       // interval peak just before the current sample
    // min-hold deque over required gains
    float *dq_val;
    size_t *dq_t;
    size_t dq_head, dq_count;
    size_t t;               // samples seen by the gain computer
    float env;              // release envelope
    float *box;             // ring of the last L envelope values
    size_t box_pos;
    double box_sum;
    // audio delay line
    float *dl[2];
    size_t dl_len, dl_pos;
};

cdsp_limiter *cdsp_limiter_create(float sample_rate, float lookahead_seconds) {
    if (!(sample_rate > 0.0f) || !(lookahead_seconds > 0.0f) || lookahead_seconds > 0.05f) return NULL;
    cdsp_limiter *l = calloc(1, sizeof(*l));
    if (!l) return NULL;
    l->sample_rate = sample_rate;
    l->window = (size_t)lroundf(lookahead_seconds * sample_rate);
    if (l->window < 2) l->window = 2;
    l->inv_window = 1.0 / (double)l->window;
    // detector: the interval peak right of sample c needs x[c + HALF]
    l->delay = l->window - 1 + CDSP_TP_HALF;
    l->dl_len = l->delay + 1;
    l->dq_val = calloc(l->window + 1, sizeof(float));
    l->dq_t = calloc(l->window + 1, sizeof(size_t));
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
    l->release_coeff = expf(-1.0f / (release_seconds * l->sample_rate));
}

void cdsp_limiter_reset(cdsp_limiter *l) {
    memset(l->ext, 0, sizeof(l->ext));
    l->prev_ipeak = 0.0f;
    l->dq_head = 0;
    l->dq_count = 1;  // history of unity gains
    l->dq_val[0] = 1.0f;
    l->dq_t[0] = 0;
    l->t = 1;
    l->env = 1.0f;
    for (size_t i = 0; i < l->window; i++) l->box[i] = 1.0f;
    l->box_pos = 0;
    l->box_sum = (double)l->window;
    memset(l->dl[0], 0, l->dl_len * sizeof(float));
    memset(l->dl[1], 0, l->dl_len * sizeof(float));
    l->dl_pos = 0;
}

size_t cdsp_limiter_latency(const cdsp_limiter *l) { return l->delay; }

/// Turns the required gains of a chunk into applied gains: min-hold over L (monotonic deque in a ring of L + 1
/// slots), release one-pole with instant attack (never above the hold), moving average over L. State lives in
/// locals for the loop so the compiler keeps it in registers.
static void gain_chunk(cdsp_limiter *restrict l, const float *restrict required, float *restrict gain, size_t n) {
    const size_t cap = l->window + 1, window = l->window;
    float *restrict dq_val = l->dq_val;
    size_t *restrict dq_t = l->dq_t;
    float *restrict box = l->box;
    size_t head = l->dq_head, count = l->dq_count, t = l->t, box_pos = l->box_pos;
    float env = l->env;
    const float rc = l->release_coeff;
    double box_sum = l->box_sum;
    const double inv = l->inv_window;
    for (size_t k = 0; k < n; k++) {
        float r = required[k];
        while (count > 0) {
            size_t back = head + count - 1;
            if (back >= cap) back -= cap;
            if (dq_val[back] >= r) count--;
            else break;
        }
        size_t slot = head + count;
        if (slot >= cap) slot -= cap;
        dq_val[slot] = r;
        dq_t[slot] = t;
        count++;
        if (dq_t[head] + window <= t) {  // at most one entry expires per step
            if (++head == cap) head = 0;
            count--;
        }
        float hold = dq_val[head];
        t++;
        env = hold < env ? hold : hold + (env - hold) * rc;
        box_sum += (double)env - (double)box[box_pos];
        box[box_pos] = env;
        if (++box_pos == window) box_pos = 0;
        gain[k] = (float)(box_sum * inv);
    }
    l->dq_head = head;
    l->dq_count = count;
    l->t = t;
    l->box_pos = box_pos;
    l->env = env;
    l->box_sum = box_sum;
}

/// True when the gain is 1 and stays 1 for unity required gains: the whole chunk only needs delaying.
static int at_rest(const cdsp_limiter *l) {
    return l->dq_count == 1 && l->dq_val[l->dq_head] == 1.0f && l->env == 1.0f && l->box_sum == (double)l->window;
}

/// Pushes a chunk through the delay line; gain NULL means unity.
static void delay_apply(cdsp_limiter *l, float **io, int channels, size_t base, size_t n, const float *gain) {
    size_t start = l->dl_pos;
    for (int ch = 0; ch < channels; ch++) {
        float *restrict line = l->dl[ch];
        float *restrict x = io[ch] + base;
        size_t pos = start, len = l->dl_len;
        for (size_t k = 0; k < n; k++) {
            size_t out_pos = pos + 1 == len ? 0 : pos + 1;  // the oldest sample: delay = len - 1
            float in = x[k];
            line[pos] = in;
            float out = line[out_pos];
            x[k] = gain ? out * gain[k] : out;
            pos = out_pos;
        }
        l->dl_pos = pos;
    }
}

void cdsp_limiter_process(cdsp_limiter *l, float *left, float *right, size_t frames) {
    float *io[2] = {left, right ? right : left};
    int channels = right ? 2 : 1;
    for (size_t base = 0; base < frames; base += LIM_CHUNK) {
        size_t n = frames - base < LIM_CHUNK ? frames - base : LIM_CHUNK;
        // ext holds x[t - LIM_HIST .. t + n); interval i (between samples c and c + 1) for the sample
        // c = t + k - HALF, k in [0, n): reads x[c - HALF + 1 .. c + HALF].
        float m = 0.0f;
        for (int ch = 0; ch < channels; ch++) {
            memcpy(l->ext[ch] + LIM_HIST, io[ch] + base, n * sizeof(float));
            for (size_t i = 0; i < LIM_HIST + n; i++) {
                float a = fabsf(l->ext[ch][i]);
                m = a > m ? a : m;
            }
        }
        const float *first = NULL;
        if (m * l->tp.l1 < l->ceiling && m < l->ceiling) {
            if (at_rest(l) && l->prev_ipeak < l->ceiling) {  // nothing to limit: delay only
                delay_apply(l, io, channels, base, n, NULL);
                l->dq_t[l->dq_head] = l->t + n - 1;  // the deque's single unity entry is the newest
                l->t += n;
                l->prev_ipeak = 0.0f;
                for (int ch = 0; ch < channels; ch++)
                    memmove(l->ext[ch], l->ext[ch] + n, LIM_HIST * sizeof(float));
                continue;
            }
            for (size_t k = 0; k < n; k++) l->ipeak[k] = 0.0f;  // no interval can reach the ceiling
        } else {
            float tmp[LIM_CHUNK];
            for (int ch = 0; ch < channels; ch++) {
                // c for k = 0 is at ext index LIM_HIST - HALF
                first = l->ext[ch] + LIM_HIST - CDSP_TP_HALF;
                cdsp_tp_interval_peaks(&l->tp, first, n, ch == 0 ? l->ipeak : tmp);
                if (ch == 1)
                    for (size_t k = 0; k < n; k++) l->ipeak[k] = tmp[k] > l->ipeak[k] ? tmp[k] : l->ipeak[k];
            }
        }
        float required[LIM_CHUNK], gain[LIM_CHUNK];
        float prev = l->prev_ipeak;
        const float ceiling = l->ceiling;
        for (size_t k = 0; k < n; k++) {
            float cur = l->ipeak[k];
            float p = cur > prev ? cur : prev;
            prev = cur;
            required[k] = p > ceiling ? ceiling / p : 1.0f;
        }
        l->prev_ipeak = prev;
        gain_chunk(l, required, gain, n);
        delay_apply(l, io, channels, base, n, gain);
        for (int ch = 0; ch < channels; ch++)
            memmove(l->ext[ch], l->ext[ch] + n, LIM_HIST * sizeof(float));
    }
}
