// RBJ "Audio EQ Cookbook" biquads in transposed direct form II (double-precision state keeps low shelves and
// high-passes quiet at 44.1 kHz).
#include <math.h>
#include <stdlib.h>

#include "cdsp_fx.h"

struct cdsp_biquad {
    double fs;
    double b0, b1, b2, a1, a2;
    double s1, s2;
};

cdsp_biquad *cdsp_biquad_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_biquad *f = calloc(1, sizeof(*f));
    if (!f) return NULL;
    f->fs = sample_rate;
    f->b0 = 1.0;  // pass-through until set
    return f;
}

void cdsp_biquad_destroy(cdsp_biquad *f) { free(f); }

void cdsp_biquad_set(cdsp_biquad *f, cdsp_eq_kind kind, float frequency, float q, float gain_db) {
    double nyq = 0.49 * f->fs;
    double f0 = frequency < 1.0f ? 1.0 : (frequency > nyq ? nyq : frequency);
    double Q = q > 0.01f ? q : 0.01;
    double w0 = 2.0 * M_PI * f0 / f->fs, cw = cos(w0), sw = sin(w0);
    double alpha = sw / (2.0 * Q);
    double A = pow(10.0, gain_db / 40.0);
    double b0, b1, b2, a0, a1, a2;
    switch (kind) {
    case CDSP_EQ_HIGHPASS:
        b0 = (1 + cw) / 2; b1 = -(1 + cw); b2 = (1 + cw) / 2;
        a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
        break;
    case CDSP_EQ_PEAK:
        b0 = 1 + alpha * A; b1 = -2 * cw; b2 = 1 - alpha * A;
        a0 = 1 + alpha / A; a1 = -2 * cw; a2 = 1 - alpha / A;
        break;
    case CDSP_EQ_LOWSHELF: {
        double sa = 2 * sqrt(A) * alpha;
        b0 = A * ((A + 1) - (A - 1) * cw + sa); b1 = 2 * A * ((A - 1) - (A + 1) * cw);
        b2 = A * ((A + 1) - (A - 1) * cw - sa);
        a0 = (A + 1) + (A - 1) * cw + sa; a1 = -2 * ((A - 1) + (A + 1) * cw); a2 = (A + 1) + (A - 1) * cw - sa;
        break;
    }
    case CDSP_EQ_HIGHSHELF: {
        double sa = 2 * sqrt(A) * alpha;
        b0 = A * ((A + 1) + (A - 1) * cw + sa); b1 = -2 * A * ((A - 1) + (A + 1) * cw);
        b2 = A * ((A + 1) + (A - 1) * cw - sa);
        a0 = (A + 1) - (A - 1) * cw + sa; a1 = 2 * ((A - 1) - (A + 1) * cw); a2 = (A + 1) - (A - 1) * cw - sa;
        break;
    }
    case CDSP_EQ_BANDPASS:  // constant 0 dB peak gain
        b0 = alpha; b1 = 0; b2 = -alpha;
        a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
        break;
    case CDSP_EQ_LOWPASS:
    default:
        b0 = (1 - cw) / 2; b1 = 1 - cw; b2 = (1 - cw) / 2;
        a0 = 1 + alpha; a1 = -2 * cw; a2 = 1 - alpha;
        break;
    }
    f->b0 = b0 / a0; f->b1 = b1 / a0; f->b2 = b2 / a0; f->a1 = a1 / a0; f->a2 = a2 / a0;
}

double cdsp_biquad_response_db(const cdsp_biquad *f, double frequency) {
    double w = 2.0 * M_PI * frequency / f->fs;
    double c1 = cos(w), s1 = sin(w), c2 = cos(2 * w), s2 = sin(2 * w);
    double nr = f->b0 + f->b1 * c1 + f->b2 * c2, ni = -(f->b1 * s1 + f->b2 * s2);
    double dr = 1.0 + f->a1 * c1 + f->a2 * c2, di = -(f->a1 * s1 + f->a2 * s2);
    return 10.0 * log10((nr * nr + ni * ni) / (dr * dr + di * di));
}

/// One filter over both channels at once: lane 0 left, lane 1 right, the coefficients the same in both lanes.
typedef double v2d __attribute__((vector_size(16)));
typedef struct {
    v2d b0, b1, b2, a1, a2, s1, s2;
} tdf2x2;

