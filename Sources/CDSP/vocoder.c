// The mel-cepstral singing vocoder: see cdsp_vocoder.h for the method. Tables (warped-frequency cosines and sines
// per bin, the band filters' amplitudes per bin, the band-edge taper) are built at create time; a render allocates
// one accumulation buffer and nothing per hop.
#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_vocoder.h"
#include "fft_internal.h"
#include "sing_internal.h"

#define VOC_MAX_CHANNELS 64
#define VOC_MAX_BANDS 16
#define VOC_HOP_SECONDS 0.005   // a flite frame (3 ms: the same words heard on the tune set, 25% slower)
#define VOC_FFT_SECONDS 0.02    // 1024 points at 44.1/48 kHz: 3 ms lead + 5 ms hop + 15 ms of tail before wrapping
#define VOC_TAPER 0.06          // raised-cosine fade over the top 6% of the band
#define VOC_BANK 64             // noise segments in the bank (see noise_bank)
#define VOC_BANKS 8             // (size, hop) pairs the process keeps banks for

struct cdsp_vocoder {
    float rate, src_rate, shift, alpha, beta, gain;
    int order;       // mel-cepstral order m: coefficients c0 ... cm, cm = 0 (as flite's vocoder)
    int bands;
    int n, log2n, hop, bins;  // FFT size, hop, bins below the band edge
    float *cosm, *sinm;       // (order + 1) x bins: cos / sin(m * warped frequency of bin k), m-major so that
                              // the envelope sums run along the bins (vectorised)
    float *twiddle;           // 2n: cos, sin of -2 pi j / n, the pulses' delays
    float *re1, *re2, *im2, *wp, *wn;  // bins each: per-hop work
    float *band_amp;          // bands x bins: each band filter's zero-phase amplitude at bin k
    float *taper;             // bins
    float *time;              // n, fftwf_malloc'd
    fftwf_complex *spec, *noise;
    const cdsp_fft_plans *plans;
    const float *bank;        // VOC_BANK spectra of n / 2 + 1 bins (re, im): see noise_bank
};

// The hop's noise without a forward FFT per hop: the spectra of VOC_BANK fixed binary noise segments (one hop long,
// at the hop buffer's lead, unit variance) are made once per FFT size and hop, and each hop sums two of them drawn
// by the render's seeded generator, with random signs, over sqrt 2: white, unit variance, 16384 combinations of
// hop-long grains, so nothing repeats audibly, for half of the FFTs (the vocoder 1.5x faster).
typedef struct {
    int log2n, hop;
    float *spectra;
} noise_bank_entry;

static pthread_mutex_t bank_lock = PTHREAD_MUTEX_INITIALIZER;
static noise_bank_entry banks[VOC_BANKS];

static const float *noise_bank(int log2n, int hop, const cdsp_fft_plans *plans) {
    pthread_mutex_lock(&bank_lock);
    const float *found = NULL;
    for (int b = 0; b < VOC_BANKS && !found; b++) {
        if (banks[b].spectra && banks[b].log2n == log2n && banks[b].hop == hop) found = banks[b].spectra;
    }
    for (int b = 0; b < VOC_BANKS && !found; b++) {
        if (banks[b].spectra) continue;
        int n = 1 << log2n, lead = n / 8, bins = n / 2 + 1;
        float *spectra = malloc((size_t)VOC_BANK * (size_t)bins * 2 * sizeof(float));
        float *time = fftwf_malloc((size_t)n * sizeof(float));
        fftwf_complex *spec = fftwf_malloc((size_t)bins * sizeof(fftwf_complex));
        if (spectra && time && spec && lead + hop <= n) {
            cdsp_rng rng;
            cdsp_rng_seed(&rng, 0x6e6f697365ull);  // "noise": the bank is the same in every process
            for (int j = 0; j < VOC_BANK; j++) {
                memset(time, 0, (size_t)n * sizeof(float));
                for (int i = 0; i < hop; i++) time[lead + i] = (cdsp_rng_next(&rng) >> 63) ? 1.0f : -1.0f;
                fftwf_execute_dft_r2c(plans->r2c, time, spec);
                for (int k = 0; k < bins; k++) {
                    spectra[((size_t)j * (size_t)bins + (size_t)k) * 2] = spec[k][0];
                    spectra[((size_t)j * (size_t)bins + (size_t)k) * 2 + 1] = spec[k][1];
                }
            }
            banks[b] = (noise_bank_entry){log2n, hop, spectra};
            found = spectra;
        } else {
            free(spectra);
        }
        fftwf_free(time);
        fftwf_free(spec);
        break;
    }
    pthread_mutex_unlock(&bank_lock);
    return found;
}

