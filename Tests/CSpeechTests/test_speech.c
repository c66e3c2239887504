// CSpeech under AddressSanitizer and UndefinedBehaviorSanitizer (scripts/test-c-speech.sh): arbitrary bytes never
// crash or leak, results hold together (one vowel per syllable, contiguous segments covering the samples), bad
// arguments are refused, and threads may call in at once.
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "cdsp_test.h"
#include "csp_speech.h"

static int vowel_name(const char *p) { return strchr("aeiou", p[0]) != NULL; }  // US phone set: vowels only

static void check_structure(const csp_result *r) {
    int syll = 0;
    for (int t = 0; t < r->token_count; t++) {
        CDSP_CHECK(r->tokens[t].text != NULL);
        CDSP_CHECK(r->tokens[t].first_syllable == syll);
        syll += r->tokens[t].syllable_count;
    }
    CDSP_CHECK(syll == r->syllable_count);
    int phone = 0;
    for (int s = 0; s < r->syllable_count; s++) {
        const csp_syllable *y = &r->syllables[s];
        CDSP_CHECK(y->first_phone == phone && y->phone_count > 0);
        CDSP_CHECK(y->nucleus >= 0 && y->nucleus < y->phone_count);
        CDSP_CHECK(y->stress >= 0 && y->stress <= 2);
        int vowels = 0;
        for (int k = 0; k < y->phone_count; k++) vowels += vowel_name(r->phones[y->first_phone + k]);
        CDSP_CHECK(vowels == 1);
        CDSP_CHECK(vowel_name(r->phones[y->first_phone + y->nucleus]));
        phone += y->phone_count;
    }
    CDSP_CHECK(phone == r->phone_count);
}

static void check_speech(const csp_result *r) {
    check_structure(r);
    CDSP_CHECK(r->sample_rate == 16000);
    float t = 0;
    for (int i = 0; i < r->segment_count; i++) {
        const csp_segment *g = &r->segments[i];
        CDSP_CHECK(g->start == t && g->end >= g->start);
        CDSP_CHECK(g->syllable >= -1 && g->syllable < r->syllable_count);
        if (g->is_pause) CDSP_CHECK(g->syllable == -1);
        t = g->end;
    }
    if (r->segment_count > 0) CDSP_CHECK_NEAR(t * 16000.0, (double)r->sample_count, 1.0);
    for (size_t i = 0; i < r->sample_count; i++) CDSP_CHECK(isfinite(r->samples[i]) && fabsf(r->samples[i]) <= 1.0f);
}

CDSP_TEST(pronounces_a_line) {
    csp_result *r = NULL;
    CDSP_CHECK(csp_pronounce("Hello, world! 42", &r) == CSP_OK && r);
    if (!r) return;
    CDSP_CHECK(r->token_count == 3);
    CDSP_CHECK(r->token_count == 3 && strcmp(r->tokens[0].text, "Hello") == 0);
    CDSP_CHECK(r->token_count == 3 && r->tokens[2].syllable_count == 3);  // for-ty two
    CDSP_CHECK(r->segment_count == 0 && r->sample_count == 0);
    check_structure(r);
    csp_result_free(r);
}

CDSP_TEST(refuses_bad_arguments) {
    csp_result *r = NULL;
    CDSP_CHECK(csp_pronounce(NULL, &r) == CSP_ERR_ARGUMENT && r == NULL);
    CDSP_CHECK(csp_pronounce("x", NULL) == CSP_ERR_ARGUMENT);
    CDSP_CHECK(csp_speak("x", (csp_voice)7, 100, 1, &r) == CSP_ERR_ARGUMENT && r == NULL);
    csp_result_free(NULL);
}

CDSP_TEST(arbitrary_bytes_are_safe) {
    unsigned long long s = 0x9e3779b97f4a7c15ULL;
    char text[300];
    for (int round = 0; round < 200; round++) {
        int n = (int)(s % 299);
        for (int i = 0; i < n; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            text[i] = (char)(round % 2 ? (s % 255) + 1 : (s % 95) + 32);
        }
        text[n] = 0;
        csp_result *r = NULL;
        CDSP_CHECK(csp_pronounce(text, &r) == CSP_OK);
        if (r) check_structure(r);
        csp_result_free(r);
        if (round % 40 == 0) {
            r = NULL;
            CDSP_CHECK(csp_speak(text, round % 80 ? CSP_VOICE_KAL16 : CSP_VOICE_SLT, 140, 1, &r) == CSP_OK);
            if (r) check_speech(r);
            csp_result_free(r);
        }
    }
}

