// The image decoders' rules beyond the issue-9 findings (test_image_hardening.c): the strict BMP decoder on every
// layout it accepts, pixel for pixel, and its refusals; a PNG cut before IEND; a GIF frame outside the logical
// screen; the shared photos cut at several points (1, 2 and 16 bytes short, 10 %, 50 %, 90 %) all refused;
// progressive, restart-marker and greyscale JPEGs decoding; a progressive JPEG of more than 256 scans refused;
// an Adobe CMYK JPEG converted to RGB.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jpeglib.h>
#include <stb_image_write.h>

#include "cdsp.h"
#include "cdsp_test.h"
#include "cdsp_test_files.h"

typedef struct {
    uint8_t *data;
    size_t size, cap;
} buffer;

static void append(buffer *b, const void *bytes, size_t n) {
    if (n == 0) return;
    if (b->size + n > b->cap) {
        b->cap = (b->size + n) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->size, bytes, n);
    b->size += n;
}

static void write_func(void *context, void *data, int size) { append(context, data, (size_t)size); }

static cdsp_status decode(const uint8_t *d, size_t n, uint64_t limit, int *w, int *h) {
    uint8_t *rgba = NULL;
    cdsp_image_format f;
    cdsp_status st = cdsp_image_decode(d, n, limit, &rgba, w, h, &f);
    if (st != CDSP_OK && rgba) st = CDSP_ERR_ARGUMENT;  // a refusal must not hand out pixels
    cdsp_image_free(rgba);
    return st;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

/// Builds a BMP: 14-byte file header, `header` bytes of info header, extra (masks), palette, then the rows.
static buffer make_bmp(uint32_t header, int32_t width, int32_t height, uint16_t bpp, uint32_t compression,
                       const uint32_t *masks, int mask_count, const uint8_t *palette, uint32_t colors,
                       const uint8_t *rows, size_t rows_size) {
    uint8_t h[14 + 124] = {'B', 'M'};
    size_t extra = header == 40 ? 4 * (size_t)mask_count : 0;
    size_t entry = header == 12 ? 3 : 4;
    size_t offset = 14 + header + extra + colors * entry;
    put32(h + 2, (uint32_t)(offset + rows_size));
    put32(h + 10, (uint32_t)offset);
    put32(h + 14, header);
    if (header == 12) {
        put16(h + 18, (uint32_t)width);
        put16(h + 20, (uint32_t)height);
        put16(h + 22, 1);
        put16(h + 24, bpp);
    } else {
        put32(h + 18, (uint32_t)width);
        put32(h + 22, (uint32_t)height);
        put16(h + 26, 1);
        put16(h + 28, bpp);
        put32(h + 30, compression);
        put32(h + 46, bpp <= 8 ? colors : 0);
        if (header > 40)
            for (int k = 0; k < mask_count; k++) put32(h + 54 + 4 * k, masks[k]);
    }
    buffer b = {0};
    append(&b, h, 14 + header);
    if (header == 40)
        for (int k = 0; k < mask_count; k++) {
            uint8_t m[4];
            put32(m, masks[k]);
            append(&b, m, 4);
        }
    append(&b, palette, colors * entry);
    append(&b, rows, rows_size);
    return b;
}

static uint8_t *decode_ok(const buffer *b, int ew, int eh) {
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    cdsp_image_format f;
    cdsp_status st = cdsp_image_decode(b->data, b->size, 1 << 20, &rgba, &w, &h, &f);
    if (st != CDSP_OK) fprintf(stderr, "  bmp: status %d\n", st);
    CDSP_CHECK(st == CDSP_OK && rgba && w == ew && h == eh && f == CDSP_IMAGE_BMP);
    // every byte is required: one short is corrupt
    uint8_t *none = NULL;
    CDSP_CHECK(cdsp_image_decode(b->data, b->size - 1, 1 << 20, &none, &w, &h, &f) == CDSP_ERR_CORRUPT && !none);
    return rgba;
}

static int px(const uint8_t *rgba, int w, int x, int y, uint8_t r, uint8_t g, uint8_t b, uint8_t a) {
    const uint8_t *p = rgba + 4 * ((size_t)y * w + x);
    int ok = p[0] == r && p[1] == g && p[2] == b && p[3] == a;
    if (!ok)
        fprintf(stderr, "  pixel (%d,%d) = %d %d %d %d, expected %d %d %d %d\n", x, y, p[0], p[1], p[2], p[3], r, g,
                b, a);
    return ok;
}

CDSP_TEST(bmp_layouts_decode_exactly) {
    // 24 bpp bottom-up, 3 x 2: rows padded to 12 bytes; the first stored row is the bottom one
    uint8_t rows24[24] = {0, 0, 255, 0, 255, 0, 255, 0, 0, 0, 0, 0, /* top: */ 10, 20, 30, 40, 50, 60, 70, 80, 90};
    buffer b = make_bmp(40, 3, 2, 24, 0, NULL, 0, NULL, 0, rows24, sizeof(rows24));
    uint8_t *p = decode_ok(&b, 3, 2);
    if (p) {
        CDSP_CHECK(px(p, 3, 0, 1, 255, 0, 0, 255) && px(p, 3, 1, 1, 0, 255, 0, 255) && px(p, 3, 2, 1, 0, 0, 255, 255));
        CDSP_CHECK(px(p, 3, 0, 0, 30, 20, 10, 255) && px(p, 3, 2, 0, 90, 80, 70, 255));
    }
    cdsp_image_free(p);
    free(b.data);
    // the same top-down (negative height)
    b = make_bmp(40, 3, -2, 24, 0, NULL, 0, NULL, 0, rows24, sizeof(rows24));
    p = decode_ok(&b, 3, 2);
    if (p) CDSP_CHECK(px(p, 3, 0, 0, 255, 0, 0, 255) && px(p, 3, 2, 1, 90, 80, 70, 255));
    cdsp_image_free(p);
    free(b.data);
    // 1 bpp with a two-colour palette, 10 x 1: bits 1011000001 (MSB first)
    const uint8_t pal2[8] = {0, 0, 0, 0, 255, 255, 255, 0};
    const uint8_t rows1[4] = {0xB0, 0x40, 0, 0};
    b = make_bmp(40, 10, 1, 1, 0, NULL, 0, pal2, 2, rows1, sizeof(rows1));
    p = decode_ok(&b, 10, 1);
    if (p) CDSP_CHECK(px(p, 10, 0, 0, 255, 255, 255, 255) && px(p, 10, 1, 0, 0, 0, 0, 255) &&
                      px(p, 10, 3, 0, 255, 255, 255, 255) && px(p, 10, 9, 0, 255, 255, 255, 255));
    cdsp_image_free(p);
    free(b.data);
    // 4 bpp, three palette entries, 3 x 1: indices 2, 0, 1
    const uint8_t pal3[12] = {1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0};
    const uint8_t rows4[4] = {0x20, 0x10, 0, 0};
    b = make_bmp(40, 3, 1, 4, 0, NULL, 0, pal3, 3, rows4, sizeof(rows4));
    p = decode_ok(&b, 3, 1);
    if (p) CDSP_CHECK(px(p, 3, 0, 0, 9, 8, 7, 255) && px(p, 3, 2, 0, 6, 5, 4, 255));
    cdsp_image_free(p);
    free(b.data);
    // an index past the palette is corrupt
    const uint8_t rows4bad[4] = {0x30, 0, 0, 0};
    b = make_bmp(40, 1, 1, 4, 0, NULL, 0, pal3, 3, rows4bad, sizeof(rows4bad));
    int w, h;
    CDSP_CHECK(decode(b.data, b.size, 1 << 20, &w, &h) == CDSP_ERR_CORRUPT);
    free(b.data);
    // 8 bpp with an OS/2 core header (3-byte palette entries)
    const uint8_t pal_os2[6] = {10, 20, 30, 40, 50, 60};
    const uint8_t rows8[4] = {1, 0, 1, 0};
    b = make_bmp(12, 3, 1, 8, 0, NULL, 0, pal_os2, 2, rows8, sizeof(rows8));
    p = decode_ok(&b, 3, 1);
    if (p) CDSP_CHECK(px(p, 3, 0, 0, 60, 50, 40, 255) && px(p, 3, 1, 0, 30, 20, 10, 255));
    cdsp_image_free(p);
    free(b.data);
    // 16 bpp default 5-5-5 and BITFIELDS 5-6-5
    const uint8_t rows16[4] = {0x00, 0x7C, 0x1F, 0x00};  // red (0x7C00), blue (0x001F)
    b = make_bmp(40, 2, 1, 16, 0, NULL, 0, NULL, 0, rows16, sizeof(rows16));
    p = decode_ok(&b, 2, 1);
    if (p) CDSP_CHECK(px(p, 2, 0, 0, 255, 0, 0, 255) && px(p, 2, 1, 0, 0, 0, 255, 255));
    cdsp_image_free(p);
    free(b.data);
    const uint32_t m565[3] = {0xF800, 0x07E0, 0x001F};
    const uint8_t rows565[4] = {0xE0, 0x07, 0x00, 0xF8};  // green, red
    b = make_bmp(40, 2, 1, 16, 3, m565, 3, NULL, 0, rows565, sizeof(rows565));
    p = decode_ok(&b, 2, 1);
    if (p) CDSP_CHECK(px(p, 2, 0, 0, 0, 255, 0, 255) && px(p, 2, 1, 0, 255, 0, 0, 255));
    cdsp_image_free(p);
    free(b.data);
    // 32 bpp BITFIELDS with alpha in a V5 header, top-down
    const uint32_t m8888[4] = {0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000};
    const uint8_t rows32[8] = {3, 2, 1, 128, 30, 20, 10, 0};
    b = make_bmp(124, 1, -2, 32, 3, m8888, 4, NULL, 0, rows32, sizeof(rows32));
    p = decode_ok(&b, 1, 2);
    if (p) CDSP_CHECK(px(p, 1, 0, 0, 1, 2, 3, 128) && px(p, 1, 0, 1, 10, 20, 30, 0));
    cdsp_image_free(p);
    free(b.data);
    // 32 bpp BI_RGB: the fourth byte is padding, alpha opaque
    b = make_bmp(40, 1, 2, 32, 0, NULL, 0, NULL, 0, rows32, sizeof(rows32));
    p = decode_ok(&b, 1, 2);
    if (p) CDSP_CHECK(px(p, 1, 0, 1, 1, 2, 3, 255));
    cdsp_image_free(p);
    free(b.data);
    // a non-contiguous mask is corrupt
    const uint32_t holes[3] = {0xF0F0, 0x0F00, 0x000F};
    b = make_bmp(40, 2, 1, 16, 3, holes, 3, NULL, 0, rows565, sizeof(rows565));
    CDSP_CHECK(decode(b.data, b.size, 1 << 20, &w, &h) == CDSP_ERR_CORRUPT);
    free(b.data);
}

static char image_dir[PATH_MAX / 2];



CDSP_TEST(truncated_files_are_refused_in_every_format) {
    if (!image_dir[0]) return;
    const char *names[] = {"aqua.jpg", "dune.png", "freshflower.webp", "garden.gif", "greenmeadow.bmp",
                           "raindrops.webp", "twowings.png", "wood.jpg"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", image_dir, names[i]);
        size_t size = 0;
        uint8_t *data = cdsp_test_read_file(path, &size);
        if (!data) continue;
        int w, h;
        CDSP_CHECK(decode(data, size, 40000000ull, &w, &h) == CDSP_OK);
        // a GIF's trailer byte (3B) follows the first frame and is not needed for it; everything before it is
        size_t gif = strstr(names[i], ".gif") != NULL;
        size_t cuts[] = {1 + gif, 2 + gif, 16, size / 10, size / 2, size * 9 / 10};
        for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
            size_t n = cuts[c] <= 16 ? size - cuts[c] : cuts[c];
            cdsp_status st = decode(data, n, 40000000ull, &w, &h);
            if (st != CDSP_ERR_CORRUPT) fprintf(stderr, "  %s cut to %zu of %zu bytes: status %d\n", names[i], n, size, st);
            CDSP_CHECK(st == CDSP_ERR_CORRUPT);
        }
        free(data);
    }
}

