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
    CDSP_TEST_END();
}
