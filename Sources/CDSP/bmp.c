// A small, strict BMP decoder (stb_image's is not fuzzed by anyone and accepted a 47-byte file as a 34-megapixel
// image). Scope: Windows BITMAPINFOHEADER and its V2/V3/V4/V5 extensions (40, 52, 56, 108, 124 bytes) and the
// OS/2 1.x core header (12 bytes); 1/4/8 bits per pixel with a palette, 16/24/32 bits per pixel; BI_RGB,
// BI_BITFIELDS and BI_ALPHABITFIELDS; bottom-up and top-down rows. Refused: RLE4/RLE8 and embedded JPEG/PNG
// (CDSP_ERR_FORMAT), any header, palette or pixel array that does not fit in the bytes (CDSP_ERR_CORRUPT).
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

enum { BI_RGB = 0, BI_BITFIELDS = 3, BI_ALPHABITFIELDS = 6, MAX_SIDE = 1 << 24 };

static uint32_t rd32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((uint32_t)p[3] << 24); }
static uint32_t rd16(const uint8_t *p) { return p[0] | ((uint32_t)p[1] << 8); }

typedef struct {
    uint32_t offset, header, width, height, bpp, compression, colors;
    int top_down;
    uint32_t mask[4];  // r, g, b, a (a == 0: opaque)
    size_t palette_at;
    int palette_entry;  // 3 (OS/2) or 4 bytes
} bmp_info;

static cdsp_status parse(const uint8_t *d, size_t n, bmp_info *b) {
    memset(b, 0, sizeof(*b));
    if (n < 26 || d[0] != 'B' || d[1] != 'M') return CDSP_ERR_CORRUPT;
    b->offset = rd32(d + 10);
    b->header = rd32(d + 14);
    if (b->header == 12) {
        b->width = rd16(d + 18);
        b->height = rd16(d + 20);
        if (rd16(d + 22) != 1) return CDSP_ERR_CORRUPT;
        b->bpp = rd16(d + 24);
        if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 24) return CDSP_ERR_CORRUPT;
        b->palette_entry = 3;
    } else if (b->header == 40 || b->header == 52 || b->header == 56 || b->header == 108 || b->header == 124) {
        if (n < 14 + (size_t)b->header) return CDSP_ERR_CORRUPT;
        int32_t w = (int32_t)rd32(d + 18), h = (int32_t)rd32(d + 22);
        if (w <= 0 || h == 0 || h < -MAX_SIDE || h > MAX_SIDE) return CDSP_ERR_CORRUPT;
        b->width = (uint32_t)w;
        b->top_down = h < 0;
        b->height = (uint32_t)(h < 0 ? -h : h);
        if (rd16(d + 26) != 1) return CDSP_ERR_CORRUPT;
        b->bpp = rd16(d + 28);
        b->compression = rd32(d + 30);
        b->colors = rd32(d + 46);
        b->palette_entry = 4;
        if (b->bpp != 1 && b->bpp != 4 && b->bpp != 8 && b->bpp != 16 && b->bpp != 24 && b->bpp != 32)
            return CDSP_ERR_CORRUPT;
    } else {
        return CDSP_ERR_CORRUPT;
    }
    if (b->width == 0 || b->height == 0 || b->width > MAX_SIDE || b->height > MAX_SIDE) return CDSP_ERR_CORRUPT;
    return CDSP_OK;
}

cdsp_status cdsp_bmp_probe(const uint8_t *data, size_t size, int *width, int *height) {
    bmp_info b;
    cdsp_status st = parse(data, size, &b);
    if (st != CDSP_OK) return st;
    *width = (int)b.width;
    *height = (int)b.height;
    return CDSP_OK;
}

/// A channel mask must be one run of 1 bits; its value is scaled to 0...255.
static int mask_ok(uint32_t m, int bpp) {
    if (m == 0) return 1;
    if (bpp == 16 && (m >> 16)) return 0;
    uint32_t low = m & (~m + 1);  // lowest set bit
    uint32_t run = m + low;       // carries through the run: zero or a power of two if contiguous
    return (run & (run - 1)) == 0;
}

static uint8_t channel(uint32_t px, uint32_t m) {
    if (m == 0) return 0;
    int shift = __builtin_ctz(m);
    uint64_t max = (uint64_t)(m >> shift);
    uint64_t v = (px & m) >> shift;
    return (uint8_t)((v * 255 + max / 2) / max);
}

