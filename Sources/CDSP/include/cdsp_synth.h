// Sound sources: band-limited oscillators, noise, FM, plucked strings, envelopes, filters, and synthesised drums.
#ifndef CDSP_SYNTH_H
#define CDSP_SYNTH_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------------------------------------------------
// Primitives (each: create, set/reset, process a block, destroy)

typedef enum {
    CDSP_WAVE_SINE = 0,
    CDSP_WAVE_SAW = 1,      ///< band-limited (polyBLEP or better): no audible aliasing up to C8 at 44.1 kHz
    CDSP_WAVE_SQUARE = 2,   ///< band-limited pulse, width set by pulse_width
    CDSP_WAVE_TRIANGLE = 3, ///< band-limited (integrated BLEP square)
} cdsp_waveform;

typedef struct cdsp_osc cdsp_osc;
cdsp_osc *cdsp_osc_create(float sample_rate);
void cdsp_osc_destroy(cdsp_osc *osc);
void cdsp_osc_reset(cdsp_osc *osc, float phase);
void cdsp_osc_set(cdsp_osc *osc, cdsp_waveform waveform, float frequency, float pulse_width);
/// Writes `frames` samples (overwrites). `frequency_mod`, if not NULL, is a per-sample frequency multiplier.
void cdsp_osc_process(cdsp_osc *osc, const float *frequency_mod, float *out, size_t frames);

typedef enum { CDSP_NOISE_WHITE = 0, CDSP_NOISE_PINK = 1 } cdsp_noise_color;
typedef struct cdsp_noise cdsp_noise;
cdsp_noise *cdsp_noise_create(cdsp_noise_color color, uint64_t seed);
void cdsp_noise_destroy(cdsp_noise *noise);
void cdsp_noise_process(cdsp_noise *noise, float *out, size_t frames);

/// Linear-attack, exponential decay/release ADSR. Times in seconds, sustain 0...1.
typedef struct cdsp_adsr cdsp_adsr;
cdsp_adsr *cdsp_adsr_create(float sample_rate);
void cdsp_adsr_destroy(cdsp_adsr *env);
void cdsp_adsr_set(cdsp_adsr *env, float attack, float decay, float sustain, float release);
void cdsp_adsr_gate(cdsp_adsr *env, int on);   ///< 1 = note on (restart attack from current level), 0 = release
void cdsp_adsr_process(cdsp_adsr *env, float *out, size_t frames);
int cdsp_adsr_is_idle(const cdsp_adsr *env);

typedef enum { CDSP_SVF_LOWPASS = 0, CDSP_SVF_HIGHPASS = 1, CDSP_SVF_BANDPASS = 2, CDSP_SVF_NOTCH = 3 } cdsp_svf_mode;
/// Zero-delay-feedback state-variable filter (Simper/Cytomic form). `cutoff_mod`, if not NULL, is a per-sample
/// cutoff in Hz that overrides the set cutoff.
typedef struct cdsp_svf cdsp_svf;
cdsp_svf *cdsp_svf_create(float sample_rate);
void cdsp_svf_destroy(cdsp_svf *f);
void cdsp_svf_reset(cdsp_svf *f);
void cdsp_svf_set(cdsp_svf *f, cdsp_svf_mode mode, float cutoff, float resonance /* 0...1 */);
void cdsp_svf_process(cdsp_svf *f, const float *cutoff_mod, float *inout, size_t frames);

/// 4-pole transistor-ladder low-pass (Huovilainen-style, with tanh saturation).
typedef struct cdsp_ladder cdsp_ladder;
cdsp_ladder *cdsp_ladder_create(float sample_rate);
void cdsp_ladder_destroy(cdsp_ladder *f);
void cdsp_ladder_reset(cdsp_ladder *f);
void cdsp_ladder_set(cdsp_ladder *f, float cutoff, float resonance /* 0...1, self-oscillates near 1 */, float drive);
void cdsp_ladder_process(cdsp_ladder *f, const float *cutoff_mod, float *inout, size_t frames);

