// Issue 9, findings 1 and 7: hostile image bytes. A JPEG whose Huffman table declares 700 codes (stb_image 2.27
// crashed on it), half a JPEG with an end marker appended, a 47-byte BMP claiming ~34 megapixels, truncated
// PNG/GIF/WebP files, and every shared photo still decoding at its size.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <webp/encode.h>

#include "cdsp.h"
#include "cdsp_test.h"
#include "cdsp_test_files.h"


/// A noisy 48x32 RGBA picture written by the product's own writer (stb) and read back as bytes.
static uint8_t *written(int jpeg, size_t *size) {
    enum { W = 48, H = 32 };
    static uint8_t rgba[W * H * 4];
    uint32_t s = 12345;
    for (int i = 0; i < W * H * 4; i++) {
        s = s * 1103515245u + 12345u;
        rgba[i] = (i % 4 == 3) ? 255 : (uint8_t)(s >> 16);
    }
    char path[] = "/tmp/cdsp-image-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) return NULL;
    close(fd);
    cdsp_status st = jpeg ? cdsp_image_write_jpeg(path, rgba, W, H, 90) : cdsp_image_write_png(path, rgba, W, H);
    uint8_t *d = st == CDSP_OK ? cdsp_test_read_file(path, size) : NULL;
    unlink(path);
    return d;
}

static cdsp_status decode(const uint8_t *d, size_t n, uint64_t limit) {
    uint8_t *rgba = (uint8_t *)1;
    int w = -1, h = -1;
    cdsp_image_format f;
    cdsp_status st = cdsp_image_decode(d, n, limit, &rgba, &w, &h, &f);
    if (st == CDSP_OK) cdsp_image_free(rgba);
    else if (rgba != NULL) return CDSP_ERR_ARGUMENT;  // a refusal must leave no pixels behind
    return st;
}

/// Finding 1: a valid baseline JPEG with, just before its scan (SOS), a DHT segment redefining the luminance DC
/// table 0 with 700 codes of 16 bits (at most 256 codes are allowed).
CDSP_TEST(jpeg_huffman_table_with_700_codes_refused) {
    size_t n = 0;
    uint8_t *jpg = written(1, &n);
    CDSP_CHECK(jpg != NULL && n > 100);
    if (!jpg) return;
    CDSP_CHECK(decode(jpg, n, 40000000ull) == CDSP_OK);  // the carrier itself is fine
    size_t seg = 2 + 2 + 1 + 16 + 700;
    uint8_t *bad = malloc(n + seg);
    size_t sos = 2;
    while (sos + 1 < n && !(jpg[sos] == 0xFF && jpg[sos + 1] == 0xDA)) sos++;
    CDSP_CHECK(sos + 1 < n);
    memcpy(bad, jpg, sos);
    uint8_t *p = bad + sos;
    *p++ = 0xFF;
    *p++ = 0xC4;
    *p++ = (uint8_t)((seg - 2) >> 8);
    *p++ = (uint8_t)((seg - 2) & 0xFF);
    *p++ = 0x00;  // class 0 (DC), table 0
    for (int i = 0; i < 16; i++) *p++ = 0;
    // counts are single bytes: 700 codes need several lengths; 255 + 255 + 190 codes of 14, 15 and 16 bits
    p[-3] = 255;
    p[-2] = 255;
    p[-1] = 190;
    for (int i = 0; i < 700; i++) *p++ = (uint8_t)(i % 12);
    memcpy(p, jpg + sos, n - sos);
    size_t total = n + seg;
    cdsp_image_format f;
    int w = 0, h = 0;
    CDSP_CHECK(cdsp_image_probe(bad, total, &f, &w, &h) == CDSP_ERR_CORRUPT);
    CDSP_CHECK(decode(bad, total, 40000000ull) == CDSP_ERR_CORRUPT);
    free(bad);
    free(jpg);
}

