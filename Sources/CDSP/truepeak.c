// 4x-oversampled true-peak estimation (ITU-R BS.1770-4 Annex 2): a 48-tap polyphase interpolator, 12 taps per
// branch, Kaiser-windowed sinc. Shared by cdsp_true_peak and the limiter.
#include <math.h>
#include <string.h>

#include <stdlib.h>

#include "cdsp_fx.h"
#include "cdsp_io.h"
#include "fx_internal.h"

static double bessel_i0(double x) {
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 40; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-12 * sum) break;
    }
    return sum;
}

void cdsp_tp_filter_init(cdsp_tp_filter *f) {
    const double beta = 5.0;
    const double half_span = CDSP_TP_HALF + 0.5;
    f->l1 = 0.0f;
    for (int p = 1; p <= 3; p++) {
        double frac = p / 4.0, sum = 0.0, tmp[CDSP_TP_TAPS];
        for (int j = 0; j < CDSP_TP_TAPS; j++) {
            double t = (double)(j - (CDSP_TP_HALF - 1)) - frac;  // distance from the interpolated point
            double sinc = fabs(t) < 1e-12 ? 1.0 : sin(M_PI * t) / (M_PI * t);
            double r = t / half_span;
            double w = fabs(r) >= 1.0 ? 0.0 : bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
            tmp[j] = sinc * w;
            sum += tmp[j];
        }
        double l1 = 0.0;
        for (int j = 0; j < CDSP_TP_TAPS; j++) {
            f->c[p - 1][j] = (float)(tmp[j] / sum);
            l1 += fabs(tmp[j] / sum);
        }
        if (l1 > f->l1) f->l1 = (float)l1 * 1.0001f;
    }
}

enum { TP_BLOCK = 64 };

static inline float maxf(float a, float b) { return a > b ? a : b; }  // fmaxf is a libm call

/// One block of TP_BLOCK intervals with a fixed trip count, so the compiler vectorises the tap loops.
static void block_peaks(const cdsp_tp_filter *restrict f, const float *restrict x, float *restrict peak) {
    const float *xs = x - (CDSP_TP_HALF - 1);
    float a1[TP_BLOCK], a2[TP_BLOCK], a3[TP_BLOCK];
    for (int i = 0; i < TP_BLOCK; i++) a1[i] = a2[i] = a3[i] = 0.0f;
    for (int j = 0; j < CDSP_TP_TAPS; j++) {
        const float c1 = f->c[0][j], c2 = f->c[1][j], c3 = f->c[2][j];
        const float *xj = xs + j;
        for (int i = 0; i < TP_BLOCK; i++) {
            float v = xj[i];
            a1[i] += c1 * v;
            a2[i] += c2 * v;
            a3[i] += c3 * v;
        }
    }
    for (int i = 0; i < TP_BLOCK; i++) {
        float m = maxf(fabsf(x[i]), fabsf(x[i + 1]));
        m = maxf(m, fabsf(a1[i]));
        m = maxf(m, fabsf(a2[i]));
        peak[i] = maxf(m, fabsf(a3[i]));
    }
}

void cdsp_tp_interval_peaks(const cdsp_tp_filter *f, const float *x, size_t count, float *out) {
    size_t base = 0;
    for (; base + TP_BLOCK <= count; base += TP_BLOCK) block_peaks(f, x + base, out + base);
    if (base < count) {  // tail: copy into a padded block
        enum { PAD = CDSP_TP_HALF };
        float tmp[TP_BLOCK + 2 * PAD] = {0}, peak[TP_BLOCK];
        size_t n = count - base;
        memcpy(tmp, x + base - (PAD - 1), (n + 2 * PAD - 1) * sizeof(float));
        block_peaks(f, tmp + PAD - 1, peak);
        memcpy(out + base, peak, n * sizeof(float));
    }
}

