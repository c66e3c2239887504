// Feed-forward compressor after Giannoulis, Massberg & Reiss (2012): stereo-linked peak level in dB, soft-knee
// gain computer, then attack/release smoothing of the gain reduction in the dB domain (decoupled branching
// smoother, so a steady tone settles on the static curve). An external key signal drives ducking.
#include <math.h>
#include <stdlib.h>

#include "cdsp_fx.h"

struct cdsp_compressor {
    float fs;
    float threshold, ratio, knee, makeup;
    float attack_coeff, release_coeff;
    float reduction_db;  // smoothed gain reduction, >= 0
};

cdsp_compressor *cdsp_compressor_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_compressor *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->fs = sample_rate;
    cdsp_compressor_set(c, -18.0f, 3.0f, 0.01f, 0.15f, 6.0f, 0.0f);
    return c;
}

void cdsp_compressor_destroy(cdsp_compressor *c) { free(c); }

static float time_coeff(float seconds, float fs) {
    if (!(seconds > 1e-5f)) return 0.0f;
    return expf(-1.0f / (seconds * fs));
}

void cdsp_compressor_set(cdsp_compressor *c, float threshold_db, float ratio, float attack, float release,
                         float knee_db, float makeup_db) {
    c->threshold = threshold_db;
    c->ratio = ratio < 1.0f ? 1.0f : ratio;
    c->knee = knee_db < 0.0f ? 0.0f : knee_db;
    c->makeup = makeup_db;
    c->attack_coeff = time_coeff(attack, c->fs);
    c->release_coeff = time_coeff(release, c->fs);
}

void cdsp_compressor_reset(cdsp_compressor *c) { c->reduction_db = 0.0f; }

/// Static curve: gain reduction in dB (>= 0) for an input level in dB.
static inline float static_reduction(const cdsp_compressor *c, float level_db) {
    float over = level_db - c->threshold;
    float slope = 1.0f - 1.0f / c->ratio;
    if (2.0f * over <= -c->knee) return 0.0f;
    if (2.0f * over >= c->knee) return over * slope;
    float k = over + 0.5f * c->knee;  // quadratic knee
    return slope * k * k / (2.0f * c->knee);
}

void cdsp_compressor_process(cdsp_compressor *c, float *left, float *right, const float *key_left,
                             const float *key_right, size_t frames) {
    const float *kl = key_left ? key_left : left;
    const float *kr = key_left ? (key_right ? key_right : key_left) : (right ? right : left);
    float makeup = cdsp_db_to_gain(c->makeup);
    float y = c->reduction_db, aa = c->attack_coeff, ar = c->release_coeff;
    const float knee_floor = fmaxf(1e-6f, exp2f(0.16609640f * (c->threshold - 0.5f * c->knee)));
    for (size_t i = 0; i < frames; i++) {
        float a = fabsf(kl[i]), b = fabsf(kr[i]);
        float level = a > b ? a : b;
        // Below the knee no reduction is due: skip the logarithm (most samples of most material).
        float target = level > knee_floor ? static_reduction(c, 6.0205999f * log2f(level)) : 0.0f;
        float coeff = target > y ? aa : ar;
        y = target + (y - target) * coeff;
        // 10^(-y/20) as exp2, and no call at all once the reduction has died away.
        float g = y > 1e-7f ? makeup * exp2f(-0.16609640f * y) : makeup;
        left[i] *= g;
        if (right) right[i] *= g;
    }
    c->reduction_db = y < 1e-9f ? 0.0f : y;
}
