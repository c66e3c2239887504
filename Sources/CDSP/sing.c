// Singing DSP: pitch marks of a flat-pitch source, the sung f0 curve, and TD-PSOLA through a time map. This is
// what turns flite's flat speech into a sung line (see cdsp_sing.h and docs/vocals.md).
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_sing.h"
#include "sing_internal.h"

// --- Pitch marks -----------------------------------------------------------------------------------------------------

/// Index of the largest s*x[i] for i in [lo, hi] (clamped to the signal), refined by a parabola through its
/// neighbours; returns -1 when the range is empty.
static double peak_in(const float *x, size_t frames, double lo, double hi, float s) {
    if (lo < 0) lo = 0;
    if (hi > (double)frames - 1) hi = (double)frames - 1;
    if (hi < lo) return -1;
    size_t a = (size_t)ceil(lo), b = (size_t)floor(hi);
    if (b < a) return -1;
    size_t best = a;
    float bestv = s * x[a];
    for (size_t i = a + 1; i <= b; i++) {
        float v = s * x[i];
        if (v > bestv) bestv = v, best = i;
    }
    double pos = (double)best;
    if (best > 0 && best + 1 < frames) {
        double ym = s * x[best - 1], y0 = s * x[best], yp = s * x[best + 1];
        double den = ym - 2 * y0 + yp;
        if (den < 0) {
            double d = 0.5 * (ym - yp) / den;
            if (d > -0.5 && d < 0.5) pos += d;
        }
    }
    return pos;
}

size_t cdsp_sing_pitch_marks(const float *x, size_t frames, float sample_rate, float source_f0,
                             const uint8_t *voiced, double *marks, uint8_t *mark_voiced, size_t capacity) {
    if (!x || !marks || frames == 0 || capacity == 0 || !(sample_rate > 0) || !(source_f0 > 0)) return 0;
    const double period = (double)sample_rate / (double)source_f0;
    // Polarity of the glottal peaks: the sign of the voiced samples' skew.
    double skew = 0;
    for (size_t i = 0; i < frames; i++) {
        if (voiced && !voiced[i]) continue;
        double v = x[i];
        skew += v * v * v;
    }
    const float s = skew >= 0 ? 1.0f : -1.0f;
    size_t count = 0;
    double last = -1;
    int last_voiced = 0;
    while (count < capacity) {
        double predicted = last < 0 ? 0 : last + period;
        if (predicted >= (double)frames) break;
        size_t idx = (size_t)predicted;
        int v = voiced ? voiced[idx] != 0 : 1;
        double mark = predicted;
        if (v) {
            double found;
            if (last_voiced) {
                found = peak_in(x, frames, predicted - 0.2 * period, predicted + 0.2 * period, s);
            } else {
                // First mark of a voiced stretch: the strongest peak of the next period, not before a half period
                // after the last (unvoiced) mark.
                double lo = last < 0 ? 0 : last + 0.5 * period;
                found = peak_in(x, frames, lo, lo + period, s);
            }
            if (found >= 0) mark = found;
        }
        if (last >= 0 && mark <= last) mark = last + 0.5 * period;
        if (mark >= (double)frames) break;
        marks[count] = mark;
        if (mark_voiced) mark_voiced[count] = (uint8_t)v;
        count++;
        last = mark;
        last_voiced = v;
    }
    return count;
}

// --- f0 curve --------------------------------------------------------------------------------------------------------

void cdsp_sing_style_default(cdsp_sing_style *style) {
    if (!style) return;
    style->glide_duration = 0.07f;
    style->legato_gap = 0.12f;
    style->overshoot_cents = 15.0f;
    style->vibrato_rate = 5.5f;
    style->vibrato_cents = 40.0f;
    style->vibrato_delay = 0.15f;
    style->vibrato_attack = 0.25f;
    style->fluctuation_cents = 6.0f;
    style->seed = 0;
}

#define F0_CURVE_STEP 16

// One note's vibrato: rate (Hz), depth (cents) and onset (samples after the note's start).
typedef struct {
    double rate, cents, delay;
} vibrato_shape;

