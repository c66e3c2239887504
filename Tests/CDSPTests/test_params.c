// The preset tables of cdsp_params.h (issue 10): the core's defaults and clamps are the tables' own, row by row,
// and a voice whose fields are all out of range or NaN still renders.
#include <string.h>
#include "cdsp.h"
#include "cdsp_test.h"

typedef struct {
    size_t (*count)(void);
    const cdsp_param_info *(*row)(size_t);
    size_t size;
    void (*fill_default)(void *);
    void (*set)(void *, const double *, size_t);
    void (*clamp)(void *);
} table;

static void voice_default(void *p) { cdsp_voice_params_default(p); }
static void voice_set(void *p, const double *v, size_t n) { cdsp_voice_params_set_values(p, v, n); }
static void voice_clamp(void *p) { cdsp_voice_params_clamp(p); }
static void drum_default(void *p) { cdsp_drum_params_default(p); }
static void drum_set(void *p, const double *v, size_t n) { cdsp_drum_params_set_values(p, v, n); }
static void drum_clamp(void *p) { cdsp_drum_params_clamp(p); }

static const table tables[2] = {
    {cdsp_voice_param_count, cdsp_voice_param_info, sizeof(cdsp_voice_params), voice_default, voice_set, voice_clamp},
    {cdsp_drum_param_count, cdsp_drum_param_info, sizeof(cdsp_drum_params), drum_default, drum_set, drum_clamp},
};

/// The row's value as the struct holds it.
static float in_struct(const cdsp_param_info *row, double v) {
    if (row->conversion == CDSP_PARAM_DECIBELS) return cdsp_db_to_gain((float)v);
    if (row->conversion == CDSP_PARAM_ROUNDED) return roundf((float)v);
    return (float)v;
}

static float field(const void *params, const cdsp_param_info *row) {
    float f;
    memcpy(&f, (const char *)params + row->offset, sizeof f);
    return f;
}

static void set_field(void *params, const cdsp_param_info *row, float f) {
    memcpy((char *)params + row->offset, &f, sizeof f);
}

CDSP_TEST(rows_are_well_formed) {
    for (int t = 0; t < 2; t++) {
        const table *tb = &tables[t];
        CDSP_CHECK(tb->count() > 0 && tb->row(tb->count()) == NULL);
        for (size_t i = 0; i < tb->count(); i++) {
            const cdsp_param_info *row = tb->row(i);
            CDSP_CHECK(row && row->identifier && row->identifier[0] && row->unit && row->summary);
            CDSP_CHECK(row->minimum < row->maximum);
            CDSP_CHECK(row->default_value >= row->minimum && row->default_value <= row->maximum);
            CDSP_CHECK(row->offset == -1 || (row->offset >= 0 && (size_t)row->offset + sizeof(float) <= tb->size));
            for (size_t j = 0; j < i; j++) CDSP_CHECK(strcmp(tb->row(j)->identifier, row->identifier) != 0);
        }
    }
    // The typed keys follow the rows.
    CDSP_CHECK(strcmp(cdsp_voice_param_info(CDSP_VOICE_PARAM_cutoff)->identifier, "cutoff") == 0);
    CDSP_CHECK(strcmp(cdsp_voice_param_info(CDSP_VOICE_PARAM_chorusDepth)->identifier, "chorusDepth") == 0);
    CDSP_CHECK(strcmp(cdsp_drum_param_info(CDSP_DRUM_PARAM_pan)->identifier, "pan") == 0);
    CDSP_CHECK(cdsp_drum_param_info(CDSP_DRUM_PARAM_pan)->offset == -1);
}

CDSP_TEST(defaults_are_the_tables) {
    for (int t = 0; t < 2; t++) {
        const table *tb = &tables[t];
        char params[256];
        tb->fill_default(params);
        for (size_t i = 0; i < tb->count(); i++) {
            const cdsp_param_info *row = tb->row(i);
            if (row->offset < 0) continue;
            float got = field(params, row), want = in_struct(row, row->default_value);
            if (got != want) fprintf(stderr, "  default of %s: %g, table %g\n", row->identifier, got, want);
            CDSP_CHECK(got == want);
        }
    }
}

/// Each field alone: above the range -> the maximum, below -> the minimum, NaN and infinity -> the default, inside
/// -> itself; through the clamp and through set_values.
CDSP_TEST(clamps_are_the_tables_ranges) {
    for (int t = 0; t < 2; t++) {
        const table *tb = &tables[t];
        for (size_t i = 0; i < tb->count(); i++) {
            const cdsp_param_info *row = tb->row(i);
            if (row->offset < 0) continue;
            double span = row->maximum - row->minimum;
            const double probes[5][2] = {
                {row->maximum + span, row->maximum}, {row->minimum - span, row->minimum},
                {NAN, row->default_value}, {INFINITY, row->default_value},
                {row->minimum + 0.5 * span, row->minimum + 0.5 * span},
            };
            for (int k = 0; k < 5; k++) {
                char params[256];
                tb->fill_default(params);
                // Out of range in the struct's own unit (dB rows: a linear gain past the converted bound).
                float raw = isfinite(probes[k][0]) ? in_struct(row, probes[k][0]) : (float)probes[k][0];
                if (row->conversion == CDSP_PARAM_DECIBELS && isfinite(probes[k][0]))
                    raw = probes[k][0] > row->maximum ? 2 * in_struct(row, row->maximum)
                        : probes[k][0] < row->minimum ? 0.5f * in_struct(row, row->minimum) : raw;
                set_field(params, row, raw);
                tb->clamp(params);
                float want = in_struct(row, probes[k][1]);
                if (field(params, row) != want)
                    fprintf(stderr, "  clamp %s probe %d: %g, want %g\n", row->identifier, k, field(params, row), want);
                CDSP_CHECK(field(params, row) == want);

                double values[64];
                for (size_t j = 0; j < tb->count(); j++) values[j] = tb->row(j)->default_value;
                values[i] = probes[k][0];
                tb->set(params, values, tb->count());
                if (field(params, row) != want)
                    fprintf(stderr, "  set %s probe %d: %g, want %g\n", row->identifier, k, field(params, row), want);
                CDSP_CHECK(field(params, row) == want);
            }
        }
    }
}

CDSP_TEST(a_voice_out_of_every_range_renders) {
    cdsp_voice_params p;
    cdsp_voice_params_default(&p);
    for (size_t i = 0; i < cdsp_voice_param_count(); i++) {
        const cdsp_param_info *row = cdsp_voice_param_info(i);
        if (row->offset >= 0) set_field(&p, row, i % 2 ? 1e9f : NAN);
    }
    size_t n = 4410;
    float *x = calloc(n, sizeof(float));
    CDSP_CHECK(cdsp_voice_render(&p, 44100.0f, 220.0f, 0, 1.0f, n / 2, 3, x, n) == CDSP_OK);
    int finite = 1;
    for (size_t i = 0; i < n; i++) finite &= isfinite(x[i]) != 0;
    CDSP_CHECK(finite);
    free(x);
}

int main(void) {
    CDSP_RUN(rows_are_well_formed);
    CDSP_RUN(defaults_are_the_tables);
    CDSP_RUN(clamps_are_the_tables_ranges);
    CDSP_RUN(a_voice_out_of_every_range_renders);
    CDSP_TEST_END();
}
