// Why one file of 500 lines: every entry point (pronounce, speak, speak frames, vocode) runs flite under the same
// process-wide lock and error jump, and the extraction helpers walk the same utterance; split, they would share
// that lock and those helpers through a private header.
//
// CSpeech: flite under one mutex. See include/csp_speech.h for the contract.
#include "csp_speech.h"

#include <flite/cst_cg.h>
#include <flite/flite.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

// The voices' registration functions are exported by their libraries but declared in no installed header.
extern cst_voice *register_cmu_us_slt(const char *voxdir);
extern cst_voice *register_cmu_us_kal16(const char *voxdir);
extern cst_voice *register_cmu_us_rms(const char *voxdir);

static cst_cg_db *voice_cg_db(const cst_voice *v);

static pthread_once_t csp_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t csp_lock = PTHREAD_MUTEX_INITIALIZER;
static cst_voice *csp_voices[CSP_VOICE_COUNT];

static void csp_register(void) {
    csp_voices[CSP_VOICE_SLT] = register_cmu_us_slt(NULL);
    csp_voices[CSP_VOICE_KAL16] = register_cmu_us_kal16(NULL);
    csp_voices[CSP_VOICE_RMS] = register_cmu_us_rms(NULL);
}

int csp_init(void) {
    pthread_once(&csp_once, csp_register);
    for (int i = 0; i < CSP_VOICE_COUNT; i++)
        if (!csp_voices[i]) return CSP_ERR_FLITE;
    return CSP_OK;
}

// flite's text pipeline up to the post-lexical rules: tokens, words, syllables and segments, no durations, f0 or
// waveform. The same modules, in the same order, run first inside utt_synth, so speak sees the same phones.
static const cst_synth_module csp_text_modules[] = {
    {"tokenizer_func", default_tokenization},
    {"textanalysis_func", default_textanalysis},
    {"pos_tagger_func", default_pos_tagger},
    {"phrasing_func", default_phrasing},
    {"lexical_insertion_func", default_lexical_insertion},
    {"pause_insertion_func", default_pause_insertion},
    {"intonation_func", cart_intonation},
    {"postlex_func", NULL},
    {NULL, NULL},
};

// ---------------------------------------------------------------------------------------------------------------
// Growable arrays used while extracting (allocation is fine here: this is not an audio process call).

typedef struct raw_phone {
    char name[CSP_PHONE_NAME];
    int vowel;
    const cst_item *item;  // the segment in SylStructure
} raw_phone;

typedef struct raw_syll {
    int stress;
    int first;  // into raw phones
    int count;
} raw_syll;

typedef struct builder {
    csp_result *r;
    int token_cap, syll_cap, phone_cap;
    const cst_item **phone_items;  // parallel to r->phones
    int oom;
} builder;

static int grow(void **p, int *cap, int need, size_t size) {
    if (need <= *cap) return 1;
    int n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    void *q = realloc(*p, (size_t)n * size);
    if (!q) return 0;
    *p = q;
    *cap = n;
    return 1;
}

static void copy_name(char dst[CSP_PHONE_NAME], const char *src) {
    size_t n = src ? strlen(src) : 0;
    if (n >= CSP_PHONE_NAME) n = CSP_PHONE_NAME - 1;
    if (n) memcpy(dst, src, n);
    dst[n] = 0;
}

static int is_vowel_item(const cst_item *seg) {
    const char *vc = flite_ffeature_string(seg, "ph_vc");
    return vc && vc[0] == '+';
}

static int item_stress(const cst_item *syl) {
    if (!item_feat_present(syl, "stress")) return 0;
    const char *s = item_feat_string(syl, "stress");
    int v = (s && s[0] >= '0' && s[0] <= '2') ? s[0] - '0' : 0;
    return v;
}