// Rate within +-0.3 Hz of the style's; depth +-25% of the style's, scaled by the note's length (0.4x at 0.3 s,
// the style's depth at about 1 s, up to 1.2x); onset 0.8-1.2x the style's delay plus up to 0.1 s on long notes.
static vibrato_shape note_vibrato(const cdsp_sing_note *note, const cdsp_sing_style *style, double sr, cdsp_rng *rng) {
    const double seconds = (note->end - note->start) / sr;
    vibrato_shape v;
    v.rate = style->vibrato_rate + 0.3 * cdsp_rng_bipolar(rng);
    const double by_length = fmin(1.2, fmax(0.4, 0.4 + (seconds - 0.3) * 0.8));
    v.cents = style->vibrato_cents * (1.0 + 0.25 * cdsp_rng_bipolar(rng)) * by_length;
    v.delay = (style->vibrato_delay * (1.0 + 0.2 * cdsp_rng_bipolar(rng)) + 0.1 * fmin(1.0, seconds)) * sr;
    return v;
}

static double smoothstep(double u) {
    if (u <= 0) return 0;
    if (u >= 1) return 1;
    return u * u * (3 - 2 * u);
}

cdsp_status cdsp_sing_f0_curve(const cdsp_sing_note *notes, size_t note_count, const cdsp_sing_style *style,
                               float sample_rate, float *f0, size_t frames) {
    if (!notes || note_count == 0 || !style || !f0 || !(sample_rate > 0)) return CDSP_ERR_ARGUMENT;
    for (size_t n = 0; n < note_count; n++) {
        if (!(notes[n].end > notes[n].start)) return CDSP_ERR_ARGUMENT;
        if (n > 0 && notes[n].start < notes[n - 1].start) return CDSP_ERR_ARGUMENT;
    }
    const double sr = sample_rate;
    const double glide = fmax(1.0, style->glide_duration * sr);
    const double legato = style->legato_gap * sr;
    const double hold = 0.03 * sr, step = 0.02 * sr;
    cdsp_rng rng;
    cdsp_rng_seed(&rng, style->seed);
    // Fluctuation: random values every 50 ms, joined by raised-cosine segments.
    const double knot = 0.05 * sr;
    double fa = cdsp_rng_bipolar(&rng), fb = cdsp_rng_bipolar(&rng);
    double next_knot = knot;
    cdsp_rng vib_rng;
    cdsp_rng_seed(&vib_rng, style->seed ^ 0x5eed5eedULL);

    size_t n = 0;  // the note that owns the current sample
    // Where note n's transition starts (from note n-1) and how long it is.
    double t0 = -1e300, len = glide;
    // Expression per note: the vibrato's rate, depth and onset vary from note to note (a long note blooms later
    // and deeper, a short one barely shakes), and a legato glide takes longer over a wider interval.
    vibrato_shape vib = note_vibrato(&notes[0], style, sr, &vib_rng), prev_vib = vib;
    int legato_move = 0;
    // The curve is computed exactly every F0_CURVE_STEP samples (and at the last one) and joined linearly between:
    // at 44.1 kHz that is every 0.36 ms, where a 5.5 Hz vibrato's phase moves 0.0125 rad (a linear join is off by
    // about 0.001 cent) and a 70 ms glide by 0.5% of its length; pitch jumps only happen in rests, where a 16-sample
    // ramp is not heard. Three transcendental calls per sample were a third of the vocal retune's time.
    size_t prev_i = 0;
    float prev_f0 = 0;
    for (size_t i = 0; i < frames;) {
        double t = (double)i;
        // Advance to the next note once its transition has begun.
        while (n + 1 < note_count) {
            const cdsp_sing_note *a = &notes[n], *b = &notes[n + 1];
            double gap = b->start - a->end;
            double start, l;
            int leg = gap < legato;
            if (leg) {
                l = glide * fmin(2.0, 0.6 + 0.2 * fabs(b->pitch - a->pitch));
                start = fmax(a->start, b->start - 0.25 * l);
            } else {
                start = a->end + hold;
                l = step;
            }
            if (t < start) break;
            n++;
            t0 = start;
            len = l;
            legato_move = leg;
            prev_vib = vib;
            vib = note_vibrato(b, style, sr, &vib_rng);
        }
        const cdsp_sing_note *cur = &notes[n];
        double pitch = cur->pitch;
        if (n > 0) {
            double prev = notes[n - 1].pitch;
            double u = (t - t0) / len;
            pitch = prev + (cur->pitch - prev) * smoothstep(u);
            // The previous note's vibrato fades out over the move instead of stopping dead.
            double pvt = t - (notes[n - 1].start + prev_vib.delay);
            if (u < 1 && pvt > 0 && prev_vib.cents > 0) {
                double grow = style->vibrato_attack > 0 ? fmin(1.0, pvt / (style->vibrato_attack * sr)) : 1.0;
                pitch += (1 - smoothstep(u)) * grow * prev_vib.cents / 100.0 * sin(2 * M_PI * prev_vib.rate * pvt / sr);
            }
            if (legato_move && u > 0.5 && u < 2.0) {
                double interval = cur->pitch - prev;
                double dir = interval > 0 ? 1 : (interval < 0 ? -1 : 0);
                double scale = fmin(1.0, fabs(interval) / 2.0);
                pitch += dir * scale * style->overshoot_cents / 100.0 * sin(M_PI * (u - 0.5) / 1.5);
            }
        }
        // Vibrato from the delay on, growing over the attack.
        double vt = t - (cur->start + vib.delay);
        if (vt > 0 && vib.cents > 0) {
            double grow = style->vibrato_attack > 0 ? fmin(1.0, vt / (style->vibrato_attack * sr)) : 1.0;
            pitch += grow * vib.cents / 100.0 * sin(2 * M_PI * vib.rate * vt / sr);
        }
        // Fine fluctuation.
        if (t >= next_knot) {
            fa = fb;
            fb = cdsp_rng_bipolar(&rng);
            next_knot += knot;
        }
        double fu = 1.0 - (next_knot - t) / knot;
        double fl = fa + (fb - fa) * (0.5 - 0.5 * cos(M_PI * fu));
        pitch += style->fluctuation_cents / 100.0 * fl;
        float value = (float)(440.0 * pow(2.0, (pitch - 69.0) / 12.0));
        f0[i] = value;
        if (i > prev_i) {
            const double d = (double)(i - prev_i);
            for (size_t j = prev_i + 1; j < i; j++)
                f0[j] = (float)(prev_f0 + (value - prev_f0) * ((double)(j - prev_i) / d));
        }
        prev_i = i;
        prev_f0 = value;
        if (i + 1 == frames) break;
        i = i + F0_CURVE_STEP < frames ? i + F0_CURVE_STEP : frames - 1;
    }
    return CDSP_OK;
}

