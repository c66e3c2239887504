// libFuzzer target: the audio reader `chromasong convert` uses (cdsp_audio_reader_open/_read over libsndfile),
// fed through a memory file (memfd) so the product's own path-based call is what runs.
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cdsp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int fd = memfd_create("fuzz-audio", 0);
    if (fd < 0) return 0;
    if (size > 0 && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int rate = 0, channels = 0;
    cdsp_status st;
    cdsp_audio_reader *r = cdsp_audio_reader_open(path, &rate, &channels, &st);
    if (r) {
        float left[1024], right[1024];
        // a bounded read: at most 64 blocks of a long declared stream
        for (int i = 0; i < 64; i++)
            if (cdsp_audio_reader_read(r, left, right, 1024, &st) < 1024 || st != CDSP_OK) break;
        cdsp_audio_reader_close(r);
    }
    close(fd);
    return 0;
}
