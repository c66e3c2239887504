// File helpers shared by the C tests that read images: a whole file into memory, and the folder of the shared
// photos (../shared/images beside the repository; CDSP_TEST_IMAGES overrides).
#ifndef CDSP_TEST_FILES_H
#define CDSP_TEST_FILES_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/// The whole file, malloc'ed (one spare byte), or NULL.
static inline uint8_t *cdsp_test_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = n >= 0 ? malloc((size_t)n + 1) : NULL;
    *size = d ? fread(d, 1, (size_t)n, f) : 0;
    fclose(f);
    return d;
}

/// Writes the shared photos' folder into `dir` and returns 1, or prints that the tests on them are skipped and
/// returns 0. Tests run in Tests/CDSPTests/build (worktrees sit one level deeper than the main checkout).
static inline int cdsp_test_find_images(char *dir, size_t capacity) {
    const char *env = getenv("CDSP_TEST_IMAGES");
    const char *candidates[] = {env ? env : "", "../../../../shared/images", "../../../../../shared/images",
                                "/work/shared/images"};
    for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++) {
        char probe[PATH_MAX + 64];
        snprintf(probe, sizeof(probe), "%s/dune.png", candidates[i]);
        if (candidates[i][0] && access(probe, R_OK) == 0) {
            snprintf(dir, capacity, "%s", candidates[i]);
            return 1;
        }
    }
    printf("   note: shared test images not found, tests on the shared photos skipped\n");
    return 0;
}

#endif