static inline v2d tdf2x2_step(tdf2x2 *f, v2d x) {
    v2d y = f->b0 * x + f->s1;
    f->s1 = f->b1 * x - f->a1 * y + f->s2;
    f->s2 = f->b2 * x - f->a2 * y;
    return y;
}

/// Frame i of both channels as one vector, and back (rounded to float).
static inline v2d get(const float *l, const float *r, size_t i) { return (v2d){l[i], r[i]}; }
static inline void put(float *l, float *r, size_t i, v2d y) {
    l[i] = (float)y[0];
    r[i] = (float)y[1];
}

/// The output rounded to float, as it is when stored between two filters run one after another.
static inline v2d as_float(v2d y) { return (v2d){(double)(float)y[0], (double)(float)y[1]}; }

static tdf2x2 tdf2x2_load(const cdsp_biquad *left, const cdsp_biquad *right) {
    tdf2x2 t = {{left->b0, left->b0}, {left->b1, left->b1}, {left->b2, left->b2}, {left->a1, left->a1},
                {left->a2, left->a2}, {left->s1, right->s1}, {left->s2, right->s2}};
    return t;
}

static void tdf2x2_store(const tdf2x2 *t, cdsp_biquad *left, cdsp_biquad *right) {
    left->s1 = fabs(t->s1[0]) < 1e-25 ? 0.0 : t->s1[0];
    left->s2 = fabs(t->s2[0]) < 1e-25 ? 0.0 : t->s2[0];
    right->s1 = fabs(t->s1[1]) < 1e-25 ? 0.0 : t->s1[1];
    right->s2 = fabs(t->s2[1]) < 1e-25 ? 0.0 : t->s2[1];
}

/// Four filters over n >= 4 frames of both channels, each filter one sample behind the one before it: eight
/// recursions in flight (four filters x two lanes).
static void cascade_four(cdsp_biquad *const *lf, cdsp_biquad *const *rf, float *l, float *r, size_t n) {
    tdf2x2 f0 = tdf2x2_load(lf[0], rf[0]), f1 = tdf2x2_load(lf[1], rf[1]), f2 = tdf2x2_load(lf[2], rf[2]),
           f3 = tdf2x2_load(lf[3], rf[3]);
    v2d p1 = as_float(tdf2x2_step(&f0, get(l, r, 0)));
    v2d q1 = as_float(tdf2x2_step(&f0, get(l, r, 1)));
    v2d p2 = as_float(tdf2x2_step(&f1, p1));
    p1 = q1;
    q1 = as_float(tdf2x2_step(&f0, get(l, r, 2)));
    v2d q2 = as_float(tdf2x2_step(&f1, p1));
    v2d p3 = as_float(tdf2x2_step(&f2, p2));
    p1 = q1;
    p2 = q2;
    for (size_t i = 3; i < n; i++) {  // f0 at i, f1 at i - 1, f2 at i - 2, f3 at i - 3
        q1 = as_float(tdf2x2_step(&f0, get(l, r, i)));
        q2 = as_float(tdf2x2_step(&f1, p1));
        v2d q3 = as_float(tdf2x2_step(&f2, p2));
        put(l, r, i - 3, tdf2x2_step(&f3, p3));
        p1 = q1;
        p2 = q2;
        p3 = q3;
    }
    // Drain: f1 has sample n - 1 to do, f2 n - 2 and n - 1, f3 n - 3 to n - 1.
    q2 = as_float(tdf2x2_step(&f1, p1));
    v2d q3 = as_float(tdf2x2_step(&f2, p2));
    put(l, r, n - 3, tdf2x2_step(&f3, p3));
    v2d last = as_float(tdf2x2_step(&f2, q2));
    put(l, r, n - 2, tdf2x2_step(&f3, q3));
    put(l, r, n - 1, tdf2x2_step(&f3, last));
    tdf2x2_store(&f0, lf[0], rf[0]);
    tdf2x2_store(&f1, lf[1], rf[1]);
    tdf2x2_store(&f2, lf[2], rf[2]);
    tdf2x2_store(&f3, lf[3], rf[3]);
}