/// JPEG variants libjpeg-turbo must keep decoding (made once with Debian's cjpeg/jpegtran from aqua.jpg at 1/8
/// scale, committed in Tests/CDSPTests/data): progressive (10 scans) and restart-marker versions carry the same
/// DCT coefficients as the baseline, so they decode to the same pixels; the greyscale one gives R = G = B.
CDSP_TEST(jpeg_progressive_restart_and_grey_decode) {
    const char *names[4] = {"aqua-baseline.jpg", "aqua-progressive.jpg", "aqua-restart.jpg", "aqua-gray.jpg"};
    uint8_t *pixels[4] = {NULL};
    for (int i = 0; i < 4; i++) {
        char path[256];
        snprintf(path, sizeof(path), "../data/%s", names[i]);
        size_t size = 0;
        uint8_t *data = cdsp_test_read_file(path, &size);
        CDSP_CHECK(data != NULL);
        if (!data) continue;
        int w = 0, h = 0;
        cdsp_image_format f;
        cdsp_status st = cdsp_image_decode(data, size, 1 << 20, &pixels[i], &w, &h, &f);
        if (st != CDSP_OK) fprintf(stderr, "  %s: status %d\n", names[i], st);
        CDSP_CHECK(st == CDSP_OK && w == 100 && h == 63 && f == CDSP_IMAGE_JPEG);
        // and one byte short is refused (the end-of-image marker is incomplete)
        uint8_t *none = NULL;
        CDSP_CHECK(cdsp_image_decode(data, size - 1, 1 << 20, &none, &w, &h, &f) == CDSP_ERR_CORRUPT && !none);
        free(data);
    }
    size_t bytes = 100 * 63 * 4;
    if (pixels[0] && pixels[1]) CDSP_CHECK(memcmp(pixels[0], pixels[1], bytes) == 0);
    if (pixels[0] && pixels[2]) CDSP_CHECK(memcmp(pixels[0], pixels[2], bytes) == 0);
    if (pixels[3]) {
        int grey = 1;
        for (size_t k = 0; k < bytes; k += 4)
            grey &= pixels[3][k] == pixels[3][k + 1] && pixels[3][k] == pixels[3][k + 2] && pixels[3][k + 3] == 255;
        CDSP_CHECK(grey);
    }
    for (int i = 0; i < 4; i++) cdsp_image_free(pixels[i]);
}

