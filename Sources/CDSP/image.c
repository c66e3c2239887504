// Untrusted image bytes: format from magic bytes, dimensions from headers (stb_image's info call, libwebp's
// WebPGetInfo) checked against the pixel limit before any pixel memory exists, then decoding to RGBA. Truncated
// files are caught before decoding where the format makes it checkable (JPEG EOI after the last scan, PNG IEND,
// BMP pixel array size), since stb_image fills missing data with zeros instead of failing.
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <stb_image.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
#include <webp/decode.h>

#include "cdsp_io.h"

cdsp_image_format cdsp_image_sniff(const uint8_t *d, size_t n) {
    if (!d) return CDSP_IMAGE_UNKNOWN;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return CDSP_IMAGE_JPEG;
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return CDSP_IMAGE_PNG;
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0)) return CDSP_IMAGE_GIF;
    if (n >= 14 && d[0] == 'B' && d[1] == 'M') return CDSP_IMAGE_BMP;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) return CDSP_IMAGE_WEBP;
    return CDSP_IMAGE_UNKNOWN;
}

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/// Width and height from PNG (IHDR), GIF (logical screen) and BMP (info header) headers.
static int header_dimensions(cdsp_image_format f, const uint8_t *d, size_t n, int *w, int *h) {
    uint64_t W = 0, H = 0;
    if (f == CDSP_IMAGE_PNG) {
        if (n < 24 || be32(d + 8) != 13 || memcmp(d + 12, "IHDR", 4) != 0) return 0;
        W = be32(d + 16);
        H = be32(d + 20);
    } else if (f == CDSP_IMAGE_GIF) {
        if (n < 10) return 0;
        W = d[6] | (d[7] << 8);
        H = d[8] | (d[9] << 8);
    } else if (f == CDSP_IMAGE_BMP) {
        if (n < 26) return 0;
        uint32_t header = d[14] | (d[15] << 8) | (d[16] << 16) | ((uint32_t)d[17] << 24);
        if (header == 12) {
            W = d[18] | (d[19] << 8);
            H = d[20] | (d[21] << 8);
        } else {
            int32_t sw = (int32_t)(d[18] | (d[19] << 8) | (d[20] << 16) | ((uint32_t)d[21] << 24));
            int32_t sh = (int32_t)(d[22] | (d[23] << 8) | (d[24] << 16) | ((uint32_t)d[25] << 24));
            if (sw <= 0 || sh == 0 || sh == INT32_MIN) return 0;
            W = (uint64_t)sw;
            H = (uint64_t)(sh < 0 ? -sh : sh);  // negative height: top-down rows
        }
    } else {
        return 0;
    }
    if (W == 0 || H == 0 || W > (1u << 24) || H > (1u << 24)) return 0;
    *w = (int)W;
    *h = (int)H;
    return 1;
}

cdsp_status cdsp_image_probe(const uint8_t *data, size_t size, cdsp_image_format *format, int *width,
                             int *height) {
    if (format) *format = CDSP_IMAGE_UNKNOWN;
    if (width) *width = 0;
    if (height) *height = 0;
    if (!data || size == 0) return CDSP_ERR_FORMAT;
    cdsp_image_format f = cdsp_image_sniff(data, size);
    if (format) *format = f;
    if (f == CDSP_IMAGE_UNKNOWN) return CDSP_ERR_FORMAT;
    if (size > INT_MAX) return CDSP_ERR_TOO_LARGE;
    int w = 0, h = 0;
    if (f == CDSP_IMAGE_WEBP) {
        if (!WebPGetInfo(data, size, &w, &h)) return CDSP_ERR_CORRUPT;
    } else if (f != CDSP_IMAGE_JPEG) {
        // read these headers directly: stb_image's info call refuses images over 2^30 bytes, which would turn
        // "too many pixels" into "corrupt"
        if (!header_dimensions(f, data, size, &w, &h)) return CDSP_ERR_CORRUPT;
    } else {
        int comp = 0;
        if (!stbi_info_from_memory(data, (int)size, &w, &h, &comp)) return CDSP_ERR_CORRUPT;
    }
    if (w <= 0 || h <= 0) return CDSP_ERR_CORRUPT;
    if (width) *width = w;
    if (height) *height = h;
    return CDSP_OK;
}

static uint32_t le32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }

/// The main image's last scan (SOS, FF DA) must be followed by the end-of-image marker (FF D9). Entropy-coded
/// data stuffs FF as FF 00, so both markers are unambiguous; an EXIF thumbnail's EOI comes before the main SOS.
static int jpeg_complete(const uint8_t *d, size_t n) {
    size_t last_sos = 0;
    int found = 0;
    for (size_t i = 2; i + 1 < n; i++)
        if (d[i] == 0xFF && d[i + 1] == 0xDA) {
            last_sos = i;
            found = 1;
        }
    if (!found) return 0;
    for (size_t i = n - 1; i > last_sos + 1; i--)
        if (d[i - 1] == 0xFF && d[i] == 0xD9) return 1;
    return 0;
}

/// Walks the PNG chunks: every chunk must fit in the data and IEND must be reached.
static int png_complete(const uint8_t *d, size_t n) {
    size_t p = 8;
    while (p + 12 <= n) {
        uint32_t len = (uint32_t)d[p] << 24 | d[p + 1] << 16 | d[p + 2] << 8 | d[p + 3];
        if (len > n - p - 12) return 0;
        if (memcmp(d + p + 4, "IEND", 4) == 0) return 1;
        p += 12 + (size_t)len;
    }
    return 0;
}

