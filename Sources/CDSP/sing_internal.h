// Private to the C core: the singer's time map (output samples -> source time), piecewise linear through knots,
// shared by the TD-PSOLA (sing.c) and the vocoder (vocoder.c), so both read the same map the same way.
#ifndef CDSP_SING_INTERNAL_H
#define CDSP_SING_INTERNAL_H

#include <stddef.h>

/// Whether the knots' output times never go down (two equal times make a jump).
static inline int cdsp_map_is_ordered(const double *map_out, size_t count) {
    for (size_t k = 1; k < count; k++)
        if (map_out[k] < map_out[k - 1]) return 0;
    return 1;
}

/// The map's source time at output time t: held before the first knot and after the last, linear between.
/// `*knot` is a search hint that only moves forward: start it at 0 and call with non-decreasing t.
static inline double cdsp_map_time(const double *map_out, const double *map_src, size_t count, double t,
                                   size_t *knot) {
    if (t <= map_out[0]) return map_src[0];
    while (*knot + 1 < count && map_out[*knot + 1] <= t) (*knot)++;
    if (*knot + 1 >= count) return map_src[count - 1];
    double span = map_out[*knot + 1] - map_out[*knot];
    double u = span > 0 ? (t - map_out[*knot]) / span : 0;
    return map_src[*knot] + u * (map_src[*knot + 1] - map_src[*knot]);
}

#endif
