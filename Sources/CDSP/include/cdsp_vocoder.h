// A mel-cepstral vocoder for singing (mono): plays a clustergen voice's parameter frames (f0 voicing, mel-cepstrum,
// mixed-excitation band strengths) along a time map at the output rate, with the pitch taken from an f0 curve.
//
// The sound is the one flite's MLSA vocoder makes from the same frames (pulse train of unit power at f0 plus
// binary noise, each shaped by the band strengths, through exp(sum c_m z~^-m) with the all-pass warp alpha and
// the voice's postfilter beta), built in the frequency domain instead of sample by sample: every 5 ms hop the
// minimum-phase response is evaluated from the interpolated mel-cepstrum on the FFT bins below the voice's band
// edge, the hop's noise (two grains of a bank of precomputed noise spectra) and the pulses that fall in it are
// filtered by it, and one inverse real FFT is overlap-added: an exact time-varying convolution, no windows. The
// formant shift reads the envelope at f / 2^(semitones / 12). Nothing is resampled: the voice's 16 kHz spectrum is
// synthesised at the output rate, silent above its band edge.
#ifndef CDSP_VOCODER_H
#define CDSP_VOCODER_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/// A voice's vocoder constants (flite's cst_cg_db for the clustergen voices).
typedef struct {
    float source_rate;            ///< rate the parameters describe, Hz (16000)
    float frame_shift;            ///< seconds between parameter frames (0.005)
    float alpha;                  ///< mel-cepstral all-pass constant (0.42 at 16 kHz)
    float beta;                   ///< postfilter emphasis of the cepstrum above c1, energy kept (0: none)
    float gain;                   ///< output gain on flite's 16-bit scale (1 when 0)
    int bands;                    ///< mixed-excitation bands (0: plain pulse or noise excitation)
    int band_taps;                ///< taps of each band's FIR filter (designed at source_rate)
    const double *band_filters;   ///< bands * band_taps taps, band after band; NULL when bands is 0
} cdsp_vocoder_voice;

typedef struct cdsp_vocoder cdsp_vocoder;

/// A vocoder for `voice` whose frames have `channels` values each (channel 0 the source f0, only its sign used
/// for voicing; channels 1 ... channels - 1 the mel-cepstrum from c0), rendering at `out_rate` (8000...192000 Hz)
/// with the formants moved by `formant_semitones` (-12...12). The tables are built here. NULL on bad arguments
/// or no memory.
cdsp_vocoder *cdsp_vocoder_create(const cdsp_vocoder_voice *voice, int channels, float out_rate,
                                  float formant_semitones);
void cdsp_vocoder_destroy(cdsp_vocoder *v);

/// Renders `out_frames` samples (overwritten). `frames` holds `frame_count` frames of the create call's `channels`
/// values; `strengths` frame_count * voice.bands band strengths (NULL when bands is 0). Output sample t plays the
/// source at the time map's value: piecewise linear through (map_out[i] output samples -> map_src[i] source
/// seconds), map_out non-decreasing, held before the first knot and after the last; parameters are interpolated
/// between the two nearest frames, voicing taken from the nearer. Where that frame is voiced and f0[t] > 0 the
/// pulses follow f0 (Hz per output sample). The noise is seeded by `seed`: same arguments, same samples.
cdsp_status cdsp_vocoder_render(cdsp_vocoder *v, const float *frames, size_t frame_count, const float *strengths,
                                const double *map_out, const double *map_src, size_t knot_count, const float *f0,
                                uint64_t seed, float *out, size_t out_frames);

#ifdef __cplusplus
}
#endif
#endif