/// A progressive greyscale 16 x 16 JPEG written with libjpeg's own encoder under a scan script: DC, then each of the
/// 63 AC coefficients alone, first at successive-approximation level `al` and refined down to 0 (1 + 63 (al + 1)
/// scans, every one valid).
static buffer many_scan_jpeg(int al) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = 16;
    c.image_height = 16;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 95, TRUE);
    static jpeg_scan_info scans[1 + 63 * 14];
    int n = 0;
    scans[n++] = (jpeg_scan_info){.comps_in_scan = 1, .Ss = 0, .Se = 0, .Ah = 0, .Al = 0};
    for (int k = 1; k < 64; k++) {
        scans[n++] = (jpeg_scan_info){.comps_in_scan = 1, .Ss = k, .Se = k, .Ah = 0, .Al = al};
        for (int a = al; a > 0; a--)
            scans[n++] = (jpeg_scan_info){.comps_in_scan = 1, .Ss = k, .Se = k, .Ah = a, .Al = a - 1};
    }
    c.scan_info = scans;
    c.num_scans = n;
    jpeg_start_compress(&c, TRUE);
    uint8_t row[16];
    while (c.next_scanline < 16) {
        for (int x = 0; x < 16; x++) row[x] = (uint8_t)(x * 13 + c.next_scanline * 7);
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    buffer b = {0};
    append(&b, mem, len);
    free(mem);
    return b;
}