/// Peak of one channel, skipping whole blocks whose bound (l1 * block max) cannot beat the running peak.
static float channel_true_peak(const cdsp_tp_filter *f, const float *x, size_t frames) {
    enum { PAD = CDSP_TP_HALF + 1, EDGE = 2 * PAD + TP_BLOCK };
    float peak = 0.0f;
    float out[TP_BLOCK];
    float edge[EDGE];
    for (size_t base = 0; base < frames; base += TP_BLOCK) {
        size_t n = frames - base < TP_BLOCK ? frames - base : TP_BLOCK;
        // window of samples the block's intervals read: [base - HALF + 1, base + n + HALF)
        size_t lo = base >= CDSP_TP_HALF - 1 ? base - (CDSP_TP_HALF - 1) : 0;
        size_t hi = base + n + CDSP_TP_HALF < frames ? base + n + CDSP_TP_HALF : frames;
        float m = 0.0f;
        for (size_t i = lo; i < hi; i++) {
            float a = fabsf(x[i]);
            m = a > m ? a : m;
        }
        if (m * f->l1 <= peak && m <= peak) continue;
        if (base >= CDSP_TP_HALF - 1 && base + n + CDSP_TP_HALF <= frames) {
            cdsp_tp_interval_peaks(f, x + base, n, out);
        } else {  // zero-padded copy at the signal edges
            for (int k = 0; k < EDGE; k++) {
                long idx = (long)base - PAD + k;
                edge[k] = (idx >= 0 && (size_t)idx < frames) ? x[idx] : 0.0f;
            }
            cdsp_tp_interval_peaks(f, edge + PAD, n, out);
        }
        for (size_t i = 0; i < n; i++) peak = out[i] > peak ? out[i] : peak;
    }
    return peak;
}

cdsp_status cdsp_true_peak(const float *left, const float *right, size_t frames, float sample_rate, double *dbtp) {
    if (!left || !dbtp || !(sample_rate > 0.0f)) return CDSP_ERR_ARGUMENT;
    cdsp_tp_filter f;
    cdsp_tp_filter_init(&f);
    float peak = channel_true_peak(&f, left, frames);
    if (right) {
        float pr = channel_true_peak(&f, right, frames);
        peak = pr > peak ? pr : peak;
    }
    *dbtp = peak > 0.0f ? 20.0 * log10((double)peak) : -INFINITY;
    return CDSP_OK;
}

/// The streaming meter. Each channel's buffer holds, in order, CDSP_TP_HALF samples already measured (the history
/// the next intervals read back into), CDSP_TP_HALF samples not yet measured (the look-ahead the last measured
/// intervals read), then up to METER_BLOCK new frames; at the start the history is the zeros before the signal,
/// and `finish` adds CDSP_TP_HALF zeros for the silence after it, as cdsp_true_peak pads.
enum { METER_BLOCK = 16384, H = CDSP_TP_HALF };

struct cdsp_true_peak_meter {
    cdsp_tp_filter f;
    float *buf[2];
    float out[METER_BLOCK + 2 * H];
    size_t have;      // samples in the buffers
    size_t measured;  // samples from here on not measured yet
    float peak;
    int finished;
};

cdsp_true_peak_meter *cdsp_true_peak_meter_create(void) {
    cdsp_true_peak_meter *m = calloc(1, sizeof(*m));
    if (!m) return NULL;
    m->buf[0] = calloc(METER_BLOCK + 3 * H, sizeof(float));
    m->buf[1] = calloc(METER_BLOCK + 3 * H, sizeof(float));
    if (!m->buf[0] || !m->buf[1]) {
        cdsp_true_peak_meter_destroy(m);
        return NULL;
    }
    cdsp_tp_filter_init(&m->f);
    m->have = H;
    m->measured = H;
    return m;
}

void cdsp_true_peak_meter_destroy(cdsp_true_peak_meter *m) {
    if (!m) return;
    free(m->buf[0]);
    free(m->buf[1]);
    free(m);
}

