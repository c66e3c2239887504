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