// Appends phones [from, to) as one syllable whose vowel is at `vowel`. Returns 0 when out of memory.
static int emit(builder *b, const raw_phone *ph, int from, int to, int vowel, int stress, int token) {
    csp_result *r = b->r;
    int count = to - from;
    if (!grow((void **)&r->syllables, &b->syll_cap, r->syllable_count + 1, sizeof *r->syllables)) { b->oom = 1; return 0; }
    int cap = b->phone_cap;
    if (!grow((void **)&r->phones, &b->phone_cap, r->phone_count + count, sizeof *r->phones)) { b->oom = 1; return 0; }
    if (b->phone_cap != cap || !b->phone_items) {
        const cst_item **items = realloc(b->phone_items, (size_t)b->phone_cap * sizeof *items);
        if (!items) { b->oom = 1; return 0; }
        b->phone_items = items;
    }
    csp_syllable *out = &r->syllables[r->syllable_count++];
    out->token = token;
    out->stress = stress;
    out->first_phone = r->phone_count;
    out->phone_count = count;
    out->nucleus = vowel - from;
    for (int k = from; k < to; k++) {
        memcpy(r->phones[r->phone_count], ph[k].name, CSP_PHONE_NAME);
        b->phone_items[r->phone_count] = ph[k].item;
        r->phone_count++;
    }
    return 1;
}

// Appends one token's syllables, normalised so that every syllable holds exactly one vowel: a vowelless syllable
// (the "z" of "'s") joins its neighbour, a syllable with several vowels splits before each later vowel. A token
// with no vowel at all contributes no syllables.
static void add_token(builder *b, const cst_item *token) {
    csp_result *r = b->r;
    raw_phone *ph = NULL;
    raw_syll *sy = NULL;
    int ph_n = 0, ph_cap = 0, sy_n = 0, sy_cap = 0;

    for (const cst_item *w = item_daughter(token); w; w = item_next(w)) {
        const cst_item *ws = item_as(w, "SylStructure");
        if (!ws) continue;
        for (const cst_item *s = item_daughter(ws); s; s = item_next(s)) {
            if (!grow((void **)&sy, &sy_cap, sy_n + 1, sizeof *sy)) { b->oom = 1; goto done; }
            sy[sy_n] = (raw_syll){.stress = item_stress(s), .first = ph_n, .count = 0};
            for (const cst_item *p = item_daughter(s); p; p = item_next(p)) {
                if (!grow((void **)&ph, &ph_cap, ph_n + 1, sizeof *ph)) { b->oom = 1; goto done; }
                copy_name(ph[ph_n].name, item_feat_string(p, "name"));
                ph[ph_n].vowel = is_vowel_item(p);
                ph[ph_n].item = p;
                ph_n++;
                sy[sy_n].count++;
            }
            if (sy[sy_n].count > 0) sy_n++;
        }
    }

    // Token record (even when it ends up without syllables, so token indices follow flite's Token relation).
    if (!grow((void **)&r->tokens, &b->token_cap, r->token_count + 1, sizeof *r->tokens)) { b->oom = 1; goto done; }
    csp_token *tok = &r->tokens[r->token_count];
    const char *name = item_feat_string(token, "name");
    tok->text = strdup(name ? name : "");
    if (!tok->text) { b->oom = 1; goto done; }
    tok->first_syllable = r->syllable_count;
    tok->syllable_count = 0;
    int token_index = r->token_count++;

    int any_vowel = 0;
    for (int i = 0; i < ph_n; i++) any_vowel |= ph[i].vowel;
    if (!any_vowel) goto done;

    // One output syllable per vowel. Syllable j > 0 starts at the last raw syllable start after vowel j-1 and at
    // or before vowel j; with none (two vowels in one raw syllable) right after vowel j-1. Leading and trailing
    // vowelless phones join the first and last syllables. Stress is that of the raw syllable holding the vowel.
    int prev_vowel = -1, prev_stress = 0, start = 0;
    for (int i = 0; i < ph_n; i++) {
        if (!ph[i].vowel) continue;
        int raw = 0;
        for (int k = 0; k < sy_n; k++)
            if (sy[k].first <= i) raw = k;
        if (prev_vowel >= 0) {
            int cut = prev_vowel + 1;
            for (int k = 0; k < sy_n; k++)
                if (sy[k].first > prev_vowel && sy[k].first <= i) cut = sy[k].first;
            if (!emit(b, ph, start, cut, prev_vowel, prev_stress, token_index)) goto done;
            tok->syllable_count++;
            start = cut;
        }
        prev_stress = sy[raw].stress;
        prev_vowel = i;
    }
    if (emit(b, ph, start, ph_n, prev_vowel, prev_stress, token_index)) tok->syllable_count++;

done:
    free(ph);
    free(sy);
}