cdsp_status cdsp_bmp_decode(const uint8_t *d, size_t n, uint64_t max_pixels, uint8_t **rgba, int *width,
                            int *height) {
    *rgba = NULL;
    bmp_info b;
    cdsp_status st = parse(d, n, &b);
    if (st != CDSP_OK) return st;
    *width = (int)b.width;
    *height = (int)b.height;
    if ((uint64_t)b.width * b.height > max_pixels) return CDSP_ERR_TOO_LARGE;
    size_t after_header = 14 + (size_t)b.header;
    if (b.compression != BI_RGB && b.compression != BI_BITFIELDS && b.compression != BI_ALPHABITFIELDS)
        return CDSP_ERR_FORMAT;  // RLE8, RLE4, JPEG, PNG, CMYK variants
    if (b.compression != BI_RGB) {
        if (b.bpp != 16 && b.bpp != 32) return CDSP_ERR_CORRUPT;
        // BITFIELDS masks: inside V2+ headers, after a 40-byte one
        size_t at = 14 + 40, count = b.compression == BI_ALPHABITFIELDS ? 4 : 3;
        if (b.header == 40) after_header += 4 * count;
        else if (b.header >= 56) count = 4;
        if (at + 4 * count > n) return CDSP_ERR_CORRUPT;
        for (size_t k = 0; k < count; k++) b.mask[k] = rd32(d + at + 4 * k);
        for (int k = 0; k < 4; k++)
            if (!mask_ok(b.mask[k], (int)b.bpp)) return CDSP_ERR_CORRUPT;
        if (!b.mask[0] && !b.mask[1] && !b.mask[2]) return CDSP_ERR_CORRUPT;
    } else if (b.bpp == 16) {
        b.mask[0] = 0x7C00; b.mask[1] = 0x03E0; b.mask[2] = 0x001F;
    } else if (b.bpp == 32) {
        b.mask[0] = 0xFF0000; b.mask[1] = 0xFF00; b.mask[2] = 0xFF;  // the fourth byte is padding
    }
    uint32_t palette_size = 0;
    if (b.bpp <= 8) {
        uint32_t full = 1u << b.bpp;
        if (b.colors > full) return CDSP_ERR_CORRUPT;
        b.palette_at = after_header;
        // no colour count (always so in OS/2 headers): as many entries as sit between the header and the pixels
        if (b.offset < b.palette_at) return CDSP_ERR_CORRUPT;
        size_t room = (b.offset - b.palette_at) / (size_t)b.palette_entry;
        palette_size = b.colors ? b.colors : (room < full ? (uint32_t)room : full);
        if (palette_size == 0) return CDSP_ERR_CORRUPT;
        if (b.palette_at + (size_t)palette_size * b.palette_entry > n) return CDSP_ERR_CORRUPT;
        if (b.palette_at + (size_t)palette_size * b.palette_entry > b.offset) return CDSP_ERR_CORRUPT;
    }
    if (b.offset < after_header || b.offset > n) return CDSP_ERR_CORRUPT;
    uint64_t row = (((uint64_t)b.width * b.bpp + 31) / 32) * 4;
    if (row * b.height > (uint64_t)(n - b.offset)) return CDSP_ERR_CORRUPT;  // the whole pixel array must be there

    uint8_t *out = malloc((size_t)b.width * b.height * 4);
    if (!out) return CDSP_ERR_MEMORY;
    for (uint32_t y = 0; y < b.height; y++) {
        const uint8_t *src = d + b.offset + row * (b.top_down ? y : b.height - 1 - y);
        uint8_t *dst = out + (size_t)y * b.width * 4;
        for (uint32_t x = 0; x < b.width; x++, dst += 4) {
            if (b.bpp <= 8) {
                uint32_t bit = x * b.bpp;
                uint32_t index = (src[bit / 8] >> (8 - b.bpp - bit % 8)) & ((1u << b.bpp) - 1);
                if (index >= palette_size) {
                    free(out);
                    return CDSP_ERR_CORRUPT;
                }
                const uint8_t *p = d + b.palette_at + (size_t)index * b.palette_entry;  // B, G, R
                dst[0] = p[2]; dst[1] = p[1]; dst[2] = p[0]; dst[3] = 255;
            } else if (b.bpp == 24) {
                const uint8_t *p = src + 3 * (size_t)x;
                dst[0] = p[2]; dst[1] = p[1]; dst[2] = p[0]; dst[3] = 255;
            } else {
                uint32_t px = b.bpp == 16 ? rd16(src + 2 * (size_t)x) : rd32(src + 4 * (size_t)x);
                dst[0] = channel(px, b.mask[0]);
                dst[1] = channel(px, b.mask[1]);
                dst[2] = channel(px, b.mask[2]);
                dst[3] = b.mask[3] ? channel(px, b.mask[3]) : 255;
            }
        }
    }
    *rgba = out;
    return CDSP_OK;
}
