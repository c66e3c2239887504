// The one definition of every numeric field of an instrument preset (issue 10): identifier, default, range, unit
// and meaning. The C core fills its defaults and clamps its inputs from these tables; Swift builds its preset
// validation from them (InstrumentLibrary.voiceParameters / drumParameters read cdsp_voice_param_info and
// cdsp_drum_param_info) and reads values by the typed keys of the enums below. Change a range here and both sides
// follow; `ParameterTableTests` and test_params.c check that they do.
#ifndef CDSP_PARAMS_H
#define CDSP_PARAMS_H

#include <stddef.h>
#include "cdsp_common.h"
#include "cdsp_synth.h"

#ifdef __cplusplus
extern "C" {
#endif

/// How a preset value becomes the C field: as is, rounded to an integer, or from dB to a linear gain.
typedef enum { CDSP_PARAM_PLAIN = 0, CDSP_PARAM_ROUNDED = 1, CDSP_PARAM_DECIBELS = 2 } cdsp_param_conversion;

// X(identifier, C field of the params struct, default, minimum, maximum, unit, conversion, meaning)
#define CDSP_VOICE_PARAMETERS(X) \
    X(osc2Level, osc2_level, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, "level of oscillator 2") \
    X(osc2Detune, osc2_detune, 0, -100, 100, "cents", CDSP_PARAM_PLAIN, "detune of oscillator 2") \
    X(osc2Octave, osc2_octave, 0, -2, 2, "octaves", CDSP_PARAM_PLAIN, "octave of oscillator 2") \
    X(subLevel, sub_level, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, "sine one octave below") \
    X(noiseLevel, noise_level, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, "noise (breath, air)") \
    X(pulseWidth, pulse_width, 0.5, 0.05, 0.95, "fraction", CDSP_PARAM_PLAIN, "square duty cycle") \
    X(unisonDetune, unison_detune, 0, 0, 50, "cents", CDSP_PARAM_PLAIN, "detuned copy of each oscillator (width)") \
    X(fmRatio, fm_ratio, 1, 0.125, 16, "ratio", CDSP_PARAM_PLAIN, "modulator/carrier frequency") \
    X(fmIndex, fm_index, 0, 0, 20, "index", CDSP_PARAM_PLAIN, "peak FM modulation index") \
    X(fmIndexDecayDuration, fm_index_decay, 1, 0.005, 20, "seconds", CDSP_PARAM_PLAIN, \
      "time for the FM index to fall to 37%") \
    X(fmFeedback, fm_feedback, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, "modulator self-feedback") \
    X(pluckDamping, pluck_damping, 0.3, 0, 1, "fraction", CDSP_PARAM_PLAIN, \
      "string damping: higher is darker and shorter") \
    X(pluckBrightness, pluck_brightness, 0.6, 0, 1, "fraction", CDSP_PARAM_PLAIN, "brightness of the pluck excitation") \
    X(additivePartials, additive_partials, 8, 1, 32, "count", CDSP_PARAM_ROUNDED, "number of partials") \
    X(additiveRolloff, additive_rolloff, 1, 0, 4, "exponent", CDSP_PARAM_PLAIN, "partial n has amplitude 1/n^rolloff") \
    X(additiveDecayDuration, additive_decay, 0, 0, 20, "seconds", CDSP_PARAM_PLAIN, \
      "decay of the partials, upper ones faster (0 = organ-like sustain)") \
    X(stiffness, stiffness, 0, 0, 0.002, "coefficient", CDSP_PARAM_PLAIN, \
      "string stiffness B at middle C, doubling per octave up: partial n sounds at n f sqrt(1 + B n^2) (additive)") \
    X(attackNoise, attack_noise, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, \
      "noise burst at the onset: a hammer, mallet or pick, a flute's chiff (brighter at higher velocity)") \
    X(attackNoiseDuration, attack_noise_decay, 0.012, 0.001, 0.2, "seconds", CDSP_PARAM_PLAIN, \
      "time for the onset noise to fall to 37%") \
    X(movementDepth, movement_depth, 0, 0, 2, "octaves", CDSP_PARAM_PLAIN, \
      "slow brightness movement over a held note (filter cutoff, FM index, or the partials' tilt)") \
    X(movementRate, movement_rate, 0.3, 0.02, 8, "Hz", CDSP_PARAM_PLAIN, \
      "rate of that movement (each note at its own phase and within 15% of this rate)") \
    X(cutoff, cutoff, 8000, 20, 20000, "Hz", CDSP_PARAM_PLAIN, "filter cutoff") \
    X(resonance, resonance, 0.1, 0, 1, "fraction", CDSP_PARAM_PLAIN, "filter resonance") \
    X(filterEnvelopeAmount, filter_env_amount, 0, -8, 8, "octaves", CDSP_PARAM_PLAIN, \
      "how far the filter envelope opens the cutoff") \
    X(keyTracking, key_tracking, 0, 0, 1, "fraction", CDSP_PARAM_PLAIN, "how much the cutoff follows the note") \
    X(velocityToCutoff, velocity_to_cutoff, 0, 0, 4, "octaves", CDSP_PARAM_PLAIN, "cutoff opening at full velocity") \
    X(drive, drive, 1, 1, 8, "factor", CDSP_PARAM_PLAIN, "saturation (1 = clean)") \
    X(ampAttackDuration, amp_attack, 0.005, 0, 10, "seconds", CDSP_PARAM_PLAIN, \
      "amplitude attack (played at least 0.5 ms long, so a note never clicks on)") \
    X(ampDecayDuration, amp_decay, 0.3, 0, 20, "seconds", CDSP_PARAM_PLAIN, "amplitude decay") \
    X(ampSustain, amp_sustain, 0.8, 0, 1, "fraction", CDSP_PARAM_PLAIN, "amplitude sustain level") \
    X(ampReleaseDuration, amp_release, 0.2, 0.001, 10, "seconds", CDSP_PARAM_PLAIN, \
      "amplitude release (played at least 4 ms long, so a note never clicks off)") \
    X(filterAttackDuration, filt_attack, 0.005, 0, 10, "seconds", CDSP_PARAM_PLAIN, "filter attack") \
    X(filterDecayDuration, filt_decay, 0.3, 0, 20, "seconds", CDSP_PARAM_PLAIN, "filter decay") \
    X(filterSustain, filt_sustain, 0.5, 0, 1, "fraction", CDSP_PARAM_PLAIN, "filter sustain level") \
    X(filterReleaseDuration, filt_release, 0.2, 0.001, 10, "seconds", CDSP_PARAM_PLAIN, "filter release") \
    X(vibratoRate, vibrato_rate, 5, 0, 12, "Hz", CDSP_PARAM_PLAIN, "vibrato rate") \
    X(vibratoDepth, vibrato_depth, 0, 0, 100, "cents", CDSP_PARAM_PLAIN, "vibrato depth") \
    X(vibratoDelayDuration, vibrato_delay, 0.3, 0, 5, "seconds", CDSP_PARAM_PLAIN, "time before the vibrato fades in") \
    X(glideDuration, glide, 0, 0, 2, "seconds", CDSP_PARAM_PLAIN, "pitch glide from the previous note (0 = none)") \
    X(gain, gain, 0, -40, 12, "dB", CDSP_PARAM_DECIBELS, "output level")

// Fields of a melodic preset that the renderer applies to the whole part, not to each note (no C field).
// P(identifier, default, minimum, maximum, unit, meaning)
#define CDSP_VOICE_PART_PARAMETERS(P) \
    P(chorusMix, 0, 0, 1, "fraction", "part chorus for stereo width (0 = none)") \
    P(chorusRate, 0.4, 0.05, 5, "Hz", "chorus modulation rate") \
    P(chorusDepth, 0.004, 0, 0.02, "seconds", "chorus modulation depth")

#define CDSP_DRUM_PARAMETERS(X) \
    X(tune, tune, 0, -12, 12, "semitones", CDSP_PARAM_PLAIN, "pitch relative to the drum's natural pitch") \
    X(decay, decay, 1, 0.25, 4, "factor", CDSP_PARAM_PLAIN, "multiplier of the natural decay") \
    X(tone, tone, 0.5, 0, 1, "fraction", CDSP_PARAM_PLAIN, "dark and soft (0) to bright (1)") \
    X(drive, drive, 1, 1, 8, "factor", CDSP_PARAM_PLAIN, "saturation (1 = clean)") \
    X(gain, gain, 0, -40, 12, "dB", CDSP_PARAM_DECIBELS, "level")

#define CDSP_DRUM_PART_PARAMETERS(P) \
    P(pan, 0, -1, 1, "position", "left (-1) to right (1) in the kit")

// The typed keys: Swift imports each as a closed enum (`cdsp_voice_param.cutoff`, `cdsp_drum_param.tune`), in table
// order, part fields last. (gcc does not know the attribute; clang, which Swift uses, does.)
#if defined(__has_attribute)
#if __has_attribute(enum_extensibility)
#define CDSP_CLOSED_ENUM __attribute__((enum_extensibility(closed)))
#endif
#endif
#ifndef CDSP_CLOSED_ENUM
#define CDSP_CLOSED_ENUM
#endif
// Each key keeps the preset field's name in Swift (`.cutoff`, not `.CDSP_VOICE_PARAM_cutoff`).
#if defined(__has_attribute)
#if __has_attribute(swift_name)
#define CDSP_SWIFT_NAME(name) __attribute__((swift_name(name)))
#endif
#endif
#ifndef CDSP_SWIFT_NAME
#define CDSP_SWIFT_NAME(name)
#endif
#define CDSP_PARAM_ENUM_X(id, field, def, lo, hi, unit, conv, text) CDSP_VOICE_PARAM_##id CDSP_SWIFT_NAME(#id),
#define CDSP_PARAM_ENUM_P(id, def, lo, hi, unit, text) CDSP_VOICE_PARAM_##id CDSP_SWIFT_NAME(#id),
typedef enum CDSP_CLOSED_ENUM cdsp_voice_param {
    CDSP_VOICE_PARAMETERS(CDSP_PARAM_ENUM_X) CDSP_VOICE_PART_PARAMETERS(CDSP_PARAM_ENUM_P)
} cdsp_voice_param;
#undef CDSP_PARAM_ENUM_X
#undef CDSP_PARAM_ENUM_P
#define CDSP_PARAM_ENUM_X(id, field, def, lo, hi, unit, conv, text) CDSP_DRUM_PARAM_##id CDSP_SWIFT_NAME(#id),
#define CDSP_PARAM_ENUM_P(id, def, lo, hi, unit, text) CDSP_DRUM_PARAM_##id CDSP_SWIFT_NAME(#id),
typedef enum CDSP_CLOSED_ENUM cdsp_drum_param {
    CDSP_DRUM_PARAMETERS(CDSP_PARAM_ENUM_X) CDSP_DRUM_PART_PARAMETERS(CDSP_PARAM_ENUM_P)
} cdsp_drum_param;
#undef CDSP_PARAM_ENUM_X
#undef CDSP_PARAM_ENUM_P

/// One row of a table.
typedef struct {
    const char *identifier;
    double default_value, minimum, maximum;
    const char *unit;
    const char *summary;
    int32_t conversion;   ///< cdsp_param_conversion
    int32_t offset;       ///< byte offset of the float in the params struct, or -1 for a part field
} cdsp_param_info;

/// Rows of the melodic table (per-note fields, then part fields), and row `i` (NULL past the end).
size_t cdsp_voice_param_count(void);
const cdsp_param_info *cdsp_voice_param_info(size_t i);
size_t cdsp_drum_param_count(void);
const cdsp_param_info *cdsp_drum_param_info(size_t i);

/// Sets every per-note field of `p` from `values` (one per row of the table, in its order, preset units: dB for
/// gain), converted and clamped to the table's ranges; the enumerations (engine, waves, filter) are left as they are.
void cdsp_voice_params_set_values(cdsp_voice_params *p, const double *values, size_t count);
void cdsp_drum_params_set_values(cdsp_drum_params *p, const double *values, size_t count);

/// Clamps every field to the table's range, in place; a NaN or infinite field takes the table's default.
void cdsp_voice_params_clamp(cdsp_voice_params *p);
void cdsp_drum_params_clamp(cdsp_drum_params *p);

#ifdef __cplusplus
}
#endif
#endif