/// Finding 7: the first half of a JPEG with FF D9 appended decodes to a half-grey picture in lenient decoders.
CDSP_TEST(half_jpeg_with_end_marker_refused) {
    size_t n = 0;
    uint8_t *jpg = written(1, &n);
    CDSP_CHECK(jpg != NULL);
    if (!jpg) return;
    size_t half = n / 2;
    uint8_t *cut = malloc(half + 2);
    memcpy(cut, jpg, half);
    cut[half] = 0xFF;
    cut[half + 1] = 0xD9;
    CDSP_CHECK(decode(cut, half + 2, 40000000ull) == CDSP_ERR_CORRUPT);
    CDSP_CHECK(decode(jpg, n - 2, 40000000ull) == CDSP_ERR_CORRUPT);  // end marker missing
    CDSP_CHECK(decode(jpg, half, 40000000ull) == CDSP_ERR_CORRUPT);
    free(cut);
    free(jpg);
}

/// Finding 7: a 47-byte BMP whose header claims 8000 x 4250 (34 megapixels, under the 40 MP limit) holds no
/// pixel array; likewise an OS/2 core-header BMP claiming 5832 x 5832.
CDSP_TEST(tiny_bmp_claiming_34_megapixels_refused) {
    uint8_t bmp[47] = {'B', 'M', 47, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0,
                       0x40, 0x1F, 0, 0,  // width 8000
                       0x9A, 0x10, 0, 0,  // height 4250
                       1, 0, 24, 0};
    CDSP_CHECK(decode(bmp, sizeof(bmp), 40000000ull) == CDSP_ERR_CORRUPT);
    uint8_t core[47] = {'B', 'M', 47, 0, 0, 0, 0, 0, 0, 0, 26, 0, 0, 0, 12, 0, 0, 0,
                        0xC8, 0x16, 0xC8, 0x16,  // 5832 x 5832
                        1, 0, 24, 0};
    CDSP_CHECK(decode(core, sizeof(core), 40000000ull) == CDSP_ERR_CORRUPT);
    // a whole 2x2 24-bit BMP decodes, bottom-up, with the right colours
    uint8_t ok[54 + 16] = {'B', 'M', 70, 0, 0, 0, 0, 0, 0, 0, 54, 0, 0, 0, 40, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 24};
    uint8_t *px = ok + 54;
    px[0] = 255;             // bottom-left blue
    px[8 + 5] = 255;         // top-right red
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    cdsp_image_format f;
    CDSP_CHECK(cdsp_image_decode(ok, sizeof(ok), 100, &rgba, &w, &h, &f) == CDSP_OK);
    if (rgba) {
        CDSP_CHECK(w == 2 && h == 2 && f == CDSP_IMAGE_BMP);
        CDSP_CHECK(rgba[4 * 1 + 0] == 255 && rgba[4 * 1 + 2] == 0);  // top-right: red
        CDSP_CHECK(rgba[4 * 2 + 2] == 255 && rgba[4 * 2 + 0] == 0);  // bottom-left: blue
        cdsp_image_free(rgba);
    }
    CDSP_CHECK(decode(ok, sizeof(ok) - 1, 100) == CDSP_ERR_CORRUPT);
    CDSP_CHECK(decode(ok, sizeof(ok), 3) == CDSP_ERR_TOO_LARGE);
}

/// A 2x2 GIF89a (global palette of 2 colours) and its truncations.
static const uint8_t tiny_gif[] = {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255,
                                   0x2C, 0, 0, 0, 0, 2, 0, 2, 0, 0, 2, 3, 0x84, 0x1D, 0x05, 0, 0x3B};

