// Effects, dynamics, mixing, loudness measurement and resampling. All stereo objects process planar buffers
// in place: (float *left, float *right, size_t frames).
#ifndef CDSP_FX_H
#define CDSP_FX_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- Biquad EQ (RBJ cookbook), mono; use two for stereo ---------------------------------------------------------
typedef enum {
    CDSP_EQ_LOWPASS = 0, CDSP_EQ_HIGHPASS = 1, CDSP_EQ_PEAK = 2, CDSP_EQ_LOWSHELF = 3, CDSP_EQ_HIGHSHELF = 4,
    CDSP_EQ_BANDPASS = 5,
} cdsp_eq_kind;
typedef struct cdsp_biquad cdsp_biquad;
cdsp_biquad *cdsp_biquad_create(float sample_rate);
void cdsp_biquad_destroy(cdsp_biquad *f);
void cdsp_biquad_set(cdsp_biquad *f, cdsp_eq_kind kind, float frequency, float q, float gain_db);
void cdsp_biquad_reset(cdsp_biquad *f);
void cdsp_biquad_process(cdsp_biquad *f, float *inout, size_t frames);
/// Magnitude response in dB of the filter as set, at `frequency` Hz.
double cdsp_biquad_response_db(const cdsp_biquad *f, double frequency);
/// A stereo cascade in place: `left_filters[k]` over left and `right_filters[k]` over right for k < count, block by
/// block, the two channels in one loop (twice the speed of running the filters one after another over each channel).
/// Each pair must be set alike: the coefficients are read from the left filter; each keeps its own state.
void cdsp_biquad_cascade_stereo(cdsp_biquad *const *left_filters, cdsp_biquad *const *right_filters, int count,
                                float *left, float *right, size_t frames);

// --- Long-term average spectrum in bands ------------------------------------------------------------------------
/// Mean power of left and right (right may be NULL for mono) in `bands` bands, band b spanning
/// [edges[b], edges[b + 1]) Hz, written to out_db[b] in dB (power summed over the band's FFT bins, averaged over
/// Hann-windowed 8192-point frames, every second one; a signal shorter than a frame is zero-padded to one). FFTW's
/// scalar plans, so the figures are the same bytes on every CPU. Returns 0, or -1 on bad arguments or no memory.
int cdsp_band_levels(const float *left, const float *right, size_t frames, float sample_rate, const float *edges,
                     int bands, double *out_db);

// --- Stereo reverb (Freeverb-style comb/allpass network or FDN), with pre-delay -----------------------------------
typedef struct cdsp_reverb cdsp_reverb;
cdsp_reverb *cdsp_reverb_create(float sample_rate);
void cdsp_reverb_destroy(cdsp_reverb *r);
/// size 0...1 (room to hall), damping 0...1 (bright to dark), width 0...1, predelay seconds (0...0.2).
void cdsp_reverb_set(cdsp_reverb *r, float size, float damping, float width, float predelay);
void cdsp_reverb_reset(cdsp_reverb *r);
/// Reads in_left/in_right (a send bus) and writes the 100%-wet result to out_left/out_right (overwrites).
void cdsp_reverb_process(cdsp_reverb *r, const float *in_left, const float *in_right, float *out_left,
                         float *out_right, size_t frames);

// --- Stereo delay (tempo-synced by the caller), optional ping-pong, damped feedback -------------------------------
typedef struct cdsp_delay cdsp_delay;
cdsp_delay *cdsp_delay_create(float sample_rate, float max_seconds);
void cdsp_delay_destroy(cdsp_delay *d);
void cdsp_delay_set(cdsp_delay *d, float time_seconds, float feedback /* 0...0.95 */, float damping /* 0...1 */,
                    int ping_pong);
void cdsp_delay_reset(cdsp_delay *d);
/// 100%-wet output of the send bus, like the reverb.
void cdsp_delay_process(cdsp_delay *d, const float *in_left, const float *in_right, float *out_left,
                        float *out_right, size_t frames);

// --- Chorus (modulated delays), in place, with dry/wet mix --------------------------------------------------------
typedef struct cdsp_chorus cdsp_chorus;
cdsp_chorus *cdsp_chorus_create(float sample_rate);
void cdsp_chorus_destroy(cdsp_chorus *c);
void cdsp_chorus_set(cdsp_chorus *c, float rate /* Hz */, float depth /* seconds, e.g. 0.003 */, float mix /* 0...1 */);
void cdsp_chorus_reset(cdsp_chorus *c);
void cdsp_chorus_process(cdsp_chorus *c, float *left, float *right, size_t frames);

// --- Compressor (feed-forward, soft knee, stereo-linked), optional external sidechain for ducking ----------------
typedef struct cdsp_compressor cdsp_compressor;
cdsp_compressor *cdsp_compressor_create(float sample_rate);
void cdsp_compressor_destroy(cdsp_compressor *c);
void cdsp_compressor_set(cdsp_compressor *c, float threshold_db, float ratio, float attack, float release,
                         float knee_db, float makeup_db);
void cdsp_compressor_reset(cdsp_compressor *c);
/// key_left/key_right NULL: the signal compresses itself; otherwise the key signal drives the gain (ducking).
void cdsp_compressor_process(cdsp_compressor *c, float *left, float *right, const float *key_left,
                             const float *key_right, size_t frames);

