// CSpeech: a thread-safe wrapper around flite for Chromasong's vocals: pronunciation of a lyric line (text and
// lexical stages only, no waveform) and the line spoken at a flat pitch (16 kHz samples plus every phone's times).
//
// flite keeps mutable state in its voices and globals (features, rand() in the vocoder, an error jump buffer), so
// every call here runs under one process-wide mutex; voices are registered once (pthread_once). Results are
// plain C arrays owned by the caller and released with csp_result_free.
//
// Input must be printable ASCII (the Swift side folds and filters Unicode first); anything else is replaced by a
// space here as a last guard. Text longer than CSP_MAX_TEXT bytes is cut.
#ifndef CSP_SPEECH_H
#define CSP_SPEECH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CSP_MAX_TEXT 1024
#define CSP_PHONE_NAME 8

typedef enum csp_status {
    CSP_OK = 0,
    CSP_ERR_ARGUMENT = -1,
    CSP_ERR_MEMORY = -2,
    CSP_ERR_FLITE = -3,
} csp_status;

typedef enum csp_voice {
    CSP_VOICE_SLT = 0,   // cmu_us_slt, female, 16 kHz (clustergen)
    CSP_VOICE_KAL16 = 1, // cmu_us_kal16, male, 16 kHz (diphone)
    CSP_VOICE_RMS = 2,   // cmu_us_rms, male, 16 kHz (clustergen)
} csp_voice;

#define CSP_VOICE_COUNT 3

/// One token of the input as flite read it (whitespace separated, punctuation stripped), in input order.
typedef struct csp_token {
    char *text;
    int first_syllable;
    int syllable_count;
} csp_token;

/// One syllable: its phones are phones[first_phone ..< first_phone + phone_count]; exactly one is a vowel.
typedef struct csp_syllable {
    int token;
    int stress;      // 0 none, 1 primary, 2 secondary
    int first_phone;
    int phone_count;
    int nucleus;     // index of the vowel within the syllable's phones
} csp_syllable;

/// One segment of the spoken utterance (pauses included), times in seconds.
typedef struct csp_segment {
    char name[CSP_PHONE_NAME];
    float start;
    float end;
    int is_vowel;
    int is_pause;
    int syllable;    // index into syllables, -1 for pauses
    int token;       // index into tokens, -1 for pauses
} csp_segment;

typedef struct csp_result {
    csp_token *tokens;
    int token_count;
    csp_syllable *syllables;
    int syllable_count;
    char (*phones)[CSP_PHONE_NAME];
    int phone_count;
    // speak only (zero for pronounce)
    csp_segment *segments;
    int segment_count;
    float *samples;
    size_t sample_count;
    int sample_rate;
    // speak with a clustergen voice only (zero otherwise): the vocoder's input, as flite passed it to its MLSA
    // vocoder for these samples. Frame i lies at i * frame_shift seconds; params[i * param_channels] is its f0 in Hz
    // (0: unvoiced), the rest its mel-cepstrum; strengths[i * strength_channels ...] its mixed-excitation band
    // strengths (strength_channels 0 when the voice has none).
    float *params;
    int param_frames;
    int param_channels;
    float *strengths;
    int strength_channels;
    float frame_shift;
} csp_result;

/// Registers flite's voices (once; later calls are free). Returns CSP_OK.
int csp_init(void);

/// Pronounces `text` (text analysis, lexicon/LTS, post-lexical rules; no waveform). On success *out holds a result
/// to release with csp_result_free. The pronunciation is the same for both voices (one lexicon).
int csp_pronounce(const char *text, csp_result **out);

/// Speaks `text` with `voice` at a flat pitch of `f0` Hz (clamped to 50...500) and `stretch` times the voice's
/// durations (clamped to 0.25...4). Tokens, syllables and phones come from the same flite run as the samples.
int csp_speak(const char *text, csp_voice voice, double f0, double stretch, csp_result **out);

/// As csp_speak, but a clustergen voice's waveform is not made: the result has the tokens, segments and vocoder
/// frames (params, strengths) of csp_speak's, and silence for samples. A diphone voice speaks as with csp_speak.
/// For the singer, which vocodes the frames itself (about half of flite's time saved).
int csp_speak_frames(const char *text, csp_voice voice, double f0, double stretch, csp_result **out);

void csp_result_free(csp_result *result);

/// Samples `csp_vocode` writes per frame of `voice` (80 for the 16 kHz clustergen voices at 5 ms), 0 when the
/// voice has no vocoder (diphone voices).
int csp_vocode_frame_samples(csp_voice voice);

/// Runs `voice`'s MLSA vocoder over `frames` frames laid out as a csp_result's params and strengths (same channel
/// counts as `voice` gives; frame i at i * frame_shift seconds, f0 in Hz, 0 unvoiced) and writes frames *
/// csp_vocode_frame_samples(voice) samples at the voice's rate (16 kHz) into `out` (capacity `out_count`). The
/// vocoder's noise is seeded with `seed`, so the same call gives the same samples. The first singer from the score
/// used it (Singer.Synthesis.mlsa, kept to compare against): the caller stretches a spoken line's frames to the
/// notes' phone durations and sets the f0 track from the notes. The singer now plays the frames with CDSP's vocoder
/// (cdsp_vocoder.h) and csp_vocoder_info_get. Returns CSP_ERR_ARGUMENT for a diphone voice or channel counts that
/// differ from the voice's.
int csp_vocode(csp_voice voice, const float *params, int frames, int param_channels, const float *strengths,
               int strength_channels, unsigned seed, float *out, size_t out_count);

/// A clustergen voice's vocoder constants, for a vocoder outside flite (CDSP's cdsp_vocoder, which sings).
typedef struct csp_vocoder_info {
    float sample_rate;   ///< Hz (16000)
    float frame_shift;   ///< seconds between parameter frames (0.005)
    float alpha;         ///< mel-cepstral all-pass constant
    float beta;          ///< postfilter
    float gain;          ///< output gain on the 16-bit scale (0: 1)
    int bands;           ///< mixed-excitation bands (0: none)
    int band_taps;       ///< FIR taps per band
} csp_vocoder_info;

/// Fills `info` for `voice`; when `band_filters` is not NULL, also copies the bands * band_taps band filter taps
/// into it (capacity `capacity` doubles, band after band). CSP_ERR_ARGUMENT for a diphone voice or too small a
/// capacity.
int csp_vocoder_info_get(csp_voice voice, csp_vocoder_info *info, double *band_filters, size_t capacity);

#ifdef __cplusplus
}
#endif

#endif
