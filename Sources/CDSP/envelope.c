// ADSR: linear attack to 1, exponential decay to the sustain level, exponential release from wherever the level
// is. Decay and release times are the time the remaining distance takes to fall by 60 dB; the envelope goes idle
// (exactly 0) once the release falls below -80 dB.
#include <stdlib.h>
#include "synth_internal.h"

struct cdsp_adsr {
    synth_adsr e;
};

cdsp_adsr *cdsp_adsr_create(float sample_rate) {
    if (!(sample_rate > 0.0f)) return NULL;
    cdsp_adsr *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->e.sample_rate = sample_rate;
    synth_adsr_set(&a->e, 0.01f, 0.3f, 0.7f, 0.3f);
    return a;
}

void cdsp_adsr_destroy(cdsp_adsr *env) { free(env); }

void cdsp_adsr_set(cdsp_adsr *env, float attack, float decay, float sustain, float release) {
    if (env) synth_adsr_set(&env->e, attack, decay, sustain, release);
}

void cdsp_adsr_gate(cdsp_adsr *env, int on) {
    if (env) synth_adsr_gate(&env->e, on);
}

void cdsp_adsr_process(cdsp_adsr *env, float *out, size_t frames) {
    if (!env || !out) return;
    for (size_t i = 0; i < frames; i++) out[i] = synth_adsr_tick(&env->e);
}

int cdsp_adsr_is_idle(const cdsp_adsr *env) { return !env || env->e.stage == SYNTH_ENV_IDLE; }