// ---------------------------------------------------------------------------------------------------------------
// Whole notes. Swift hands the core a note (pitch, velocity, length) and an instrument description; the core
// renders the note, release tail included, ADDING it into `out` (mono). Rendering is block-based inside.

typedef enum {
    CDSP_ENGINE_SUBTRACTIVE = 0, ///< two band-limited oscillators + sub + noise -> filter -> amp
    CDSP_ENGINE_FM = 1,          ///< 2-operator FM (electric piano, bells, mallets, FM bass)
    CDSP_ENGINE_PLUCK = 2,       ///< plucked string (Karplus-Strong with fractional delay, damping, body)
    CDSP_ENGINE_ADDITIVE = 3,    ///< organ/pad partials with per-partial decay (piano-ish and soft keys)
} cdsp_engine;

typedef enum { CDSP_FILTER_NONE = 0, CDSP_FILTER_SVF_LP = 1, CDSP_FILTER_LADDER = 2, CDSP_FILTER_SVF_BP = 3, CDSP_FILTER_SVF_HP = 4 } cdsp_filter_kind;

/// Everything that describes an instrument's sound. Plain old data shared with Swift. The defaults, ranges and
/// units of the float fields are the preset table's (cdsp_params.h), which the core clamps to; the per-field
/// comments below only say what each is.
typedef struct {
    int32_t engine;            ///< cdsp_engine
    int32_t wave1;             ///< cdsp_waveform of oscillator 1 (subtractive)
    int32_t wave2;             ///< cdsp_waveform of oscillator 2 (subtractive)
    float osc2_level;          ///< 0...1
    float osc2_detune;         ///< cents
    float osc2_octave;         ///< octaves (-2...2)
    float sub_level;           ///< 0...1, sine one octave down
    float noise_level;         ///< 0...1
    float pulse_width;         ///< 0.05...0.95
    float unison_detune;       ///< cents; >0 adds a detuned copy of each oscillator (supersaw-ish width)
    float fm_ratio;            ///< modulator/carrier frequency ratio (FM)
    float fm_index;            ///< peak modulation index (FM)
    float fm_index_decay;      ///< seconds for the index to fall to ~37% (FM brightness decay)
    float fm_feedback;         ///< 0...1 modulator self-feedback (FM)
    float pluck_damping;       ///< 0...1, higher = darker, shorter (pluck)
    float pluck_brightness;    ///< 0...1, excitation brightness (pluck)
    float additive_partials;   ///< number of partials 1...32 (additive)
    float additive_rolloff;    ///< partial amplitude ~ 1/n^rolloff (additive)
    float additive_decay;      ///< seconds; upper partials decay faster (piano-like when > 0, organ when 0)
    float stiffness;           ///< string stiffness B at middle C (additive): inharmonic, stretched partials
    float attack_noise;        ///< 0...1 onset noise burst (hammer, mallet, pick, chiff)
    float attack_noise_decay;  ///< seconds, time constant of that burst
    float movement_depth;      ///< octaves of slow brightness movement over a held note
    float movement_rate;       ///< Hz of that movement
    int32_t filter;            ///< cdsp_filter_kind
    float cutoff;              ///< Hz
    float resonance;           ///< 0...1
    float filter_env_amount;   ///< octaves the filter envelope opens the cutoff
    float key_tracking;        ///< 0...1: cutoff follows the note's frequency
    float velocity_to_cutoff;  ///< octaves at full velocity
    float drive;               ///< 1 = clean, >1 saturates (ladder drive / soft clip)
    float amp_attack, amp_decay, amp_sustain, amp_release;     ///< seconds, seconds, 0...1, seconds
    float filt_attack, filt_decay, filt_sustain, filt_release; ///< seconds, seconds, 0...1, seconds
    float vibrato_rate;        ///< Hz
    float vibrato_depth;       ///< cents
    float vibrato_delay;       ///< seconds before vibrato fades in
    float glide;               ///< seconds of pitch glide from `glide_from` (0 = none)
    float gain;                ///< linear output gain
} cdsp_voice_params;

/// Fills `p` with the preset table's defaults (cdsp_params.h): a saw through an open low-pass.
void cdsp_voice_params_default(cdsp_voice_params *p);

