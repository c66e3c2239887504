// Pitch shifting with independent formant control (mono). A phase vocoder (2048-point frames at 44.1/48 kHz,
// 4x overlap, zero-phase windows) moves each spectral peak's region to the peak's moved frequency (whole bins plus
// an interpolated fraction) and sets the exact new frequency through the phase advance (identity phase locking
// around peaks, phases reset at detected onsets). Formants: the spectral envelope (peak-held log spectrum
// smoothed by a cepstral lifter at 0.9...1.05 of the f0 period, f0 from a YIN-style estimator) is divided out of
// the moved fine structure and reapplied, warped by the formant ratio.
#ifndef CDSP_SHIFT_H
#define CDSP_SHIFT_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cdsp_shifter cdsp_shifter;

/// Sample rates 8000...192000 Hz. Returns NULL on a bad rate or when memory runs out. The FFT plans are made
/// once per frame size under a global lock (FFTW_ESTIMATE, so the output bytes do not depend on timing) and
/// shared; distinct shifters may run on distinct threads at once.
cdsp_shifter *cdsp_shifter_create(float sample_rate);
void cdsp_shifter_destroy(cdsp_shifter *s);
/// pitch_semitones: -24...24, how far the pitch moves. formant_semitones: -24...24, how far the spectral
/// envelope moves relative to the input: 0 keeps the formants (natural voice), pitch_semitones gives a plain
/// shift with the formants following the pitch (no envelope work is done then). Takes effect at the next frame.
cdsp_status cdsp_shifter_set(cdsp_shifter *s, float pitch_semitones, float formant_semitones);
/// Clears all history; the next sample is treated as the start of a new signal.
void cdsp_shifter_reset(cdsp_shifter *s);
/// Fixed delay in samples between input and output: one frame (2048 at 44.1/48 kHz).
size_t cdsp_shifter_latency(const cdsp_shifter *s);
/// Streams `frames` samples through; `in` and `out` may be the same buffer. Never allocates.
void cdsp_shifter_process(cdsp_shifter *s, const float *in, size_t frames, float *out);
/// Pushes out `frames` samples of what is still held inside, as if `frames` samples of silence came in: after the
/// last input, `cdsp_shifter_latency` samples of flush (in any number of calls) bring out every input sample.
/// Never allocates.
void cdsp_shifter_flush(cdsp_shifter *s, size_t frames, float *out);

/// Whole-buffer helper: shifts `in` into `out` (both `frames` long, may alias) with the latency removed, so
/// out[i] lines up with in[i].
cdsp_status cdsp_pitch_shift(const float *in, size_t frames, float sample_rate, float pitch_semitones,
                             float formant_semitones, float *out);

/// Vibrato laid over the shift: the pitch ratio swings by +-depth_cents (peak deviation, 0...200) at rate_hz
/// (0...20), a sine starting at phase 0 at reset, updated once per hop (every 11.6 ms at 44.1 kHz). Depth 0: none.
/// The formants stay where cdsp_shifter_set put them (unless formants follow the pitch).
cdsp_status cdsp_shifter_set_vibrato(cdsp_shifter *s, float rate_hz, float depth_cents);
/// Breath: aspiration noise added in the spectrum, shaped by the output's spectral envelope (so it follows the
/// vowel and the level of the voice), weighted towards high frequencies (f^2 / (f^2 + 500^2)). level 0...1: at 1 the
/// noise between two harmonics carries about as much power as a harmonic. The noise comes from a generator
/// seeded by `seed`; reset restarts it, so the same input and settings give the same bytes.
cdsp_status cdsp_shifter_set_breath(cdsp_shifter *s, float level, uint64_t seed);

#ifdef __cplusplus
}
#endif
#endif
