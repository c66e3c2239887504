// libFuzzer target: cdsp_image_decode over every format (JPEG, PNG, GIF, BMP, WebP) with a small pixel limit, as
// the server and the CLI call it on untrusted bytes. Built by scripts/fuzz.sh with ASan+UBSan.
#include <stddef.h>
#include <stdint.h>

#include "cdsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    cdsp_image_format f;
    cdsp_image_sniff(data, size);
    cdsp_image_probe(data, size, &f, &w, &h);
    if (cdsp_image_decode(data, size, 1u << 20, &rgba, &w, &h, &f) == CDSP_OK) {
        // touch every pixel so a short buffer shows up under ASan
        volatile unsigned sum = 0;
        for (size_t i = 0; i < (size_t)w * (size_t)h * 4; i++) sum += rgba[i];
        cdsp_image_free(rgba);
    } else if (rgba != NULL) {
        __builtin_trap();  // a refusal must leave no pixels behind
    }
    return 0;
}
