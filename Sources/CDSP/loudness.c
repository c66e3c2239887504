// Integrated loudness per ITU-R BS.1770-4 / EBU R128: K-weighting (high shelf + RLB high-pass, designed for the
// actual sample rate from the analog prototype behind the standard's 48 kHz coefficients), mean square over
// 400 ms blocks stepped by 100 ms (75 % overlap), absolute gate -70 LUFS, relative gate -10 LU.
#include <math.h>
#include <stdlib.h>

#include "cdsp_fx.h"
#include "fx_internal.h"

void cdsp_kweight_coefficients(double fs, double sb[3], double sa[3], double hb[3], double ha[3]) {
    // Prototype parameters that reproduce the 48 kHz coefficients of BS.1770-4 Table 1 and 2.
    const double shelf_f0 = 1681.974450955533, shelf_gain_db = 3.999843853973347, shelf_q = 0.7071752369554196;
    const double hp_f0 = 38.13547087602444, hp_q = 0.5003270373238773;
    double k = tan(M_PI * shelf_f0 / fs);
    double vh = pow(10.0, shelf_gain_db / 20.0);
    double vb = pow(vh, 0.4996667741545416);
    double a0 = 1.0 + k / shelf_q + k * k;
    sb[0] = (vh + vb * k / shelf_q + k * k) / a0;
    sb[1] = 2.0 * (k * k - vh) / a0;
    sb[2] = (vh - vb * k / shelf_q + k * k) / a0;
    sa[0] = 1.0;
    sa[1] = 2.0 * (k * k - 1.0) / a0;
    sa[2] = (1.0 - k / shelf_q + k * k) / a0;
    k = tan(M_PI * hp_f0 / fs);
    a0 = 1.0 + k / hp_q + k * k;
    hb[0] = 1.0;
    hb[1] = -2.0;
    hb[2] = 1.0;
    ha[0] = 1.0;
    ha[1] = 2.0 * (k * k - 1.0) / a0;
    ha[2] = (1.0 - k / hp_q + k * k) / a0;
}

typedef double v2d __attribute__((vector_size(16)));  // left and right in one register (SSE2 / NEON)

/// The two K-weighting stages (transposed direct form II) with the outputs substituted into the state updates,
/// so each state depends on its predecessor through one multiply and one add: the recursion is half as long
/// as the textbook form's, with the same transfer function. Stage 1 (shelf, a0 = 1):
///   y = b0 x + s1;  s1' = (b1 - a1 b0) x + s2 - a1 s1;  s2' = (b2 - a2 b0) x - a2 s1
/// stage 2 (RLB high-pass, numerator {1, -2, 1}):
///   z = y + h1;  h1' = -(2 + a1) y + h2 - a1 h1;  h2' = (1 - a2) y - a2 h1
/// T is double (one channel) or v2d (two channels, one per lane).
#define KWEIGHT_STEP(T, x, sum)                  \
    do {                                         \
        const T in_ = (x);                       \
        const T y_ = b0 * in_ + s1;              \
        const T u_ = c1 * in_ + s2;              \
        s2 = c2 * in_ - a2 * s1;                 \
        s1 = u_ - a1 * s1;                       \
        const T z_ = y_ + h1;                    \
        const T v_ = e1 * y_ + h2;               \
        h2 = e2 * y_ - ha2 * h1;                 \
        h1 = v_ - ha1 * h1;                      \
        sum += z_ * z_;                          \
    } while (0)

/// K-weights one or two channels and writes the sum of squares of each 100 ms step into steps[0..<count]. Two
/// channels run as the two lanes of one vector recursion.
static void step_energy(const float *left, const float *right, size_t step, size_t count, double fs,
                        double *steps) {
    double sb[3], sa[3], hb[3], ha[3];
    cdsp_kweight_coefficients(fs, sb, sa, hb, ha);
    const double kb0 = sb[0], kc1 = sb[1] - sa[1] * sb[0], kc2 = sb[2] - sa[2] * sb[0], ka1 = sa[1], ka2 = sa[2];
    const double ke1 = -(2.0 + ha[1]), ke2 = 1.0 - ha[2], kha1 = ha[1], kha2 = ha[2];
    if (right) {
        const v2d b0 = {kb0, kb0}, c1 = {kc1, kc1}, c2 = {kc2, kc2}, a1 = {ka1, ka1}, a2 = {ka2, ka2},
                  e1 = {ke1, ke1}, e2 = {ke2, ke2}, ha1 = {kha1, kha1}, ha2 = {kha2, kha2};
        v2d s1 = {0, 0}, s2 = {0, 0}, h1 = {0, 0}, h2 = {0, 0};
        for (size_t s = 0; s < count; s++) {
            const float *pl = left + s * step, *pr = right + s * step;
            v2d sum = {0, 0};
            for (size_t i = 0; i < step; i++) KWEIGHT_STEP(v2d, ((v2d){pl[i], pr[i]}), sum);
            steps[s] = sum[0] + sum[1];
        }
        return;
    }
    const double b0 = kb0, c1 = kc1, c2 = kc2, a1 = ka1, a2 = ka2, e1 = ke1, e2 = ke2, ha1 = kha1, ha2 = kha2;
    double s1 = 0, s2 = 0, h1 = 0, h2 = 0;
    for (size_t s = 0; s < count; s++) {
        const float *pl = left + s * step;
        double sum = 0.0;
        for (size_t i = 0; i < step; i++) KWEIGHT_STEP(double, (double)pl[i], sum);
        steps[s] = sum;
    }
}

cdsp_status cdsp_loudness_integrated(const float *left, const float *right, size_t frames, float sample_rate,
                                     double *lufs) {
    if (!left || !lufs || !(sample_rate > 0.0f)) return CDSP_ERR_ARGUMENT;
    *lufs = -INFINITY;
    size_t step = (size_t)lround(0.1 * sample_rate);
    if (step == 0) return CDSP_ERR_ARGUMENT;
    size_t count = frames / step;  // whole 100 ms steps; a 400 ms block is 4 consecutive steps
    if (count < 4) return CDSP_OK;
    double *steps = calloc(count, sizeof(double));
    if (!steps) return CDSP_ERR_MEMORY;
    step_energy(left, right, step, count, sample_rate, steps);
    size_t blocks = count - 3;
    double block_len = 4.0 * (double)step;
    // Block mean square z_j (sum over channels, all weights 1 for L/R), gated at -70 LUFS absolute.
    const double abs_gate = pow(10.0, (-70.0 + 0.691) / 10.0);
    double sum = 0.0;
    size_t n = 0;
    for (size_t j = 0; j < blocks; j++) {
        double z = (steps[j] + steps[j + 1] + steps[j + 2] + steps[j + 3]) / block_len;
        if (z > abs_gate) {
            sum += z;
            n++;
        }
    }
    if (n > 0) {
        double rel_gate = (sum / (double)n) * pow(10.0, -10.0 / 10.0);
        double sum2 = 0.0;
        size_t n2 = 0;
        for (size_t j = 0; j < blocks; j++) {
            double z = (steps[j] + steps[j + 1] + steps[j + 2] + steps[j + 3]) / block_len;
            if (z > abs_gate && z > rel_gate) {
                sum2 += z;
                n2++;
            }
        }
        if (n2 > 0) *lufs = -0.691 + 10.0 * log10(sum2 / (double)n2);
    }
    free(steps);
    return CDSP_OK;
}