/// One step of a wavefront of eight filters, filter k at frame i - k (those in 0..<n only), from the last
/// rounded outputs `carry` (filter k's feeds filter k + 1). Filters are stepped last to first, so each reads the
/// carry of the step before. Used to fill and drain the wavefront; the AVX loop does the steps in between.
static void wave_step(tdf2x2 f[8], v2d carry[8], float *l, float *r, size_t i, size_t n) {
    for (int k = 7; k >= 0; k--) {
        if (i < (size_t)k || i - (size_t)k >= n) continue;
        size_t j = i - (size_t)k;
        v2d y = tdf2x2_step(&f[k], k == 0 ? get(l, r, j) : carry[k - 1]);
        if (k == 7) put(l, r, j, y);
        else carry[k] = as_float(y);
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define CDSP_CASCADE_AVX 1
/// Two filters over both channels in one 256-bit vector (lanes: first filter left, right; second left, right).
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));
typedef struct {
    v4d b0, b1, b2, a1, a2, s1, s2;
} tdf2x4;

__attribute__((target("avx"))) static inline v4d tdf2x4_step(tdf2x4 *f, v4d x) {
    v4d y = f->b0 * x + f->s1;
    f->s1 = f->b1 * x - f->a1 * y + f->s2;
    f->s2 = f->b2 * x - f->a2 * y;
    return y;
}

__attribute__((target("avx"))) static inline v4d as_float4(v4d y) {
    return __builtin_convertvector(__builtin_convertvector(y, v4f), v4d);
}

/// Eight filters over n >= 8 frames, filter k at frame i - k: the wavefront of `wave_step`, its full steps with
/// the filters paired into four vectors (sixteen recursions in flight, two per instruction). Each lane does the
/// SSE step's arithmetic in the same order, with no fused multiply-add (the target is "avx", not "fma"), and the
/// output is rounded to float between filters as before: the same bytes as one filter after another.
__attribute__((target("avx"))) static void cascade_eight_avx(cdsp_biquad *const *lf, cdsp_biquad *const *rf,
                                                            float *l, float *r, size_t n) {
    tdf2x2 f[8];
    v2d carry[8] = {{0, 0}};
    for (int k = 0; k < 8; k++) f[k] = tdf2x2_load(lf[k], rf[k]);
    for (size_t i = 0; i < 7; i++) wave_step(f, carry, l, r, i, n);
    tdf2x4 v[4];
    for (int p = 0; p < 4; p++) {
        const tdf2x2 *a = &f[2 * p], *b = &f[2 * p + 1];
#define CDSP_JOIN(field) v[p].field = (v4d){a->field[0], a->field[1], b->field[0], b->field[1]}
        CDSP_JOIN(b0); CDSP_JOIN(b1); CDSP_JOIN(b2); CDSP_JOIN(a1); CDSP_JOIN(a2); CDSP_JOIN(s1); CDSP_JOIN(s2);
#undef CDSP_JOIN
    }
    // Inputs of the pairs: (frame i, carry 0), (carry 1, carry 2), (carry 3, carry 4), (carry 5, carry 6).
    v4d in0 = {0, 0, carry[0][0], carry[0][1]}, in1 = {carry[1][0], carry[1][1], carry[2][0], carry[2][1]},
        in2 = {carry[3][0], carry[3][1], carry[4][0], carry[4][1]},
        in3 = {carry[5][0], carry[5][1], carry[6][0], carry[6][1]};
    for (size_t i = 7; i < n; i++) {
        in0[0] = l[i];
        in0[1] = r[i];
        v4d o0 = as_float4(tdf2x4_step(&v[0], in0));
        v4d o1 = as_float4(tdf2x4_step(&v[1], in1));
        v4d o2 = as_float4(tdf2x4_step(&v[2], in2));
        v4d o3 = tdf2x4_step(&v[3], in3);
        l[i - 7] = (float)o3[2];
        r[i - 7] = (float)o3[3];
        o3 = as_float4(o3);
        in0 = __builtin_shufflevector(in0, o0, 0, 1, 4, 5);
        in1 = __builtin_shufflevector(o0, o1, 2, 3, 4, 5);
        in2 = __builtin_shufflevector(o1, o2, 2, 3, 4, 5);
        in3 = __builtin_shufflevector(o2, o3, 2, 3, 4, 5);
    }
    for (int p = 0; p < 4; p++) {
        f[2 * p].s1 = (v2d){v[p].s1[0], v[p].s1[1]};
        f[2 * p].s2 = (v2d){v[p].s2[0], v[p].s2[1]};
        f[2 * p + 1].s1 = (v2d){v[p].s1[2], v[p].s1[3]};
        f[2 * p + 1].s2 = (v2d){v[p].s2[2], v[p].s2[3]};
    }
    carry[0] = (v2d){in0[2], in0[3]};
    carry[1] = (v2d){in1[0], in1[1]};
    carry[2] = (v2d){in1[2], in1[3]};
    carry[3] = (v2d){in2[0], in2[1]};
    carry[4] = (v2d){in2[2], in2[3]};
    carry[5] = (v2d){in3[0], in3[1]};
    carry[6] = (v2d){in3[2], in3[3]};
    for (size_t i = n; i < n + 7; i++) wave_step(f, carry, l, r, i, n);
    for (int k = 0; k < 8; k++) tdf2x2_store(&f[k], lf[k], rf[k]);
}
#endif

