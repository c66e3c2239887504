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

typedef struct {
    double sb0, sb1, sb2, sa1, sa2, ha1, ha2;
} kweight;

typedef struct {
    double s1, s2, h1, h2;  // transposed direct form II states of both stages
} kstate;

static inline double kweight_tick(const kweight *k, kstate *st, double in) {
    double y = k->sb0 * in + st->s1;
    st->s1 = k->sb1 * in - k->sa1 * y + st->s2;
    st->s2 = k->sb2 * in - k->sa2 * y;
    double z = y + st->h1;  // high-pass numerator {1, -2, 1}
    st->h1 = -2.0 * y - k->ha1 * z + st->h2;
    st->h2 = y - k->ha2 * z;
    return z;
}

/// K-weights one or two channels and writes the sum of squares of each 100 ms step into steps[0..<count]. Both
/// channels run in the same loop: two independent recursions keep the core busy where one would wait.
static void step_energy(const float *left, const float *right, size_t step, size_t count, double fs,
                        double *steps) {
    double sb[3], sa[3], hb[3], ha[3];
    cdsp_kweight_coefficients(fs, sb, sa, hb, ha);
    const kweight k = {sb[0], sb[1], sb[2], sa[1], sa[2], ha[1], ha[2]};
    kstate a = {0}, b = {0};
    for (size_t s = 0; s < count; s++) {
        const float *pl = left + s * step;
        double sum = 0.0;
        if (right) {
            const float *pr = right + s * step;
            double sum_r = 0.0;
            for (size_t i = 0; i < step; i++) {
                double zl = kweight_tick(&k, &a, pl[i]);
                double zr = kweight_tick(&k, &b, pr[i]);
                sum += zl * zl;
                sum_r += zr * zr;
            }
            sum += sum_r;
        } else {
            for (size_t i = 0; i < step; i++) {
                double z = kweight_tick(&k, &a, pl[i]);
                sum += z * z;
            }
        }
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