/// Renders one note and ADDS it into out[0 ..< frames_total). The note is held for `frames_on` frames and then
/// released; frames_total should leave room for the release (cdsp_voice_tail_frames). `velocity` 0...1.
/// `glide_from` is the previous note's frequency in Hz (ignored when p->glide == 0). `seed` drives every
/// random element (noise, pluck excitation, phases): the same call gives the same samples.
cdsp_status cdsp_voice_render(const cdsp_voice_params *p, float sample_rate, float frequency, float glide_from,
                              float velocity, size_t frames_on, uint64_t seed, float *out, size_t frames_total);

/// Frames needed after note-off for the release to fall below -70 dB, where the note stops.
size_t cdsp_voice_tail_frames(const cdsp_voice_params *p, float sample_rate);

// ---------------------------------------------------------------------------------------------------------------
// Drums: each hit is synthesised (no samples) and ADDED into `out` (mono).

typedef enum {
    CDSP_DRUM_KICK = 0,
    CDSP_DRUM_SNARE = 1,
    CDSP_DRUM_CLOSED_HAT = 2,
    CDSP_DRUM_OPEN_HAT = 3,
    CDSP_DRUM_CLAP = 4,
    CDSP_DRUM_TOM_LOW = 5,
    CDSP_DRUM_TOM_MID = 6,
    CDSP_DRUM_TOM_HIGH = 7,
    CDSP_DRUM_CRASH = 8,
    CDSP_DRUM_RIDE = 9,
    CDSP_DRUM_RIMSHOT = 10,
    CDSP_DRUM_SHAKER = 11,
    CDSP_DRUM_KIND_COUNT = 12,
} cdsp_drum_kind;

typedef struct {
    float tune;        ///< semitones relative to the kind's natural pitch
    float decay;       ///< multiplier of the kind's natural decay
    float tone;        ///< 0...1: dark/soft to bright/hard (click, noise colour)
    float drive;       ///< 1 = clean, >1 saturates (808-ish kicks, rock snares)
    float gain;        ///< linear
} cdsp_drum_params;

/// Fills `p` with the preset table's defaults (cdsp_params.h).
void cdsp_drum_params_default(cdsp_drum_params *p);
/// Frames one hit of this kind lasts with these params (until below -80 dB).
size_t cdsp_drum_length(cdsp_drum_kind kind, const cdsp_drum_params *p, float sample_rate);
/// Renders one hit at velocity 0...1 and ADDS it into out[0 ..< frames] (truncated if shorter than the hit).
cdsp_status cdsp_drum_render(cdsp_drum_kind kind, const cdsp_drum_params *p, float sample_rate, float velocity,
                             uint64_t seed, float *out, size_t frames);

/// ADDS a rendered note times `gain` into out[0 ..< frames] (the renderer's note cache plays notes back with it).
void cdsp_voice_add_note(const float *note, size_t frames, float gain, float *out);

// --- The build into a chorus (build.c).
/// ADDS a noise riser into left/right[0 ..< frames]: two seeded white noises through band-passes whose centre
/// rises exponentially from `from_hz` to `to_hz`, the level swelling from 24 dB under `peak` to `peak` (amplitude of
/// the noise before the band-pass) in a straight line in dB, the last 10 ms faded out.
cdsp_status cdsp_riser_add(float *left, float *right, size_t frames, float sample_rate, float from_hz, float to_hz,
                           float peak, uint64_t seed);
/// A stereo low-pass that opens over a span (12 dB/octave state-variable filter): `process` filters frames
/// [position, position + frames) of a span of `span` frames in place, the cutoff rising exponentially from
/// `from_hz` at the span's start to `to_hz` at its end (moved every 32 frames). Position 0 resets the state;
/// call it window by window in order.
typedef struct cdsp_opening cdsp_opening;
cdsp_opening *cdsp_opening_create(float sample_rate);
void cdsp_opening_destroy(cdsp_opening *o);
void cdsp_opening_process(cdsp_opening *o, float *left, float *right, size_t frames, size_t position, size_t span,
                          float from_hz, float to_hz);

#ifdef __cplusplus
}
#endif
#endif