void cdsp_vocoder_destroy(cdsp_vocoder *v) {
    if (!v) return;
    free(v->cosm);
    free(v->sinm);
    free(v->band_amp);
    free(v->taper);
    free(v->twiddle);
    free(v->re1);
    fftwf_free(v->time);
    fftwf_free(v->spec);
    fftwf_free(v->noise);
    free(v);
}

cdsp_vocoder *cdsp_vocoder_create(const cdsp_vocoder_voice *voice, int channels, float out_rate,
                                  float formant_semitones) {
    if (!voice || channels < 3 || channels > VOC_MAX_CHANNELS) return NULL;
    if (!(out_rate >= 8000.0f && out_rate <= 192000.0f)) return NULL;
    if (!(voice->source_rate >= 4000.0f && voice->source_rate <= 96000.0f)) return NULL;
    if (!(voice->frame_shift > 0.0005f && voice->frame_shift < 0.1f)) return NULL;
    if (!(fabsf(voice->alpha) < 0.99f) || !(voice->beta >= 0.0f && voice->beta < 2.0f)) return NULL;
    if (!(formant_semitones >= -12.0f && formant_semitones <= 12.0f)) return NULL;
    if (voice->bands < 0 || voice->bands > VOC_MAX_BANDS) return NULL;
    if (voice->bands > 0 && (!voice->band_filters || voice->band_taps < 1 || voice->band_taps > 1024)) return NULL;

    cdsp_vocoder *v = calloc(1, sizeof *v);
    if (!v) return NULL;
    v->rate = out_rate;
    v->src_rate = voice->source_rate;
    v->shift = voice->frame_shift;
    v->alpha = voice->alpha;
    v->beta = voice->beta;
    v->gain = voice->gain != 0.0f ? voice->gain : 1.0f;
    v->order = channels - 1;
    v->bands = voice->bands;
    v->log2n = 6;
    while ((float)(1 << v->log2n) < VOC_FFT_SECONDS * out_rate * 1.0001f && v->log2n < CDSP_FFT_MAX_LOG2) v->log2n++;
    v->n = 1 << v->log2n;
    v->hop = (int)lrintf((float)VOC_HOP_SECONDS * out_rate);
    if (v->hop < 8) v->hop = 8;
    v->plans = cdsp_fft_portable_plans_for(v->log2n);  // same bytes on every CPU
    v->bank = v->plans ? noise_bank(v->log2n, v->hop, v->plans) : NULL;

    // The band edge: the source's Nyquist frequency, moved with the formants when they go down.
    double ratio = pow(2.0, formant_semitones / 12.0);
    double edge = 0.5 * v->src_rate * (ratio < 1.0 ? ratio : 1.0);
    if (edge > 0.5 * out_rate) edge = 0.5 * out_rate;
    double bin_hz = out_rate / v->n;
    v->bins = (int)floor(edge / bin_hz);
    if (v->bins > v->n / 2) v->bins = v->n / 2;

    size_t m1 = (size_t)v->order + 1, b = (size_t)v->bins;
    v->cosm = malloc(b * m1 * sizeof(float));
    v->sinm = malloc(b * m1 * sizeof(float));
    v->taper = malloc(b * sizeof(float));
    v->twiddle = malloc(2 * (size_t)v->n * sizeof(float));
    v->re1 = malloc(5 * b * sizeof(float));  // re1, re2, im2, wp, wn in one block
    if (v->re1) {
        v->re2 = v->re1 + b;
        v->im2 = v->re2 + b;
        v->wp = v->im2 + b;
        v->wn = v->wp + b;
    }
    v->band_amp = v->bands ? malloc((size_t)v->bands * b * sizeof(float)) : NULL;
    v->time = fftwf_malloc((size_t)v->n * sizeof(float));
    v->spec = fftwf_malloc(((size_t)v->n / 2 + 1) * sizeof(fftwf_complex));
    v->noise = fftwf_malloc(((size_t)v->n / 2 + 1) * sizeof(fftwf_complex));
    if (!v->plans || !v->bank || !v->cosm || !v->sinm || !v->taper || !v->twiddle || !v->re1 ||
        (v->bands && !v->band_amp) || !v->time || !v->spec || !v->noise || v->bins < 2) {
        cdsp_vocoder_destroy(v);
        return NULL;
    }

    double a = v->alpha;
    for (int k = 0; k < v->bins; k++) {
        double f = k * bin_hz;
        // Source frequency whose envelope bin k carries, as a normalised angle, then warped by the all-pass.
        double w = 2.0 * M_PI * (f / ratio) / v->src_rate;
        double ww = w + 2.0 * atan(a * sin(w) / (1.0 - a * cos(w)));
        for (size_t m = 0; m < m1; m++) {
            v->cosm[m * b + (size_t)k] = (float)cos((double)m * ww);
            v->sinm[m * b + (size_t)k] = (float)sin((double)m * ww);
        }
        double u = f / edge, t0 = 1.0 - VOC_TAPER;
        v->taper[k] = u <= t0 ? 1.0f : (float)(0.5 + 0.5 * cos(M_PI * (u - t0) / VOC_TAPER));
        for (int j = 0; j < v->bands; j++) {
            // Linear-phase FIR: amplitude about its centre (the common delay of all bands is dropped).
            const double *h = voice->band_filters + (size_t)j * (size_t)voice->band_taps;
            double centre = 0.5 * (voice->band_taps - 1), sum = 0;
            double fs = f < 0.5 * v->src_rate ? f : 0.5 * v->src_rate;
            for (int i = 0; i < voice->band_taps; i++) sum += h[i] * cos(2.0 * M_PI * fs * (i - centre) / v->src_rate);
            v->band_amp[(size_t)j * b + (size_t)k] = (float)sum;
        }
    }
    for (int j = 0; j < v->n; j++) {
        v->twiddle[2 * j] = (float)cos(-2.0 * M_PI * j / v->n);
        v->twiddle[2 * j + 1] = (float)sin(-2.0 * M_PI * j / v->n);
    }
    return v;
}

