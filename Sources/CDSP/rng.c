// Seeded randomness for the C core: xoshiro256** seeded through splitmix64. Never rand(), never the clock, so
// every render is reproducible.
#include "cdsp_common.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void cdsp_rng_seed(cdsp_rng *rng, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t cdsp_rng_next(cdsp_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float cdsp_rng_uniform(cdsp_rng *rng) { return (float)(cdsp_rng_next(rng) >> 40) * (1.0f / 16777216.0f); }

float cdsp_rng_bipolar(cdsp_rng *rng) { return cdsp_rng_uniform(rng) * 2.0f - 1.0f; }