static int extract_tokens(cst_utterance *u, builder *b) {
    cst_relation *tokens = utt_relation(u, "Token");
    if (!tokens) return CSP_OK;
    for (const cst_item *t = relation_head(tokens); t; t = item_next(t)) {
        add_token(b, t);
        if (b->oom) return CSP_ERR_MEMORY;
    }
    return CSP_OK;
}

// Maps every Segment (pauses included) to its phone, syllable and token; times from the segments' "end".
static int extract_segments(cst_utterance *u, builder *b) {
    csp_result *r = b->r;
    cst_relation *segs = utt_relation(u, "Segment");
    int n = 0;
    if (segs)
        for (const cst_item *s = relation_head(segs); s; s = item_next(s)) n++;
    r->segments = calloc((size_t)(n ? n : 1), sizeof *r->segments);
    if (!r->segments) return CSP_ERR_MEMORY;

    // syllable of each phone
    int *phone_syll = malloc((size_t)(r->phone_count ? r->phone_count : 1) * sizeof *phone_syll);
    if (!phone_syll) return CSP_ERR_MEMORY;
    for (int si = 0; si < r->syllable_count; si++)
        for (int k = 0; k < r->syllables[si].phone_count; k++) phone_syll[r->syllables[si].first_phone + k] = si;

    const char *silence = flite_get_param_string(u->features, "silence", "pau");
    float prev_end = 0;
    int cursor = 0;
    for (const cst_item *s = segs ? relation_head(segs) : NULL; s; s = item_next(s)) {
        csp_segment *g = &r->segments[r->segment_count++];
        const char *name = item_feat_string(s, "name");
        copy_name(g->name, name);
        float end = item_feat_present(s, "end") ? item_feat_float(s, "end") : prev_end;
        if (end < prev_end) end = prev_end;
        g->start = prev_end;
        g->end = end;
        prev_end = end;
        g->is_vowel = is_vowel_item(s);
        g->is_pause = name && silence && strcmp(name, silence) == 0;
        g->syllable = -1;
        g->token = -1;
        const cst_item *ss = item_as(s, "SylStructure");
        if (!ss) continue;
        // Phones appear in Segment order; search forward from the cursor, then from the start.
        int found = -1;
        for (int k = cursor; k < r->phone_count && found < 0; k++)
            if (item_as(b->phone_items[k], "SylStructure") == ss) found = k;
        for (int k = 0; k < cursor && found < 0; k++)
            if (item_as(b->phone_items[k], "SylStructure") == ss) found = k;
        if (found >= 0) {
            cursor = found + 1;
            g->syllable = phone_syll[found];
            g->token = r->syllables[g->syllable].token;
        }
    }
    free(phone_syll);
    return CSP_OK;
}

// ---------------------------------------------------------------------------------------------------------------

static void sanitize(const char *text, char *buf) {
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && n < CSP_MAX_TEXT; p++)
        buf[n++] = (*p >= 32 && *p < 127) ? (char)*p : ' ';
    buf[n] = 0;
}

void csp_result_free(csp_result *r) {
    if (!r) return;
    if (r->tokens)
        for (int i = 0; i < r->token_count; i++) free(r->tokens[i].text);
    free(r->tokens);
    free(r->syllables);
    free(r->phones);
    free(r->segments);
    free(r->samples);
    free(r->params);
    free(r->strengths);
    free(r);
}

// The clustergen database of a voice, NULL for a diphone voice.
static cst_cg_db *voice_cg_db(const cst_voice *v) {
    if (!v || !feat_present(v->features, "cg_db")) return NULL;
    return val_cg_db(feat_val(v->features, "cg_db"));
}

