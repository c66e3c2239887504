// The preset tables of cdsp_params.h as data, and the defaults, conversions and clamps built from them.
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "cdsp_params.h"

#define ROW_X(type, id, field, def, lo, hi, unit, conv, text) \
    {#id, def, lo, hi, unit, text, conv, (int32_t)offsetof(type, field)},
#define ROW_P(id, def, lo, hi, unit, text) {#id, def, lo, hi, unit, text, CDSP_PARAM_PLAIN, -1},
#define VOICE_ROW(id, field, def, lo, hi, unit, conv, text) ROW_X(cdsp_voice_params, id, field, def, lo, hi, unit, conv, text)
#define DRUM_ROW(id, field, def, lo, hi, unit, conv, text) ROW_X(cdsp_drum_params, id, field, def, lo, hi, unit, conv, text)

static const cdsp_param_info voice_rows[] = {
    CDSP_VOICE_PARAMETERS(VOICE_ROW) CDSP_VOICE_PART_PARAMETERS(ROW_P)
};
static const cdsp_param_info drum_rows[] = {
    CDSP_DRUM_PARAMETERS(DRUM_ROW) CDSP_DRUM_PART_PARAMETERS(ROW_P)
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

size_t cdsp_voice_param_count(void) { return COUNT(voice_rows); }
const cdsp_param_info *cdsp_voice_param_info(size_t i) { return i < COUNT(voice_rows) ? &voice_rows[i] : NULL; }
size_t cdsp_drum_param_count(void) { return COUNT(drum_rows); }
const cdsp_param_info *cdsp_drum_param_info(size_t i) { return i < COUNT(drum_rows) ? &drum_rows[i] : NULL; }

/// The value in the struct's unit (linear gain for dB rows), as float, as Swift computed it before the table.
static float converted(const cdsp_param_info *row, double value) {
    switch (row->conversion) {
    case CDSP_PARAM_ROUNDED: return roundf((float)value);
    case CDSP_PARAM_DECIBELS: return cdsp_db_to_gain((float)value);
    default: return (float)value;
    }
}

static void clamp_row(const cdsp_param_info *row, float *field) {
    float lo = converted(row, row->minimum), hi = converted(row, row->maximum);
    if (!isfinite(*field)) *field = converted(row, row->default_value);
    else if (*field < lo) *field = lo;
    else if (*field > hi) *field = hi;
}

static void set_values(const cdsp_param_info *rows, size_t rows_count, void *params, const double *values,
                       size_t count) {
    for (size_t i = 0; i < rows_count; i++) {
        if (rows[i].offset < 0) continue;
        float *field = (float *)((char *)params + rows[i].offset);
        *field = converted(&rows[i], i < count && values ? values[i] : rows[i].default_value);
        clamp_row(&rows[i], field);
    }
}

static void clamp_all(const cdsp_param_info *rows, size_t rows_count, void *params) {
    for (size_t i = 0; i < rows_count; i++) {
        if (rows[i].offset >= 0) clamp_row(&rows[i], (float *)((char *)params + rows[i].offset));
    }
}

void cdsp_voice_params_default(cdsp_voice_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->engine = CDSP_ENGINE_SUBTRACTIVE;
    p->wave1 = CDSP_WAVE_SAW;
    p->wave2 = CDSP_WAVE_SAW;
    p->filter = CDSP_FILTER_SVF_LP;
    set_values(voice_rows, COUNT(voice_rows), p, NULL, 0);
}

void cdsp_drum_params_default(cdsp_drum_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    set_values(drum_rows, COUNT(drum_rows), p, NULL, 0);
}

void cdsp_voice_params_set_values(cdsp_voice_params *p, const double *values, size_t count) {
    if (p) set_values(voice_rows, COUNT(voice_rows), p, values, count);
}

void cdsp_drum_params_set_values(cdsp_drum_params *p, const double *values, size_t count) {
    if (p) set_values(drum_rows, COUNT(drum_rows), p, values, count);
}

void cdsp_voice_params_clamp(cdsp_voice_params *p) {
    if (p) clamp_all(voice_rows, COUNT(voice_rows), p);
}

void cdsp_drum_params_clamp(cdsp_drum_params *p) {
    if (p) clamp_all(drum_rows, COUNT(drum_rows), p);
}

// Every per-note row names a float field: the offsets above assume it.
#define FLOAT_FIELD(type, field) \
    _Static_assert(_Generic(((type *)0)->field, float: 1, default: 0), #type "." #field " must be a float");
#define VOICE_FLOAT(id, field, def, lo, hi, unit, conv, text) FLOAT_FIELD(cdsp_voice_params, field)
#define DRUM_FLOAT(id, field, def, lo, hi, unit, conv, text) FLOAT_FIELD(cdsp_drum_params, field)
CDSP_VOICE_PARAMETERS(VOICE_FLOAT)
CDSP_DRUM_PARAMETERS(DRUM_FLOAT)

// The structs hold exactly the table's per-note rows (plus the voice's four int32 enumerations), so a field added to a
// struct without a row here, or a row without a field, does not compile.
#define ONE_ROW(...) +1
_Static_assert(sizeof(cdsp_voice_params) == 4 * sizeof(int32_t) + (0 CDSP_VOICE_PARAMETERS(ONE_ROW)) * sizeof(float),
               "cdsp_voice_params and CDSP_VOICE_PARAMETERS disagree");
_Static_assert(sizeof(cdsp_drum_params) == (0 CDSP_DRUM_PARAMETERS(ONE_ROW)) * sizeof(float),
               "cdsp_drum_params and CDSP_DRUM_PARAMETERS disagree");
