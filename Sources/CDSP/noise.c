// Seeded noise: white from xoshiro256**, pink from Paul Kellet's refined 7-pole filter of white noise.
#include <stdlib.h>
#include "synth_internal.h"

struct cdsp_noise {
    cdsp_rng rng;
    int color;
    float b[7];
};

cdsp_noise *cdsp_noise_create(cdsp_noise_color color, uint64_t seed) {
    cdsp_noise *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->color = color == CDSP_NOISE_PINK ? CDSP_NOISE_PINK : CDSP_NOISE_WHITE;
    cdsp_rng_seed(&n->rng, seed);
    return n;
}

void cdsp_noise_destroy(cdsp_noise *noise) { free(noise); }

void cdsp_noise_process(cdsp_noise *noise, float *out, size_t frames) {
    if (!noise || !out) return;
    if (noise->color == CDSP_NOISE_WHITE) {
        for (size_t i = 0; i < frames; i++) out[i] = cdsp_rng_bipolar(&noise->rng);
        return;
    }
    float *b = noise->b;
    for (size_t i = 0; i < frames; i++) {
        float w = cdsp_rng_bipolar(&noise->rng);
        b[0] = 0.99886f * b[0] + w * 0.0555179f;
        b[1] = 0.99332f * b[1] + w * 0.0750759f;
        b[2] = 0.96900f * b[2] + w * 0.1538520f;
        b[3] = 0.86650f * b[3] + w * 0.3104856f;
        b[4] = 0.55000f * b[4] + w * 0.5329522f;
        b[5] = -0.7616f * b[5] - w * 0.0168980f;
        float pink = b[0] + b[1] + b[2] + b[3] + b[4] + b[5] + b[6] + w * 0.5362f;
        b[6] = w * 0.115926f;
        out[i] = pink * 0.2f;   // about the RMS of the white source
    }
}