// Copies the track flite's own resynthesis vocoded (the parameters after mlpg smoothing, and the mixed-excitation
// strengths) into the result. Called under the lock, after utt_synth.
static int extract_params(cst_utterance *u, csp_result *r) {
    cst_cg_db *cg = feat_present(u->features, "cg_db") ? val_cg_db(utt_feat_val(u, "cg_db")) : NULL;
    if (!cg || !feat_present(u->features, "param_track")) return CSP_OK;
    cst_track *raw = val_track(utt_feat_val(u, "param_track"));
    cst_track *str = NULL;
    if (cg->mixed_excitation) {
        if (!feat_present(u->features, "str_track")) return CSP_OK;
        str = val_track(utt_feat_val(u, "str_track"));
    }
    cst_track *smooth = cg->do_mlpg ? mlpg(raw, cg) : raw;
    int frames = smooth->num_frames, channels = smooth->num_channels;
    int status = CSP_OK;
    if (frames > 0 && channels > 1 && (!str || str->num_frames >= frames)) {
        r->params = malloc((size_t)frames * (size_t)channels * sizeof(float));
        if (str) r->strengths = malloc((size_t)frames * (size_t)str->num_channels * sizeof(float));
        if (!r->params || (str && !r->strengths)) {
            status = CSP_ERR_MEMORY;
        } else {
            for (int i = 0; i < frames; i++) {
                memcpy(r->params + (size_t)i * (size_t)channels, smooth->frames[i], (size_t)channels * sizeof(float));
                if (str)
                    memcpy(r->strengths + (size_t)i * (size_t)str->num_channels, str->frames[i],
                           (size_t)str->num_channels * sizeof(float));
            }
            r->param_frames = frames;
            r->param_channels = channels;
            r->strength_channels = str ? str->num_channels : 0;
            r->frame_shift = frames > 1 ? smooth->times[1] - smooth->times[0] : cg->frame_advance;
        }
    }
    if (smooth != raw) delete_track(smooth);
    return status;
}

int csp_vocode_frame_samples(csp_voice voice) {
    if ((int)voice < 0 || (int)voice >= CSP_VOICE_COUNT || csp_init() != CSP_OK) return 0;
    cst_cg_db *cg = voice_cg_db(csp_voices[voice]);
    if (!cg) return 0;
    return (int)(0.5 + cg->frame_advance * (float)cg->sample_rate);
}

int csp_vocoder_info_get(csp_voice voice, csp_vocoder_info *info, double *band_filters, size_t capacity) {
    if (!info || csp_vocode_frame_samples(voice) <= 0) return CSP_ERR_ARGUMENT;
    const cst_cg_db *cg = voice_cg_db(csp_voices[voice]);
    info->sample_rate = (float)cg->sample_rate;
    info->frame_shift = cg->frame_advance;
    info->alpha = cg->mlsa_alpha;
    info->beta = cg->mlsa_beta;
    info->gain = cg->gain;
    info->bands = cg->mixed_excitation ? cg->ME_num : 0;
    info->band_taps = cg->mixed_excitation ? cg->ME_order : 0;
    if (band_filters && info->bands > 0) {
        if ((size_t)info->bands * (size_t)info->band_taps > capacity) return CSP_ERR_ARGUMENT;
        for (int j = 0; j < info->bands; j++)
            for (int i = 0; i < info->band_taps; i++) band_filters[j * info->band_taps + i] = cg->me_h[j][i];
    }
    return CSP_OK;
}