CDSP_TEST(truncated_png_gif_webp_refused) {
    size_t n = 0;
    uint8_t *png = written(0, &n);
    CDSP_CHECK(png != NULL);
    if (png) {
        CDSP_CHECK(decode(png, n, 40000000ull) == CDSP_OK);
        CDSP_CHECK(decode(png, n / 2, 40000000ull) == CDSP_ERR_CORRUPT);
        CDSP_CHECK(decode(png, n - 12, 40000000ull) == CDSP_ERR_CORRUPT);  // IEND missing
        free(png);
    }
    CDSP_CHECK(decode(tiny_gif, sizeof(tiny_gif), 100) == CDSP_OK);
    CDSP_CHECK(decode(tiny_gif, sizeof(tiny_gif) - 4, 100) == CDSP_ERR_CORRUPT);  // LZW data cut
    CDSP_CHECK(decode(tiny_gif, 25, 100) == CDSP_ERR_CORRUPT);
    enum { W = 40, H = 30 };
    uint8_t rgba[W * H * 4];
    for (int i = 0; i < W * H * 4; i++) rgba[i] = (uint8_t)(i * 7 + i / 13);
    uint8_t *webp = NULL;
    size_t wn = WebPEncodeRGBA(rgba, W, H, W * 4, 80, &webp);
    CDSP_CHECK(wn > 0);
    if (wn > 0) {
        CDSP_CHECK(decode(webp, wn, 40000000ull) == CDSP_OK);
        CDSP_CHECK(decode(webp, wn / 2, 40000000ull) == CDSP_ERR_CORRUPT);
        CDSP_CHECK(decode(webp, wn - 1, 40000000ull) == CDSP_ERR_CORRUPT);
        WebPFree(webp);
    }
}

/// Every photo in ../shared/images (beside the repository) decodes at its size.
CDSP_TEST(shared_photos_decode_at_their_size) {
    const char *dirs[] = {getenv("CDSP_TEST_IMAGES"), "../../../../shared/images", "../../../../../shared/images",
                          "/work/shared/images"};
    static const struct { const char *name; int w, h; } photos[] = {
        {"aqua.jpg", 800, 500},      {"blinds.jpg", 800, 500},       {"dune.png", 800, 500},
        {"freshflower.webp", 800, 602}, {"garden.gif", 800, 500},   {"greenmeadow.bmp", 800, 640},
        {"ladybird.jpg", 800, 500},  {"raindrops.webp", 800, 500},   {"storm.jpg", 800, 533},
        {"twowings.png", 800, 500},  {"wood.jpg", 800, 600},         {"yellowflower.jpg", 800, 500}};
    const char *dir = NULL;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && !dir; i++) {
        char probe[PATH_MAX];
        if (!dirs[i]) continue;
        snprintf(probe, sizeof(probe), "%s/dune.png", dirs[i]);
        if (access(probe, R_OK) == 0) dir = dirs[i];
    }
    if (!dir) {
        printf("   note: shared images not found, skipped\n");
        return;
    }
    for (size_t i = 0; i < sizeof(photos) / sizeof(photos[0]); i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", dir, photos[i].name);
        size_t n = 0;
        uint8_t *d = cdsp_test_read_file(path, &n);
        CDSP_CHECK(d != NULL);
        if (!d) continue;
        uint8_t *rgba = NULL;
        int w = 0, h = 0;
        cdsp_image_format f;
        cdsp_status st = cdsp_image_decode(d, n, 40000000ull, &rgba, &w, &h, &f);
        if (st != CDSP_OK || w != photos[i].w || h != photos[i].h)
            fprintf(stderr, "  %s: status %d, %d x %d\n", photos[i].name, (int)st, w, h);
        CDSP_CHECK(st == CDSP_OK && w == photos[i].w && h == photos[i].h);
        cdsp_image_free(rgba);
        free(d);
    }
}

int main(void) {
    CDSP_RUN(jpeg_huffman_table_with_700_codes_refused);
    CDSP_RUN(half_jpeg_with_end_marker_refused);
    CDSP_RUN(tiny_bmp_claiming_34_megapixels_refused);
    CDSP_RUN(truncated_png_gif_webp_refused);
    CDSP_RUN(shared_photos_decode_at_their_size);
    CDSP_TEST_END();
}