// --- True-peak limiter: 4x-oversampled peak detection, look-ahead, smooth release ---------------------------------
typedef struct cdsp_limiter cdsp_limiter;
cdsp_limiter *cdsp_limiter_create(float sample_rate, float lookahead_seconds);
void cdsp_limiter_destroy(cdsp_limiter *l);
void cdsp_limiter_set(cdsp_limiter *l, float ceiling_dbtp, float release_seconds);
void cdsp_limiter_reset(cdsp_limiter *l);
/// Latency in frames added by the look-ahead; the caller feeds `latency` frames of silence at the end and
/// discards the first `latency` frames of output.
size_t cdsp_limiter_latency(const cdsp_limiter *l);
void cdsp_limiter_process(cdsp_limiter *l, float *left, float *right, size_t frames);

// --- Loudness (ITU-R BS.1770-4): K-weighting, 400 ms blocks with 75% overlap, -70 LUFS absolute and -10 LU
// relative gates. True peak: 4x oversampling (polyphase FIR as in BS.1770 Annex 2). -------------------------------
/// Integrated loudness in LUFS of a stereo (right may equal left for mono... pass NULL for mono) signal.
/// Returns -INFINITY (as a double) in *lufs for silence.
cdsp_status cdsp_loudness_integrated(const float *left, const float *right, size_t frames, float sample_rate,
                                     double *lufs);
/// Maximum true peak in dBTP over both channels (right NULL for mono).
cdsp_status cdsp_true_peak(const float *left, const float *right, size_t frames, float sample_rate, double *dbtp);

// --- The same meters fed in pieces, for a song that is never whole in memory (issue 14). Each gives exactly the
// figure of its whole-buffer form over the concatenation of the pieces, whatever their sizes. Stereo. -------------
typedef struct cdsp_loudness_meter cdsp_loudness_meter;
cdsp_loudness_meter *cdsp_loudness_meter_create(float sample_rate);
void cdsp_loudness_meter_destroy(cdsp_loudness_meter *m);
cdsp_status cdsp_loudness_meter_add(cdsp_loudness_meter *m, const float *left, const float *right, size_t frames);
/// Integrated loudness (LUFS) of everything added so far, as cdsp_loudness_integrated; -INFINITY for silence.
double cdsp_loudness_meter_integrated(const cdsp_loudness_meter *m);

typedef struct cdsp_true_peak_meter cdsp_true_peak_meter;
cdsp_true_peak_meter *cdsp_true_peak_meter_create(void);
void cdsp_true_peak_meter_destroy(cdsp_true_peak_meter *m);
cdsp_status cdsp_true_peak_meter_add(cdsp_true_peak_meter *m, const float *left, const float *right, size_t frames);
/// Ends the signal (zeros after it, as cdsp_true_peak pads) and gives its true peak in dBTP (-INFINITY for
/// silence). Nothing may be added after.
cdsp_status cdsp_true_peak_meter_finish(cdsp_true_peak_meter *m, double *dbtp);

typedef struct cdsp_band_meter cdsp_band_meter;
cdsp_band_meter *cdsp_band_meter_create(float sample_rate, int channels);
void cdsp_band_meter_destroy(cdsp_band_meter *m);
/// right is ignored (may be NULL) for a one-channel meter.
int cdsp_band_meter_add(cdsp_band_meter *m, const float *left, const float *right, size_t frames);
/// Ends the signal and writes the band levels as cdsp_band_levels does. Nothing may be added after.
int cdsp_band_meter_finish(cdsp_band_meter *m, const float *edges, int bands, double *out_db);

// --- Mixing --------------------------------------------------------------------------------------------------------
/// ADDS mono `in` * gain into left/right with equal-power panning, pan -1 (left) ... +1 (right).
void cdsp_mix_add_panned(const float *in, size_t frames, float gain, float pan, float *left, float *right);
/// ADDS stereo in * gain into the bus.
void cdsp_mix_add_stereo(const float *in_left, const float *in_right, size_t frames, float gain, float *left,
                         float *right);
void cdsp_gain(float *inout, size_t frames, float gain);
float cdsp_peak(const float *in, size_t frames);
/// Root mean square of in[0..<frames].
float cdsp_rms(const float *in, size_t frames);
/// Removes DC with a 10 Hz one-pole high-pass, in place.
void cdsp_dc_block(float *inout, size_t frames, float sample_rate);
/// The same in pieces: `state` (two doubles, zero at the start of the signal) carries the filter from one piece
/// to the next.
void cdsp_dc_block_run(float *inout, size_t frames, float sample_rate, double state[2]);
/// Soft saturation y = tanh(drive*x)/tanh(drive), in place.
void cdsp_saturate(float *inout, size_t frames, float drive);

// --- Resampling over libsamplerate (SRC_SINC_MEDIUM_QUALITY), whole buffers -------------------------------------
/// Resamples `channels`-interleaved `in` by ratio = out_rate / in_rate into `out` (capacity out_capacity frames).
cdsp_status cdsp_resample(const float *in, size_t in_frames, int channels, double ratio, float *out,
                          size_t out_capacity, size_t *out_frames);
/// The same with libsamplerate's fastest sinc (SRC_SINC_FASTEST: 80% bandwidth, ~2x the speed of medium): for
/// sources that are band-limited well below their Nyquist anyway, such as 16 kHz speech going to 44.1 kHz.
cdsp_status cdsp_resample_fast(const float *in, size_t in_frames, int channels, double ratio, float *out,
                               size_t out_capacity, size_t *out_frames);

#ifdef __cplusplus
}
#endif
#endif