void cdsp_biquad_cascade_stereo(cdsp_biquad *const *left_filters, cdsp_biquad *const *right_filters, int count,
                                float *left, float *right, size_t frames) {
    // Filters run eight at a time where the processor has AVX (cascade_eight_avx), then four at a time, each one
    // sample behind the one before, with both channels as the two lanes of one vector: eight recursions in flight
    // instead of one, so the loop is bound by arithmetic, not by the recursion's latency. The rest run two at a
    // time, then one, the same way. Same arithmetic
    // in the same order per filter, and the output rounded to float between filters, so the same bytes as one
    // filter after another.
    enum { BLOCK = 2048 };
    for (size_t start = 0; start < frames; start += BLOCK) {
        size_t n = frames - start < BLOCK ? frames - start : BLOCK;
        float *l = left + start, *r = right + start;
        int k = 0;
#ifdef CDSP_CASCADE_AVX
        if (n >= 8 && __builtin_cpu_supports("avx"))
            for (; k + 7 < count; k += 8) cascade_eight_avx(left_filters + k, right_filters + k, l, r, n);
#endif
        if (n >= 4)
            for (; k + 3 < count; k += 4) cascade_four(left_filters + k, right_filters + k, l, r, n);
        for (; k + 1 < count; k += 2) {  // two filters, the second one sample behind
            tdf2x2 fa = tdf2x2_load(left_filters[k], right_filters[k]);
            tdf2x2 fb = tdf2x2_load(left_filters[k + 1], right_filters[k + 1]);
            v2d p = as_float(tdf2x2_step(&fa, get(l, r, 0)));
            for (size_t i = 1; i < n; i++) {
                v2d q = as_float(tdf2x2_step(&fa, get(l, r, i)));
                put(l, r, i - 1, tdf2x2_step(&fb, p));
                p = q;
            }
            put(l, r, n - 1, tdf2x2_step(&fb, p));
            tdf2x2_store(&fa, left_filters[k], right_filters[k]);
            tdf2x2_store(&fb, left_filters[k + 1], right_filters[k + 1]);
        }
        for (; k < count; k++) {
            tdf2x2 f = tdf2x2_load(left_filters[k], right_filters[k]);
            for (size_t i = 0; i < n; i++) put(l, r, i, tdf2x2_step(&f, get(l, r, i)));
            tdf2x2_store(&f, left_filters[k], right_filters[k]);
        }
    }
}

void cdsp_biquad_reset(cdsp_biquad *f) { f->s1 = f->s2 = 0.0; }

void cdsp_biquad_process(cdsp_biquad *f, float *inout, size_t frames) {
    double b0 = f->b0, b1 = f->b1, b2 = f->b2, a1 = f->a1, a2 = f->a2, s1 = f->s1, s2 = f->s2;
    for (size_t i = 0; i < frames; i++) {
        double x = inout[i];
        double y = b0 * x + s1;
        s1 = b1 * x - a1 * y + s2;
        s2 = b2 * x - a2 * y;
        inout[i] = (float)y;
    }
    // flush denormal-sized state after silence
    if (fabs(s1) < 1e-25) s1 = 0.0;
    if (fabs(s2) < 1e-25) s2 = 0.0;
    f->s1 = s1;
    f->s2 = s2;
}
