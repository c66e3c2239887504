#ifndef CDSP_COMMON_H
#define CDSP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Status codes returned by every fallible CDSP call.
typedef enum {
    CDSP_OK = 0,
    CDSP_ERR_ARGUMENT = -1,     ///< a parameter is out of its documented range
    CDSP_ERR_MEMORY = -2,       ///< an allocation failed
    CDSP_ERR_IO = -3,           ///< a file could not be opened, read or written
    CDSP_ERR_FORMAT = -4,       ///< the bytes are not of a supported format
    CDSP_ERR_TOO_LARGE = -5,    ///< the input exceeds a size or pixel limit
    CDSP_ERR_CORRUPT = -6,      ///< the bytes claim a supported format but cannot be decoded
} cdsp_status;

/// A small, fast, seedable generator (xoshiro256** seeded through splitmix64). Same seed, same sequence.
typedef struct {
    uint64_t s[4];
} cdsp_rng;

void cdsp_rng_seed(cdsp_rng *rng, uint64_t seed);
/// Uniform in [0, 1).
float cdsp_rng_uniform(cdsp_rng *rng);
/// Uniform in [-1, 1).
float cdsp_rng_bipolar(cdsp_rng *rng);
uint64_t cdsp_rng_next(cdsp_rng *rng);

static inline float cdsp_db_to_gain(float db) { return __builtin_powf(10.0f, db / 20.0f); }

// The process's allocator: buffers of `bytes` or more are mapped on their own and returned to the system when
// freed (glibc's M_MMAP_THRESHOLD, which also stops glibc raising the threshold after a large free). Process-wide;
// called by the executables, not by the library (SongEngine's ProcessMemory). Returns 1 when set, 0 otherwise.
int cdsp_fixed_mmap_threshold(size_t bytes);
// The process's allocator: at most `arenas` malloc arenas (glibc's M_ARENA_MAX; its default is eight per core).
// Set before the threads start. Returns 1 when set, 0 otherwise.
int cdsp_arena_limit(int arenas);

#ifdef __cplusplus
}
#endif
#endif