// --- TD-PSOLA --------------------------------------------------------------------------------------------------------

struct cdsp_psola {
    double sample_rate;
    double period;
};

cdsp_psola *cdsp_psola_create(float sample_rate, float source_f0) {
    if (!(sample_rate >= 4000 && sample_rate <= 192000) || !(source_f0 >= 40 && source_f0 <= 1000)) return NULL;
    cdsp_psola *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->sample_rate = sample_rate;
    p->period = (double)sample_rate / (double)source_f0;
    return p;
}

void cdsp_psola_destroy(cdsp_psola *p) { free(p); }

static inline double src_at(const float *src, size_t frames, double pos) {
    if (pos < 0) return 0;
    size_t i = (size_t)pos;
    if (i + 1 >= frames) return i < frames ? src[i] : 0;
    double f = pos - (double)i;
    return src[i] + f * (src[i + 1] - src[i]);
}

cdsp_status cdsp_psola_process(cdsp_psola *p, const float *src, size_t src_frames, const double *marks,
                               const uint8_t *mark_voiced, size_t mark_count, const double *map_out,
                               const double *map_src, size_t knot_count, const float *f0, float *out,
                               size_t out_frames) {
    if (!p || !src || !marks || mark_count == 0 || !map_out || !map_src || knot_count == 0 || !out)
        return CDSP_ERR_ARGUMENT;
    if (!cdsp_map_is_ordered(map_out, knot_count)) return CDSP_ERR_ARGUMENT;
    memset(out, 0, out_frames * sizeof(float));
    const double P = p->period;
    const double sr = p->sample_rate;
    const double dw = M_PI / P;
    size_t knot = 0;
    double t = 0;
    while (t < (double)out_frames + P) {
        // Source time of this synthesis mark.
        double tau = cdsp_map_time(map_out, map_src, knot_count, t, &knot);
        // The analysis marks around tau: in voiced stretches the grain blends the two (by where tau lies between
        // them), so a slowly advancing time map glides through the source instead of jumping period by period;
        // unvoiced grains come from the nearest mark alone (blending noise would lower its level).
        size_t lo = 0, hi = mark_count - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (marks[mid] < tau) lo = mid + 1; else hi = mid;
        }
        size_t k = lo;
        if (k > 0 && fabs(marks[k - 1] - tau) <= fabs(marks[k] - tau)) k--;
        const int voiced = mark_voiced ? mark_voiced[k] != 0 : 1;
        size_t k0 = k, k1 = k;
        double alpha = 0;
        if (voiced) {
            k0 = marks[k] <= tau ? k : (k > 0 ? k - 1 : k);
            k1 = k0 + 1 < mark_count ? k0 + 1 : k0;
            int both = !mark_voiced || (mark_voiced[k0] && mark_voiced[k1]);
            if (!both || k1 == k0 || tau <= marks[k0]) {
                k0 = k1 = k;
            } else {
                alpha = (tau - marks[k0]) / (marks[k1] - marks[k0]);
                if (alpha > 1) alpha = 1;
            }
        }
        const double m0 = marks[k0], m1 = marks[k1];
        size_t ti = t < 0 ? 0 : (size_t)(t + 0.5);
        if (ti >= out_frames) ti = out_frames ? out_frames - 1 : 0;
        double target = (out_frames && f0) ? f0[ti] : 0;
        double hop = (voiced && target > 0) ? sr / target : P;
        double gain = sqrt(hop / P);
        // Grain: src[m + x] * Hann(x / P) for x in (-P, P), added at t + x.
        double jlo = ceil(t - P), jhi = floor(t + P);
        if (jlo < 0) jlo = 0;
        if (jhi > (double)out_frames - 1) jhi = (double)out_frames - 1;
        if (jhi >= jlo) {
            double x0 = jlo - t;
            // cos/sin of the window phase, rotated sample by sample.
            double c = cos(dw * x0), s = sin(dw * x0);
            const double cd = cos(dw), sd = sin(dw);
            const double g0 = gain * (1 - alpha), g1 = gain * alpha;
            for (size_t j = (size_t)jlo; j <= (size_t)jhi; j++) {
                double x = (double)j - t;
                double w = 0.5 + 0.5 * c;
                double v = g0 * src_at(src, src_frames, m0 + x);
                if (g1 != 0) v += g1 * src_at(src, src_frames, m1 + x);
                out[j] += (float)(w * v);
                double nc = c * cd - s * sd;
                s = s * cd + c * sd;
                c = nc;
            }
        }
        t += hop;
    }
    return CDSP_OK;
}

// --- Gate -------------------------------------------------------------------------------------------------------------

/// Gain of the gate at sample i: the largest over the spans (spans are few, a line's phrases).
static double gate_gain(double i, const double *starts, const double *ends, size_t count, double fade) {
    double g = 0;
    for (size_t k = 0; k < count && g < 1; k++) {
        double a = starts[k], b = ends[k], v;
        if (i >= a && i <= b) v = 1;
        else if (i < a && i > a - fade) v = 0.5 - 0.5 * cos(M_PI * (i - (a - fade)) / fade);
        else if (i > b && i < b + fade) v = 0.5 + 0.5 * cos(M_PI * (i - b) / fade);
        else v = 0;
        if (v > g) g = v;
    }
    return g;
}

void cdsp_sing_gate(float *x, size_t frames, const double *starts, const double *ends, size_t count, double fade) {
    if (!x) return;
    if (!starts || !ends || count == 0) {
        memset(x, 0, frames * sizeof(float));
        return;
    }
    if (!(fade > 0)) fade = 1;
    for (size_t i = 0; i < frames; i++) x[i] *= (float)gate_gain((double)i, starts, ends, count, fade);
}