CDSP_TEST(jpeg_with_more_than_256_scans_is_refused) {
    int w, h;
    buffer ok = many_scan_jpeg(3);  // 253 scans
    CDSP_CHECK(decode(ok.data, ok.size, 1 << 20, &w, &h) == CDSP_OK && w == 16 && h == 16);
    buffer many = many_scan_jpeg(4);  // 316 scans
    cdsp_status st = decode(many.data, many.size, 1 << 20, &w, &h);
    if (st != CDSP_ERR_CORRUPT) fprintf(stderr, "  316 scans: status %d\n", st);
    CDSP_CHECK(st == CDSP_ERR_CORRUPT);
    free(ok.data);
    free(many.data);
}

/// Adobe CMYK JPEGs (as Photoshop writes them: inverted values, 255 = no ink) are converted to RGB as
/// R = C*K/255 etc. Written here with libjpeg's encoder: the left half C,M,Y,K = 255,128,0,255 (orange-red
/// R,G,B = 255,128,0), the right half with K = 128 (half as bright).
CDSP_TEST(cmyk_jpeg_becomes_rgb) {
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&c, &mem, &len);
    c.image_width = 32;
    c.image_height = 16;
    c.input_components = 4;
    c.in_color_space = JCS_CMYK;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 100, TRUE);
    jpeg_start_compress(&c, TRUE);
    uint8_t row[32 * 4];
    for (int x = 0; x < 32; x++) {
        row[4 * x] = 255;
        row[4 * x + 1] = 128;
        row[4 * x + 2] = 0;
        row[4 * x + 3] = x < 16 ? 255 : 128;
    }
    while (c.next_scanline < 16) {
        JSAMPROW r = row;
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    uint8_t *rgba = NULL;
    int w = 0, h = 0;
    cdsp_image_format f;
    CDSP_CHECK(cdsp_image_decode(mem, len, 1 << 20, &rgba, &w, &h, &f) == CDSP_OK && w == 32 && h == 16);
    if (rgba) {
        const uint8_t *left = rgba + 4 * (8 * 32 + 4), *right = rgba + 4 * (8 * 32 + 28);
        printf("   CMYK left %d %d %d %d, right %d %d %d %d\n", left[0], left[1], left[2], left[3], right[0], right[1],
               right[2], right[3]);
        CDSP_CHECK(abs(left[0] - 255) <= 3 && abs(left[1] - 128) <= 3 && left[2] <= 3 && left[3] == 255);
        CDSP_CHECK(abs(right[0] - 128) <= 3 && abs(right[1] - 64) <= 3 && right[2] <= 3 && right[3] == 255);
    }
    cdsp_image_free(rgba);
    free(mem);
}