/// The postfiltered mel-cepstrum `post` from `mc` (order m), as flite applies beta to the MLSA coefficients:
/// b = mc2b(mc); b1 -= beta * alpha * mc2; bk *= 1 + beta for k >= 2; back to the mel-cepstrum. c0 is fixed later
/// so that the energy is kept.
static void postfilter(const float *mc, int m, float alpha, float beta, float *post) {
    float b[VOC_MAX_CHANNELS];
    b[m] = mc[m];
    for (int k = m - 1; k >= 0; k--) b[k] = mc[k] - alpha * b[k + 1];
    if (m > 1) {
        b[1] -= beta * alpha * mc[2];
        for (int k = 2; k <= m; k++) b[k] *= 1.0f + beta;
    }
    post[m] = b[m];
    for (int k = m - 1; k >= 0; k--) post[k] = b[k] + alpha * b[k + 1];
}

cdsp_status cdsp_vocoder_render(cdsp_vocoder *v, const float *frames, size_t frame_count, const float *strengths,
                                const double *map_out, const double *map_src, size_t knot_count, const float *f0,
                                uint64_t seed, float *out, size_t out_frames) {
    if (!v || !frames || frame_count == 0 || !map_out || !map_src || knot_count == 0 || !f0 || !out) {
        return CDSP_ERR_ARGUMENT;
    }
    if (v->bands > 0 && !strengths) return CDSP_ERR_ARGUMENT;
    if (!cdsp_map_is_ordered(map_out, knot_count)) return CDSP_ERR_ARGUMENT;
    const int m = v->order, ch = m + 1, n = v->n, hop = v->hop, bins = v->bins, nb = v->bands;
    const size_t m1 = (size_t)m + 1;
    // Each hop's buffer starts `lead` samples before the hop: the band-limited response's small precursor (the
    // band edge makes it not quite causal) then lands before its pulse instead of wrapping round to the buffer's
    // end, where cutting it off clicked.
    const int lead = n / 8;
    float *acc = calloc(out_frames + (size_t)n + (size_t)lead, sizeof(float));
    if (!acc) return CDSP_ERR_MEMORY;

    cdsp_rng rng;
    cdsp_rng_seed(&rng, seed ^ 0x766f636f646572ull);  // "vocoder"
    const float noise_level = sqrtf(v->rate / v->src_rate);  // binary noise of flite's power per Hz
    const float scale = v->gain / 32768.0f / (float)n;       // flite's 16-bit scale; FFTW's inverse is unnormalised
    float mc[VOC_MAX_CHANNELS], post[VOC_MAX_CHANNELS], str[VOC_MAX_BANDS];
    double phase = 1.0;  // pulse phase in periods; a pulse when it reaches 1
    int was_voiced = 0;
    size_t knot = 0;

    for (size_t t0 = 0; t0 < out_frames; t0 += (size_t)hop) {
        size_t len = out_frames - t0 < (size_t)hop ? out_frames - t0 : (size_t)hop;
        double centre = (double)t0 + 0.5 * (double)len;
        double pos = cdsp_map_time(map_out, map_src, knot_count, centre, &knot) / v->shift;
        if (!(pos >= 0)) pos = 0;  // also NaN
        if (pos > (double)(frame_count - 1)) pos = (double)(frame_count - 1);
        size_t i0 = (size_t)pos, i1 = i0 + 1 < frame_count ? i0 + 1 : i0;
        float w = (float)(pos - (double)i0);
        const float *a0 = frames + i0 * (size_t)ch, *a1 = frames + i1 * (size_t)ch;
        for (int k = 0; k < m; k++) {
            float x = a0[k + 1] * (1 - w) + a1[k + 1] * w;
            mc[k] = x == x ? x : 0.0f;
        }
        mc[m] = 0.0f;
        for (int j = 0; j < nb; j++) {
            float x = strengths[i0 * (size_t)nb + (size_t)j] * (1 - w) + strengths[i1 * (size_t)nb + (size_t)j] * w;
            str[j] = x == x ? (x < 0 ? 0 : (x > 1 ? 1 : x)) : 0.0f;
        }
        const float *nearest = w < 0.5f ? a0 : a1;
        size_t mid = t0 + len / 2;
        int voiced = nearest[0] > 0 && f0[mid] > 0;
        if (v->beta > 0) {
            postfilter(mc, m, v->alpha, v->beta, post);
        } else {
            memcpy(post, mc, m1 * sizeof(float));
        }

        // The hop's noise (flite's is binary; here two binary grains of the bank, at flite's power per Hz) through
        // the noise weights; pulses added below.
        {
            uint64_t draw = cdsp_rng_next(&rng);
            const float *g1 = v->bank + (size_t)(draw & (VOC_BANK - 1)) * (size_t)(n / 2 + 1) * 2;
            const float *g2 = v->bank + (size_t)((draw >> 8) & (VOC_BANK - 1)) * (size_t)(n / 2 + 1) * 2;
            const float s1 = ((draw >> 62) & 1 ? 1.0f : -1.0f) * noise_level * (float)M_SQRT1_2;
            const float s2 = ((draw >> 63) & 1 ? 1.0f : -1.0f) * noise_level * (float)M_SQRT1_2;
            for (int k = 0; k < bins; k++) {
                v->noise[k][0] = s1 * g1[2 * k] + s2 * g2[2 * k];
                v->noise[k][1] = s1 * g1[2 * k + 1] + s2 * g2[2 * k + 1];
            }
        }

        // Envelope: log H = sum c_m e^{-j m w~} (plain and postfiltered), summed along the bins.
        float *restrict re1 = v->re1, *restrict re2 = v->re2, *restrict im2 = v->im2, *restrict wp = v->wp,
                        *restrict wn = v->wn;
        for (int k = 0; k < bins; k++) re1[k] = re2[k] = im2[k] = 0;
        for (size_t c = 0; c < m1; c++) {
            const float *restrict cs = v->cosm + c * (size_t)bins, *restrict sn = v->sinm + c * (size_t)bins;
            const float a = mc[c], p = post[c];
            for (int k = 0; k < bins; k++) {
                re1[k] += a * cs[k];
                re2[k] += p * cs[k];
                im2[k] -= p * sn[k];
            }
        }
        // Pulse and noise weights from the band strengths.
        if (nb > 0) {
            for (int k = 0; k < bins; k++) wp[k] = wn[k] = 0;
            for (int j = 0; j < nb; j++) {
                const float *restrict h = v->band_amp + (size_t)j * (size_t)bins;
                const float sp = str[j], sn = 1 - str[j];
                for (int k = 0; k < bins; k++) {
                    wp[k] += sp * h[k];
                    wn[k] += sn * h[k];
                }
            }
        } else {
            for (int k = 0; k < bins; k++) {
                wp[k] = voiced ? 1.0f : 0.0f;
                wn[k] = voiced ? 0.0f : 1.0f;
            }
        }
        // The energy of the postfiltered envelope is set to the plain one's (flite's b2en correction).
        float e_plain = 0, e_post = 0;
        for (int k = 0; k < bins; k++) {
            float plain = expf(re1[k]), amp = expf(re2[k]);
            e_plain += plain * plain;
            e_post += amp * amp;
            re2[k] = amp * v->taper[k];  // now |H|
        }
        float g = e_post > 0 ? sqrtf(e_plain / e_post) : 1.0f;
        // Under the fundamental of a voiced hop the voice has no harmonics, only the noise's share of the envelope.
        // A male speaker's envelope (rms) keeps his own low register there, so the noise hummed at 100-170 Hz under
        // a sung E4 and trackers read the note an octave low. Its weight fades in from half the f0 to 0.9 of it.
        if (voiced) {
            const float lo = 0.5f * f0[mid], hi = 0.9f * f0[mid], df = v->rate / (float)n;
            for (int k = 0; k < bins && k * df < hi; k++) {
                const float fk = k * df;
                wn[k] *= fk <= lo ? 0.0f : 0.5f - 0.5f * cosf((float)M_PI * (fk - lo) / (hi - lo));
            }
        }
        for (int k = 0; k < bins; k++) {
            float amp = re2[k], hr = amp * cosf(im2[k]), hi = amp * sinf(im2[k]);
            // H * pulse weight kept for the pulses; the noise's spectrum filtered in place.
            v->spec[k][0] = hr * wp[k];
            v->spec[k][1] = hi * wp[k];
            float nr = v->noise[k][0] * wn[k], ni = v->noise[k][1] * wn[k];
            v->noise[k][0] = nr * hr - ni * hi;
            v->noise[k][1] = nr * hi + ni * hr;
        }

        // Pulses of this hop: unit power at the f0 (amplitude sqrt(period) at the source rate, as flite's).
        if (voiced) {
            if (!was_voiced) phase = 1.0;
            for (size_t i = 0; i < len; i++) {
                double f = f0[t0 + i];
                if (phase >= 1.0) {
                    phase -= floor(phase);
                    float amp = (float)(v->rate / sqrt(v->src_rate * (f > 20 ? f : 20)));
                    // + amp * H(k) * P(k) * e^{-j 2 pi k d / n}, d the pulse's place in the hop's buffer
                    size_t d = i + (size_t)lead, mask = (size_t)n - 1;
                    for (int k = 0; k < bins; k++) {
                        size_t at = ((size_t)k * d) & mask;
                        float zr = amp * v->twiddle[2 * at], zi = amp * v->twiddle[2 * at + 1];
                        float sr = v->spec[k][0], si = v->spec[k][1];
                        v->noise[k][0] += sr * zr - si * zi;
                        v->noise[k][1] += sr * zi + si * zr;
                    }
                }
                phase += f / v->rate;
            }
        }
        was_voiced = voiced;
        for (int k = bins; k <= n / 2; k++) v->noise[k][0] = v->noise[k][1] = 0;
        fftwf_execute_dft_c2r(v->plans->c2r, v->noise, v->time);
        float s = scale * g;
        float *dst = acc + t0;  // acc[t0 + lead] is output sample t0
        for (int i = 0; i < n; i++) dst[i] += v->time[i] * s;
    }
    memcpy(out, acc + lead, out_frames * sizeof(float));
    free(acc);
    return CDSP_OK;
}
