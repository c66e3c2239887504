// Singing from speech (mono): a line spoken at a flat pitch is retimed onto notes and retuned by TD-PSOLA.
// Because the source pitch is flat, pitch marks are a period grid locked to the waveform's main peak per period;
// the f0 curve carries the sung ornaments (glides with a small overshoot, delayed vibrato, seeded fluctuation);
// the PSOLA follows a piecewise-linear map from output time to source time, so consonants can keep their length
// while vowels stretch to hold their notes.
#ifndef CDSP_SING_H
#define CDSP_SING_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- Pitch marks of a flat-f0 source --------------------------------------------------------------------------------
/// Places analysis marks on `x` (a source spoken at the flat pitch `source_f0`, Hz). In voiced samples
/// (`voiced[i]` != 0; NULL: all voiced) each mark sits on the largest peak (of the polarity that dominates the
/// voiced stretch) within +-20% of a period around the previous mark plus one period, so marks follow the glottal
/// epochs; in unvoiced samples marks are spaced one period apart. Writes at most `capacity` marks (sample
/// positions, ascending) to `marks` and their voicing to `mark_voiced` (may be NULL); returns how many were
/// written (frames / period + 2 always suffices). Allocates nothing.
size_t cdsp_sing_pitch_marks(const float *x, size_t frames, float sample_rate, float source_f0,
                             const uint8_t *voiced, double *marks, uint8_t *mark_voiced, size_t capacity);

// --- f0 curve from notes --------------------------------------------------------------------------------------------
/// One sung note: start and end in output samples, pitch as a (fractional) MIDI note number.
typedef struct {
    double start;
    double end;
    float pitch;
} cdsp_sing_note;

/// The ornaments of the sung pitch. cdsp_sing_style_default fills the values named in each comment.
typedef struct {
    float glide_duration;     ///< seconds a legato glide over a 2-semitone step takes (0.07); 0.6x + 0.2x per semitone of
                              ///< the interval, at most 2x
    float legato_gap;         ///< notes closer than this (seconds) are joined by a glide (0.12)
    float overshoot_cents;    ///< overshoot past the new note after a glide, decaying (15)
    float vibrato_rate;       ///< Hz (5.5); each note varies it by up to +-0.3 Hz, seeded
    float vibrato_cents;      ///< depth, +- cents (40); each note +-25%, scaled by its length (0.4x at 0.3 s, 1x near
                              ///< 1 s, at most 1.2x)
    float vibrato_delay;      ///< seconds from the note start before vibrato begins (0.15); each note +-20%, plus
                              ///< 0.1 s x its length up to 1 s
    float vibrato_attack;     ///< seconds over which vibrato grows to full depth (0.25)
    float fluctuation_cents;  ///< fine random drift, +- cents, smooth at ~10 Hz (6)
    uint64_t seed;            ///< seeds the fluctuation and the per-note vibrato rate and phase (0)
} cdsp_sing_style;

void cdsp_sing_style_default(cdsp_sing_style *style);

/// Writes the sung f0 in Hz for output samples 0 ..< frames. Notes must be sorted by start and not overlap.
/// Before the first note the curve holds the first note, after the last note the last one; in a rest longer
/// than the legato gap it holds the previous note for 30 ms and then the next note (onset consonants are sung on
/// the pitch they lead to). A legato move starts a quarter of the glide before the boundary. Allocates nothing.
cdsp_status cdsp_sing_f0_curve(const cdsp_sing_note *notes, size_t note_count, const cdsp_sing_style *style,
                               float sample_rate, float *f0, size_t frames);

// --- TD-PSOLA with a time map ---------------------------------------------------------------------------------------
typedef struct cdsp_psola cdsp_psola;

/// `source_f0`: the flat pitch of the sources this object will process (grains are two of its periods long,
/// Hann-windowed). Returns NULL on bad arguments (rate 4000...192000, f0 40...1000) or no memory.
cdsp_psola *cdsp_psola_create(float sample_rate, float source_f0);
void cdsp_psola_destroy(cdsp_psola *p);

/// Renders `out_frames` output samples (overwritten) from `src` with analysis marks `marks`/`mark_voiced`
/// (from cdsp_sing_pitch_marks). The time map is piecewise linear through the knots (map_out[i] -> map_src[i],
/// samples, map_out non-decreasing; two knots at the same output time make a jump); before the first knot and after
/// the last it is held. `f0[i]` is the target pitch at output sample i (Hz); where it is <= 0, or the nearest
/// mark is unvoiced, the grain keeps the source period. Grains are scaled by sqrt(new period / source period) so
/// the level does not follow the pitch. Voiced grains blend the two marks around the mapped source time. Lowering
/// by more than an octave leaves gaps between grains (hop > two source periods): speak near the notes' pitch.
/// Allocates nothing.
cdsp_status cdsp_psola_process(cdsp_psola *p, const float *src, size_t src_frames, const double *marks,
                               const uint8_t *mark_voiced, size_t mark_count, const double *map_out,
                               const double *map_src, size_t knot_count, const float *f0, float *out,
                               size_t out_frames);

// --- Gate -----------------------------------------------------------------------------------------------------------
/// Multiplies x by a gate that is 1 inside the spans [starts[i], ends[i]] (samples), 0 outside, with raised-cosine
/// ramps of `fade` samples just outside each span (overlapping ramps take the larger gain). Allocates nothing.
void cdsp_sing_gate(float *x, size_t frames, const double *starts, const double *ends, size_t count, double fade);

#ifdef __cplusplus
}
#endif
#endif