CDSP_TEST(png_cut_before_iend_and_gif_frame_outside_screen_are_refused) {
    uint8_t rgba[8 * 8 * 4];
    for (int k = 0; k < (int)sizeof(rgba); k++) rgba[k] = (uint8_t)(k * 7);
    buffer png = {0};
    stbi_write_png_to_func(write_func, &png, 8, 8, 4, rgba, 32);
    int w, h;
    CDSP_CHECK(decode(png.data, png.size, 1 << 20, &w, &h) == CDSP_OK);
    CDSP_CHECK(decode(png.data, png.size - 12, 1 << 20, &w, &h) == CDSP_ERR_CORRUPT);  // IEND chunk removed
    free(png.data);
    // a 2 x 2 GIF whose only frame sits at (1, 1) with size 2 x 2: outside the logical screen
    const uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 2, 0, 2, 0, 0x80, 0, 0,   // screen, 2-colour table
                           0, 0, 0, 255, 255, 255,                                  // palette
                           0x2C, 1, 0, 1, 0, 2, 0, 2, 0, 0,                        // descriptor
                           2, 4, 0x04, 0xC3, 0x10, 0x05, 0, 0x3B};              // LZW: clear before each code, trailer
    CDSP_CHECK(decode(gif, sizeof(gif), 1 << 20, &w, &h) == CDSP_ERR_CORRUPT);
    uint8_t inside[sizeof(gif)];
    memcpy(inside, gif, sizeof(gif));
    inside[20] = 0;
    inside[22] = 0;  // frame at (0, 0): a valid 2 x 2 image
    CDSP_CHECK(decode(inside, sizeof(inside), 1 << 20, &w, &h) == CDSP_OK && w == 2 && h == 2);
}

int main(void) {
    cdsp_test_find_images(image_dir, sizeof(image_dir));
    CDSP_RUN(bmp_layouts_decode_exactly);
    CDSP_RUN(truncated_files_are_refused_in_every_format);
    CDSP_RUN(png_cut_before_iend_and_gif_frame_outside_screen_are_refused);
    CDSP_RUN(jpeg_progressive_restart_and_grey_decode);
    CDSP_RUN(jpeg_with_more_than_256_scans_is_refused);
    CDSP_RUN(cmyk_jpeg_becomes_rgb);
    CDSP_TEST_END();
}