/// Measures every interval whose look-ahead is in the buffers (skipping, as channel_true_peak does, whole blocks
/// whose bound cannot beat the running peak), then keeps CDSP_TP_HALF measured samples of history.
static void meter_measure(cdsp_true_peak_meter *m) {
    if (m->have >= m->measured + H) {
        size_t count = m->have - H - m->measured;
        for (int c = 0; c < 2; c++) {
            const float *x = m->buf[c];
            for (size_t base = m->measured; base < m->measured + count; base += TP_BLOCK) {
                size_t n = m->measured + count - base < TP_BLOCK ? m->measured + count - base : TP_BLOCK;
                float bound = 0.0f;
                for (size_t i = base - (H - 1); i < base + n + H; i++) bound = maxf(bound, fabsf(x[i]));
                if (bound * m->f.l1 <= m->peak && bound <= m->peak) continue;
                cdsp_tp_interval_peaks(&m->f, x + base, n, m->out);
                for (size_t i = 0; i < n; i++) m->peak = maxf(m->peak, m->out[i]);
            }
        }
        m->measured += count;
    }
    size_t keep_from = m->measured - H;
    for (int c = 0; c < 2; c++) memmove(m->buf[c], m->buf[c] + keep_from, (m->have - keep_from) * sizeof(float));
    m->have -= keep_from;
    m->measured -= keep_from;
}

cdsp_status cdsp_true_peak_meter_add(cdsp_true_peak_meter *m, const float *left, const float *right, size_t frames) {
    if (!m || m->finished || (frames > 0 && !left)) return CDSP_ERR_ARGUMENT;
    const float *in[2] = {left, right ? right : left};
    for (size_t done = 0; done < frames;) {
        size_t n = frames - done < METER_BLOCK ? frames - done : METER_BLOCK;
        for (int c = 0; c < 2; c++) memcpy(m->buf[c] + m->have, in[c] + done, n * sizeof(float));
        m->have += n;
        done += n;
        meter_measure(m);
    }
    return CDSP_OK;
}

cdsp_status cdsp_true_peak_meter_finish(cdsp_true_peak_meter *m, double *dbtp) {
    if (!m || !dbtp) return CDSP_ERR_ARGUMENT;
    if (!m->finished) {
        for (int c = 0; c < 2; c++) memset(m->buf[c] + m->have, 0, H * sizeof(float));
        m->have += H;
        meter_measure(m);
        m->finished = 1;
    }
    *dbtp = m->peak > 0.0f ? 20.0 * log10((double)m->peak) : -INFINITY;
    return CDSP_OK;
}

/// Streams the file through the meter, a block at a time.
cdsp_status cdsp_audio_file_true_peak(const char *path, double *dbtp) {
    enum { FILE_BLOCK = 16384 };
    if (!path || !dbtp) return CDSP_ERR_ARGUMENT;
    int rate = 0, channels = 0;
    cdsp_status status = CDSP_OK;
    cdsp_audio_reader *r = cdsp_audio_reader_open(path, &rate, &channels, &status);
    if (!r) return status;
    float *left = malloc(sizeof(float) * FILE_BLOCK), *right = malloc(sizeof(float) * FILE_BLOCK);
    cdsp_true_peak_meter *m = cdsp_true_peak_meter_create();
    if (!left || !right || !m) {
        free(left);
        free(right);
        cdsp_true_peak_meter_destroy(m);
        cdsp_audio_reader_close(r);
        return CDSP_ERR_MEMORY;
    }
    for (;;) {
        size_t got = cdsp_audio_reader_read(r, left, right, FILE_BLOCK, &status);
        if (status != CDSP_OK || got == 0) break;
        cdsp_true_peak_meter_add(m, left, channels < 2 ? left : right, got);
    }
    if (status == CDSP_OK) status = cdsp_true_peak_meter_finish(m, dbtp);
    free(left);
    free(right);
    cdsp_true_peak_meter_destroy(m);
    cdsp_audio_reader_close(r);
    return status;
}