int csp_vocode(csp_voice voice, const float *params, int frames, int param_channels, const float *strengths,
               int strength_channels, unsigned seed, float *out, size_t out_count) {
    int per_frame = csp_vocode_frame_samples(voice);
    if (per_frame <= 0 || !params || !out || frames <= 0 || param_channels < 2) return CSP_ERR_ARGUMENT;
    if ((size_t)frames * (size_t)per_frame > out_count) return CSP_ERR_ARGUMENT;
    cst_cg_db *cg = voice_cg_db(csp_voices[voice]);
    if (cg->mixed_excitation ? (!strengths || strength_channels < 1) : strength_channels != 0) return CSP_ERR_ARGUMENT;

    // Tracks built outside flite's error handler: new_track and cst_track_resize only allocate.
    cst_track *t = new_track(), *str = cg->mixed_excitation ? new_track() : NULL;
    cst_track_resize(t, frames, param_channels);
    if (str) cst_track_resize(str, frames, strength_channels);
    for (int i = 0; i < frames; i++) {
        t->times[i] = (float)i * cg->frame_advance;
        for (int c = 0; c < param_channels; c++) {
            float x = params[(size_t)i * (size_t)param_channels + (size_t)c];
            t->frames[i][c] = x == x ? x : 0.0f;  // NaN guard
        }
        if (t->frames[i][0] < 0) t->frames[i][0] = 0;
        if (str) {
            str->times[i] = t->times[i];
            for (int c = 0; c < strength_channels; c++) {
                float x = strengths[(size_t)i * (size_t)strength_channels + (size_t)c];
                str->frames[i][c] = x == x ? x : 0.0f;
            }
        }
    }

    int status = CSP_OK;
    pthread_mutex_lock(&csp_lock);
    jmp_buf jb;
    jmp_buf *volatile saved = cst_errjmp;
    cst_errjmp = &jb;
    if (setjmp(jb) != 0) {
        cst_errjmp = saved;
        pthread_mutex_unlock(&csp_lock);
        return CSP_ERR_FLITE;  // the tracks leak with the vocoder's state, as in run()
    }
    // The vocoder's noise and its pulse/noise choice come from rand(): seeded per call, under the lock.
    srand(seed);
    cst_wave *w = mlsa_resynthesis(t, str, cg, NULL, 0);
    cst_errjmp = saved;
    pthread_mutex_unlock(&csp_lock);

    size_t n = 0;
    if (!w) {
        status = CSP_ERR_FLITE;
    } else {
        n = (size_t)cst_wave_num_samples(w);
        if (n > out_count) n = out_count;
        for (size_t i = 0; i < n; i++) out[i] = (float)w->samples[i] / 32768.0f;
        delete_wave(w);
    }
    for (size_t i = n; i < (size_t)frames * (size_t)per_frame; i++) out[i] = 0;
    delete_track(t);
    if (str) delete_track(str);
    return status;
}

static float clampf(double v, double lo, double hi, double fallback) {
    if (!(v == v)) return (float)fallback;  // NaN
    return (float)(v < lo ? lo : (v > hi ? hi : v));
}

// A streaming callback that stops flite's vocoder at its first block: with it, a clustergen utterance gets its
// parameter track (made before the vocoder runs) and no waveform.
static int stop_stream(const cst_wave *w, int start, int size, int last, cst_audio_streaming_info *asi) {
    (void)w, (void)start, (void)size, (void)last, (void)asi;
    return CST_AUDIO_STREAM_STOP;
}