/// Uncompressed BMPs must hold the whole pixel array; RLE ones are checked by stb_image itself.
static int bmp_complete(const uint8_t *d, size_t n, int w, int h) {
    if (n < 34) return 0;
    uint32_t offset = le32(d + 10), header = le32(d + 14);
    if (header < 40) return offset < n;  // OS/2 core header: bit depth at 24
    uint32_t bpp = d[28] | (d[29] << 8), compression = le32(d + 30);
    if (compression != 0 && compression != 3 && compression != 6) return offset < n;
    uint64_t row = (((uint64_t)w * bpp + 31) / 32) * 4;
    return (uint64_t)offset + row * (uint64_t)h <= n;
}

/// The first frame must be whole: walk the blocks up to the first image descriptor and its LZW sub-blocks up to
/// the zero-length terminator (stb_image reads zeros past the end and would return a partial frame).
static int gif_first_frame_complete(const uint8_t *d, size_t n) {
    size_t p = 13;
    if (n < p) return 0;
    if (d[10] & 0x80) p += (size_t)3 << ((d[10] & 7) + 1);  // global colour table
    for (;;) {
        if (p >= n) return 0;
        uint8_t tag = d[p++];
        if (tag == 0x21) {  // extension: label, then sub-blocks
            if (p >= n) return 0;
            p++;
            for (;;) {
                if (p >= n) return 0;
                uint8_t len = d[p++];
                if (len == 0) break;
                p += len;
            }
        } else if (tag == 0x2C) {  // image descriptor
            if (p + 9 > n) return 0;
            uint8_t flags = d[p + 8];
            p += 9;
            if (flags & 0x80) p += (size_t)3 << ((flags & 7) + 1);  // local colour table
            p++;                                                     // LZW minimum code size
            for (;;) {
                if (p >= n) return 0;
                uint8_t len = d[p++];
                if (len == 0) return 1;
                p += len;
            }
        } else {
            return 0;  // trailer or junk before any image
        }
    }
}

cdsp_status cdsp_image_decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t **rgba, int *width,
                              int *height, cdsp_image_format *format) {
    if (!rgba) return CDSP_ERR_ARGUMENT;
    *rgba = NULL;
    int w = 0, h = 0;
    cdsp_image_format f = CDSP_IMAGE_UNKNOWN;
    cdsp_status st = cdsp_image_probe(data, size, &f, &w, &h);
    if (format) *format = f;
    if (width) *width = w;
    if (height) *height = h;
    if (st != CDSP_OK) return st;
    if ((uint64_t)w * (uint64_t)h > max_pixels) return CDSP_ERR_TOO_LARGE;
    uint8_t *pixels = NULL;
    int dw = 0, dh = 0;
    if (f == CDSP_IMAGE_WEBP) {
        pixels = WebPDecodeRGBA(data, size, &dw, &dh);
        if (!pixels) return CDSP_ERR_CORRUPT;
        // copy into malloc'ed memory so every decoder's result is freed the same way
        size_t bytes = (size_t)dw * (size_t)dh * 4;
        uint8_t *copy = malloc(bytes);
        if (!copy) {
            WebPFree(pixels);
            return CDSP_ERR_MEMORY;
        }
        memcpy(copy, pixels, bytes);
        WebPFree(pixels);
        pixels = copy;
    } else {
        if (f == CDSP_IMAGE_JPEG && !jpeg_complete(data, size)) return CDSP_ERR_CORRUPT;
        if (f == CDSP_IMAGE_PNG && !png_complete(data, size)) return CDSP_ERR_CORRUPT;
        if (f == CDSP_IMAGE_GIF && !gif_first_frame_complete(data, size)) return CDSP_ERR_CORRUPT;
        if (f == CDSP_IMAGE_BMP && !bmp_complete(data, size, w, h)) return CDSP_ERR_CORRUPT;
        int comp = 0;
        stbi_uc *p = stbi_load_from_memory(data, (int)size, &dw, &dh, &comp, 4);
        if (!p) return CDSP_ERR_CORRUPT;
        size_t bytes = (size_t)dw * (size_t)dh * 4;
        pixels = malloc(bytes);
        if (pixels) memcpy(pixels, p, bytes);
        stbi_image_free(p);
        if (!pixels) return CDSP_ERR_MEMORY;
    }
    if (dw != w || dh != h) {
        free(pixels);
        return CDSP_ERR_CORRUPT;
    }
    *rgba = pixels;
    return CDSP_OK;
}

void cdsp_image_free(uint8_t *rgba) { free(rgba); }

cdsp_status cdsp_image_resize(const uint8_t *src, int src_w, int src_h, uint8_t *dst, int dst_w, int dst_h) {
    if (!src || !dst || src_w <= 0 || src_h <= 0 || dst_w <= 0 || dst_h <= 0) return CDSP_ERR_ARGUMENT;
    if (!stbir_resize_uint8_srgb(src, src_w, src_h, 0, dst, dst_w, dst_h, 0, 4, 3, 0)) return CDSP_ERR_MEMORY;
    return CDSP_OK;
}

cdsp_status cdsp_image_write_png(const char *path, const uint8_t *rgba, int width, int height) {
    if (!path || !rgba || width <= 0 || height <= 0) return CDSP_ERR_ARGUMENT;
    return stbi_write_png(path, width, height, 4, rgba, width * 4) ? CDSP_OK : CDSP_ERR_IO;
}

cdsp_status cdsp_image_write_jpeg(const char *path, const uint8_t *rgba, int width, int height, int quality) {
    if (!path || !rgba || width <= 0 || height <= 0 || quality < 1 || quality > 100) return CDSP_ERR_ARGUMENT;
    return stbi_write_jpg(path, width, height, 4, rgba, quality) ? CDSP_OK : CDSP_ERR_IO;
}