CDSP_TEST(speaks_with_extreme_settings) {
    const double f0s[] = {0, -5, NAN, INFINITY, 1e9, 220};
    const double stretches[] = {NAN, 0, 100, -1, 1, 0.5};
    for (int i = 0; i < 6; i++) {
        csp_result *r = NULL;
        CDSP_CHECK(csp_speak("so long", i % 2 ? CSP_VOICE_SLT : CSP_VOICE_KAL16, f0s[i], stretches[i], &r) == CSP_OK);
        if (r) check_speech(r);
        CDSP_CHECK(r && r->sample_count > 0);
        csp_result_free(r);
    }
}

// The pitch of x[0..<n] (16 kHz): the shortest lag, between 60 and 500 Hz, whose normalised autocorrelation comes
// within 10% of the best one (so a multiple of the period does not win), as a frequency.
static double pitch_of(const float *x, int n) {
    double r[16000 / 60 + 1] = {0}, best_r = -1;
    int lo = 16000 / 500, hi = 16000 / 60;
    for (int lag = lo; lag <= hi; lag++) {
        double c = 0, e0 = 1e-12, e1 = 1e-12;
        for (int i = 0; i + lag < n; i++) {
            c += (double)x[i] * x[i + lag];
            e0 += (double)x[i] * x[i];
            e1 += (double)x[i + lag] * x[i + lag];
        }
        r[lag] = c / sqrt(e0 * e1);
        if (r[lag] > best_r) best_r = r[lag];
    }
    for (int lag = lo + 1; lag < hi; lag++)
        if (r[lag] >= 0.9 * best_r && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1]) return 16000.0 / lag;
    return 0;
}

