// Filters: Simper's zero-delay-feedback SVF and a zero-delay-feedback 4-pole ladder with tanh input saturation.
// Both stay stable for any cutoff up to 0.45 fs and resonance 0...1 (cutoffs are clamped to that range).
#include <stdlib.h>
#include "synth_internal.h"

struct cdsp_svf {
    synth_svf f;
};

cdsp_svf *cdsp_svf_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_svf *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->f.sample_rate = sample_rate;
    synth_svf_set(&s->f, CDSP_SVF_LOWPASS, 1000.0f, 0.0f);
    return s;
}

void cdsp_svf_destroy(cdsp_svf *f) { free(f); }

void cdsp_svf_reset(cdsp_svf *f) {
    if (f) f->f.ic1 = f->f.ic2 = 0.0f;
}

void cdsp_svf_set(cdsp_svf *f, cdsp_svf_mode mode, float cutoff, float resonance) {
    if (!f) return;
    int m = (mode >= CDSP_SVF_LOWPASS && mode <= CDSP_SVF_NOTCH) ? (int)mode : CDSP_SVF_LOWPASS;
    synth_svf_set(&f->f, m, cutoff, resonance);
}

void cdsp_svf_process(cdsp_svf *f, const float *cutoff_mod, float *inout, size_t frames) {
    if (!f || !inout) return;
    synth_svf *s = &f->f;
    if (!cutoff_mod) {
        for (size_t i = 0; i < frames; i += 256) synth_svf_block(s, inout + i, frames - i < 256 ? (int)(frames - i) : 256);
        return;
    }
    float set_cutoff = s->cutoff, last = -1.0f;
    for (size_t i = 0; i < frames; i++) {
        if (cutoff_mod[i] != last) {   // recompute only when the modulation moves
            last = cutoff_mod[i];
            synth_svf_coefs(s, last);
        }
        inout[i] = synth_svf_tick(s, inout[i]);
    }
    synth_svf_coefs(s, set_cutoff);
}

struct cdsp_ladder {
    synth_ladder f;
};

cdsp_ladder *cdsp_ladder_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_ladder *l = calloc(1, sizeof *l);
    if (!l) return NULL;
    l->f.sample_rate = sample_rate;
    synth_ladder_set(&l->f, 1000.0f, 0.0f, 1.0f);
    return l;
}

void cdsp_ladder_destroy(cdsp_ladder *f) { free(f); }

void cdsp_ladder_reset(cdsp_ladder *f) {
    if (f) f->f.s[0] = f->f.s[1] = f->f.s[2] = f->f.s[3] = 0.0f;
}

void cdsp_ladder_set(cdsp_ladder *f, float cutoff, float resonance, float drive) {
    if (f) synth_ladder_set(&f->f, cutoff, resonance, drive);
}

void cdsp_ladder_process(cdsp_ladder *f, const float *cutoff_mod, float *inout, size_t frames) {
    if (!f || !inout) return;
    synth_ladder *s = &f->f;
    if (!cutoff_mod) {
        for (size_t i = 0; i < frames; i += 256)
            synth_ladder_block(s, inout + i, frames - i < 256 ? (int)(frames - i) : 256);
        return;
    }
    float set_cutoff = s->cutoff, last = -1.0f;
    for (size_t i = 0; i < frames; i++) {
        if (cutoff_mod[i] != last) {
            last = cutoff_mod[i];
            synth_ladder_coefs(s, last);
        }
        synth_ladder_block(s, inout + i, 1);
    }
    synth_ladder_coefs(s, set_cutoff);
}
