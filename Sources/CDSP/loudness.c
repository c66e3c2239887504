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

/// The gated mean (BS.1770-4: -70 LUFS absolute, -10 LU relative) of the 400 ms blocks made of 4 consecutive
/// 100 ms step energies, as LUFS; -INFINITY when no block passes the gates.
static double gated_loudness(const double *steps, size_t count, size_t step) {
    if (count < 4) return -INFINITY;
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
    if (n == 0) return -INFINITY;
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
    return n2 > 0 ? -0.691 + 10.0 * log10(sum2 / (double)n2) : -INFINITY;
}

/// The stereo meter: the two channels are the two lanes of one vector recursion; the energy of each whole 100 ms
/// step is kept (8 bytes per step: 29 KB for an hour), the samples are not.
struct cdsp_loudness_meter {
    size_t step;
    v2d b0, c1, c2, a1, a2, e1, e2, ha1, ha2;
    v2d s1, s2, h1, h2, sum;
    size_t fill;  // samples of the current step so far
    double *steps;
    size_t count, capacity;
};

cdsp_loudness_meter *cdsp_loudness_meter_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    size_t step = (size_t)lround(0.1 * sample_rate);
    if (step == 0) return NULL;
    cdsp_loudness_meter *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->step = step;
    double sb[3], sa[3], hb[3], ha[3];
    cdsp_kweight_coefficients(sample_rate, sb, sa, hb, ha);
    const double kb0 = sb[0], kc1 = sb[1] - sa[1] * sb[0], kc2 = sb[2] - sa[2] * sb[0];
    const double ke1 = -(2.0 + ha[1]), ke2 = 1.0 - ha[2];
    m->b0 = (v2d){kb0, kb0};
    m->c1 = (v2d){kc1, kc1};
    m->c2 = (v2d){kc2, kc2};
    m->a1 = (v2d){sa[1], sa[1]};
    m->a2 = (v2d){sa[2], sa[2]};
    m->e1 = (v2d){ke1, ke1};
    m->e2 = (v2d){ke2, ke2};
    m->ha1 = (v2d){ha[1], ha[1]};
    m->ha2 = (v2d){ha[2], ha[2]};
    return m;
}

void cdsp_loudness_meter_destroy(cdsp_loudness_meter *m) {
    if (!m) return;
    free(m->steps);
    free(m);
}

cdsp_status cdsp_loudness_meter_add(cdsp_loudness_meter *m, const float *left, const float *right, size_t frames) {
    if (!m || (frames > 0 && (!left || !right))) return CDSP_ERR_ARGUMENT;
    const v2d b0 = m->b0, c1 = m->c1, c2 = m->c2, a1 = m->a1, a2 = m->a2, e1 = m->e1, e2 = m->e2, ha1 = m->ha1,
              ha2 = m->ha2;
    v2d s1 = m->s1, s2 = m->s2, h1 = m->h1, h2 = m->h2, sum = m->sum;
    size_t i = 0;
    while (i < frames) {
        size_t n = m->step - m->fill;
        if (n > frames - i) n = frames - i;
        for (size_t k = i; k < i + n; k++) KWEIGHT_STEP(v2d, ((v2d){left[k], right[k]}), sum);
        i += n;
        m->fill += n;
        if (m->fill == m->step) {
            if (m->count == m->capacity) {
                size_t capacity = m->capacity ? 2 * m->capacity : 1024;
                double *grown = realloc(m->steps, capacity * sizeof(double));
                if (!grown) return CDSP_ERR_MEMORY;
                m->steps = grown;
                m->capacity = capacity;
            }
            m->steps[m->count++] = sum[0] + sum[1];
            sum = (v2d){0, 0};
            m->fill = 0;
        }
    }
    m->s1 = s1;
    m->s2 = s2;
    m->h1 = h1;
    m->h2 = h2;
    m->sum = sum;
    return CDSP_OK;
}

double cdsp_loudness_meter_integrated(const cdsp_loudness_meter *m) {
    return m ? gated_loudness(m->steps, m->count, m->step) : -INFINITY;
}

/// K-weights one channel and writes the sum of squares of each 100 ms step into steps[0..<count].
static void mono_step_energy(const float *left, size_t step, size_t count, double fs, double *steps) {
    double sb[3], sa[3], hb[3], ha[3];
    cdsp_kweight_coefficients(fs, sb, sa, hb, ha);
    const double b0 = sb[0], c1 = sb[1] - sa[1] * sb[0], c2 = sb[2] - sa[2] * sb[0], a1 = sa[1], a2 = sa[2];
    const double e1 = -(2.0 + ha[1]), e2 = 1.0 - ha[2], ha1 = ha[1], ha2 = ha[2];
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
    if (right) {  // the streaming meter over the whole buffer: the same figure as fed in any pieces
        cdsp_loudness_meter *m = cdsp_loudness_meter_create(sample_rate);
        if (!m) return CDSP_ERR_MEMORY;
        cdsp_status status = cdsp_loudness_meter_add(m, left, right, frames);
        if (status == CDSP_OK) *lufs = cdsp_loudness_meter_integrated(m);
        cdsp_loudness_meter_destroy(m);
        return status;
    }
    size_t count = frames / step;  // whole 100 ms steps; a 400 ms block is 4 consecutive steps
    if (count < 4) return CDSP_OK;
    double *steps = calloc(count, sizeof(double));
    if (!steps) return CDSP_ERR_MEMORY;
    mono_step_energy(left, step, count, sample_rate, steps);
    *lufs = gated_loudness(steps, count, step);
    free(steps);
    return CDSP_OK;
}