CDSP_TEST(vocodes_its_own_frames_and_a_new_pitch) {
    const csp_voice voices[] = {CSP_VOICE_SLT, CSP_VOICE_RMS};
    for (int v = 0; v < 2; v++) {
        csp_result *r = NULL;
        CDSP_CHECK(csp_speak("see the moon rise", voices[v], 150, 1, &r) == CSP_OK && r);
        if (!r) continue;
        check_speech(r);
        int per = csp_vocode_frame_samples(voices[v]);
        CDSP_CHECK(per == 80);
        CDSP_CHECK(r->params && r->param_frames > 10 && r->param_channels > 1);
        CDSP_CHECK_NEAR(r->frame_shift, 0.005, 1e-6);
        if (!r->params || per != 80) { csp_result_free(r); continue; }
        // Frames only: the same frames and segments, silence for samples.
        csp_result *q = NULL;
        CDSP_CHECK(csp_speak_frames("see the moon rise", voices[v], 150, 1, &q) == CSP_OK && q);
        if (q) {
            check_speech(q);
            CDSP_CHECK(q->param_frames == r->param_frames && q->segment_count == r->segment_count);
            CDSP_CHECK(q->params && memcmp(q->params, r->params, sizeof(float) * (size_t)r->param_frames *
                                                                   (size_t)r->param_channels) == 0);
            float peak = 0;
            for (size_t i = 0; i < q->sample_count; i++) peak = fmaxf(peak, fabsf(q->samples[i]));
            CDSP_CHECK(peak == 0 && q->sample_count == r->sample_count);
            csp_result_free(q);
        }
        // The frames flite vocoded give flite's samples again.
        int frames = r->param_frames;
        size_t n = (size_t)frames * 80;
        float *a = calloc(n, sizeof(float)), *b = calloc(n, sizeof(float));
        CDSP_CHECK(csp_vocode(voices[v], r->params, frames, r->param_channels, r->strengths, r->strength_channels, 1,
                              a, n) == CSP_OK);
        double diff = 0, energy = 1e-12;
        size_t m = n < r->sample_count ? n : r->sample_count;
        for (size_t i = 0; i < m; i++) {
            diff += (a[i] - r->samples[i]) * (a[i] - r->samples[i]);
            energy += r->samples[i] * r->samples[i];
        }
        fprintf(stderr, "     voice %d: %d frames, %d channels, %d strengths; own frames again: error %.1f dB\n",
                (int)voices[v], frames, r->param_channels, r->strength_channels, 10 * log10(diff / energy + 1e-30));
        CDSP_CHECK(diff / energy < 1e-3);
        // Deterministic per seed.
        CDSP_CHECK(csp_vocode(voices[v], r->params, frames, r->param_channels, r->strengths, r->strength_channels, 1,
                              b, n) == CSP_OK && memcmp(a, b, n * sizeof(float)) == 0);
        // Every voiced frame at 220 Hz: the loudest voiced stretch sings 220 Hz.
        float *p = malloc((size_t)frames * (size_t)r->param_channels * sizeof(float));
        memcpy(p, r->params, (size_t)frames * (size_t)r->param_channels * sizeof(float));
        int loud = -1;
        double loudest = 0;
        for (int i = 0; i < frames; i++) {
            if (p[(size_t)i * (size_t)r->param_channels] <= 0) continue;
            p[(size_t)i * (size_t)r->param_channels] = 220;
            double e = 0;
            for (int k = 0; k < 80 && (size_t)i * 80 + (size_t)k < m; k++) e += r->samples[i * 80 + k] * r->samples[i * 80 + k];
            if (e > loudest && i > 4 && i + 6 < frames) { loudest = e; loud = i; }
        }
        CDSP_CHECK(loud > 0);
        CDSP_CHECK(csp_vocode(voices[v], p, frames, r->param_channels, r->strengths, r->strength_channels, 1, b, n) ==
                   CSP_OK);
        if (loud > 0) {
            double hz = pitch_of(b + (size_t)(loud - 4) * 80, 640);
            fprintf(stderr, "     voice %d: f0 track at 220 Hz sings %.1f Hz\n", (int)voices[v], hz);
            CDSP_CHECK_NEAR(hz, 220, 6);
        }
        // Wrong shapes are refused.
        CDSP_CHECK(csp_vocode(voices[v], p, frames, r->param_channels, r->strengths, r->strength_channels, 1, b, n - 1) ==
                   CSP_ERR_ARGUMENT);
        CDSP_CHECK(csp_vocode(voices[v], NULL, frames, r->param_channels, NULL, 0, 1, b, n) == CSP_ERR_ARGUMENT);
        free(p);
        free(a);
        free(b);
        csp_result_free(r);
    }
    // The diphone voice has no vocoder.
    float out[80];
    float frame[26] = {0};
    CDSP_CHECK(csp_vocode_frame_samples(CSP_VOICE_KAL16) == 0);
    CDSP_CHECK(csp_vocode(CSP_VOICE_KAL16, frame, 1, 26, NULL, 0, 1, out, 80) == CSP_ERR_ARGUMENT);
    csp_result *r = NULL;
    CDSP_CHECK(csp_speak("hello", CSP_VOICE_KAL16, 120, 1, &r) == CSP_OK && r && !r->params && r->param_frames == 0);
    csp_result_free(r);
}

static void *worker(void *arg) {
    int id = (int)(size_t)arg;
    for (int i = 0; i < 4; i++) {
        csp_result *r = NULL;
        int ok = (id + i) % 2 ? csp_pronounce("together we are strong", &r)
                              : csp_speak("together", id % 2 ? CSP_VOICE_SLT : CSP_VOICE_KAL16, 150, 1, &r);
        if (ok != CSP_OK || !r || r->syllable_count != ((id + i) % 2 ? 6 : 3)) {
            csp_result_free(r);
            return (void *)1;
        }
        csp_result_free(r);
    }
    return NULL;
}

CDSP_TEST(threads_may_call_at_once) {
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, worker, (void *)(size_t)i);
    for (int i = 0; i < 4; i++) {
        void *failed = NULL;
        pthread_join(threads[i], &failed);
        CDSP_CHECK(failed == NULL);
    }
}

int main(void) {
    CDSP_RUN(pronounces_a_line);
    CDSP_RUN(refuses_bad_arguments);
    CDSP_RUN(arbitrary_bytes_are_safe);
    CDSP_RUN(speaks_with_extreme_settings);
    CDSP_RUN(threads_may_call_at_once);
    CDSP_RUN(vocodes_its_own_frames_and_a_new_pitch);
    CDSP_TEST_END();
}
