// Whole-buffer sample-rate conversion over libsamplerate (sinc, medium quality; or its fastest sinc).
#include <limits.h>
#include <samplerate.h>

#include "cdsp_fx.h"

static cdsp_status resample(const float *in, size_t in_frames, int channels, double ratio, float *out,
                            size_t out_capacity, size_t *out_frames, int converter) {
    if (out_frames) *out_frames = 0;
    if (!in || !out || !out_frames || channels < 1 || channels > 8 || !(ratio >= 1.0 / 256.0 && ratio <= 256.0))
        return CDSP_ERR_ARGUMENT;
    if (in_frames > LONG_MAX || out_capacity > LONG_MAX) return CDSP_ERR_TOO_LARGE;
    SRC_DATA d = {0};
    d.data_in = in;
    d.data_out = out;
    d.input_frames = (long)in_frames;
    d.output_frames = (long)out_capacity;
    d.src_ratio = ratio;
    d.end_of_input = 1;
    int err = src_simple(&d, converter, channels);
    if (err != 0) return err == 1 /* malloc failed */ ? CDSP_ERR_MEMORY : CDSP_ERR_ARGUMENT;
    *out_frames = (size_t)d.output_frames_gen;
    return CDSP_OK;
}

cdsp_status cdsp_resample(const float *in, size_t in_frames, int channels, double ratio, float *out,
                          size_t out_capacity, size_t *out_frames) {
    return resample(in, in_frames, channels, ratio, out, out_capacity, out_frames, SRC_SINC_MEDIUM_QUALITY);
}

cdsp_status cdsp_resample_fast(const float *in, size_t in_frames, int channels, double ratio, float *out,
                               size_t out_capacity, size_t *out_frames) {
    return resample(in, in_frames, channels, ratio, out, out_capacity, out_frames, SRC_SINC_FASTEST);
}