// Runs flite on `text` under the lock; speak when voice >= 0, pronounce otherwise. With `frames_only` a
// clustergen voice's waveform is not made (the result's samples are silence of the segments' length).
static int run(const char *text, int voice, double f0, double stretch, int frames_only, csp_result **out) {
    if (!text || !out) return CSP_ERR_ARGUMENT;
    *out = NULL;
    if (csp_init() != CSP_OK) return CSP_ERR_FLITE;
    char buf[CSP_MAX_TEXT + 1];
    sanitize(text, buf);

    // Everything the error path needs lives behind pointers fixed before setjmp (longjmp may lose locals).
    csp_result *r = calloc(1, sizeof *r);
    builder *b = calloc(1, sizeof *b);
    if (!r || !b) {
        free(r);
        free(b);
        return CSP_ERR_MEMORY;
    }
    b->r = r;
    int status = CSP_OK;

    pthread_mutex_lock(&csp_lock);
    jmp_buf jb;
    jmp_buf *volatile saved = cst_errjmp;
    cst_utterance *volatile u = NULL;
    cst_errjmp = &jb;
    if (setjmp(jb) != 0) {
        // flite reported an error (it would otherwise exit the process). The utterance may be inconsistent:
        // leak it rather than walk it.
        cst_errjmp = saved;
        pthread_mutex_unlock(&csp_lock);
        free(b->phone_items);
        free(b);
        csp_result_free(r);
        return CSP_ERR_FLITE;
    }
    cst_voice *v = csp_voices[voice >= 0 ? voice : CSP_VOICE_SLT];
    u = new_utterance();
    utt_set_input_text(u, buf);
    utt_init(u, v);
    if (voice >= 0) {
        flite_feat_set_float(u->features, "int_f0_target_mean", clampf(f0, 50, 500, 120));
        flite_feat_set_float(u->features, "int_f0_target_stddev", 0.0f);
        float base = flite_get_param_float(v->features, "duration_stretch", 1.0f);
        flite_feat_set_float(u->features, "duration_stretch", base * clampf(stretch, 0.25, 4, 1));
        // The clustergen vocoder draws its noise excitation from rand(): seed it so the same call gives the
        // same samples.
        srand(1);
        if (frames_only && voice_cg_db(v)) {
            cst_audio_streaming_info *asi = new_audio_streaming_info();
            asi->min_buffsize = 0;
            asi->asc = stop_stream;
            feat_set(u->features, "streaming_info", audio_streaming_info_val(asi));  // the utterance frees it
        }
        utt_synth(u);
    } else {
        apply_synth_method(u, csp_text_modules);
    }
    status = extract_tokens(u, b);
    if (status == CSP_OK && voice >= 0) {
        status = extract_segments(u, b);
        if (status == CSP_OK) status = extract_params(u, r);
        cst_wave *w = utt_wave(u);
        if (status == CSP_OK && w) {
            int count = cst_wave_num_samples(w) * cst_wave_num_channels(w);
            if (count < 0) count = 0;
            r->sample_rate = cst_wave_sample_rate(w);
            if (r->sample_rate <= 0 && voice_cg_db(v)) r->sample_rate = voice_cg_db(v)->sample_rate;  // frames only
            // The segments and the wave must span the same time: the diphone voice's wave can stop short of the
            // last (pause) segment's end, so pad with silence; a longer wave extends the last segment.
            int total = count;
            if (r->segment_count > 0 && r->sample_rate > 0) {
                csp_segment *last = &r->segments[r->segment_count - 1];
                int seg_total = (int)(last->end * (float)r->sample_rate + 0.5f);
                if (seg_total > total) total = seg_total;
                last->end = (float)total / (float)r->sample_rate;
            }
            r->samples = calloc((size_t)(total > 0 ? total : 1), sizeof(float));
            if (!r->samples) {
                status = CSP_ERR_MEMORY;
            } else {
                for (int i = 0; i < count; i++) r->samples[i] = (float)w->samples[i] / 32768.0f;
                r->sample_count = (size_t)total;
            }
        }
    }
    delete_utterance(u);
    cst_errjmp = saved;
    pthread_mutex_unlock(&csp_lock);

    free(b->phone_items);
    free(b);
    if (status != CSP_OK) {
        csp_result_free(r);
        return status;
    }
    *out = r;
    return CSP_OK;
}

int csp_pronounce(const char *text, csp_result **out) { return run(text, -1, 0, 1, 0, out); }

int csp_speak(const char *text, csp_voice voice, double f0, double stretch, csp_result **out) {
    if ((int)voice < 0 || (int)voice >= CSP_VOICE_COUNT) return CSP_ERR_ARGUMENT;
    return run(text, (int)voice, f0, stretch, 0, out);
}

int csp_speak_frames(const char *text, csp_voice voice, double f0, double stretch, csp_result **out) {
    if ((int)voice < 0 || (int)voice >= CSP_VOICE_COUNT) return CSP_ERR_ARGUMENT;
    return run(text, (int)voice, f0, stretch, 1, out);
}
