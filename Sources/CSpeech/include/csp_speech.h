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
} csp_voice;

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
} csp_result;

/// Registers flite's voices (once; later calls are free). Returns CSP_OK.
int csp_init(void);

/// Pronounces `text` (text analysis, lexicon/LTS, post-lexical rules; no waveform). On success *out holds a result
/// to release with csp_result_free. The pronunciation is the same for both voices (one lexicon).
int csp_pronounce(const char *text, csp_result **out);

/// Speaks `text` with `voice` at a flat pitch of `f0` Hz (clamped to 50...500) and `stretch` times the voice's
/// durations (clamped to 0.25...4). Tokens, syllables and phones come from the same flite run as the samples.
int csp_speak(const char *text, csp_voice voice, double f0, double stretch, csp_result **out);

void csp_result_free(csp_result *result);

#ifdef __cplusplus
}
#endif

#endif
