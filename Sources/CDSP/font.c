// Text on cover images with stb_truetype: UTF-8 decoding (invalid sequences skipped byte by byte), kerned
// advance widths, and anti-aliased glyphs alpha-blended at sub-pixel positions.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stb_truetype.h>

#include "cdsp_io.h"

struct cdsp_font {
    unsigned char *data;
    stbtt_fontinfo info;
};

cdsp_font *cdsp_font_load(const char *path) {
    if (!path) return NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    cdsp_font *font = NULL;
    unsigned char *data = NULL;
    if (fseek(f, 0, SEEK_END) != 0) goto fail;
    long len = ftell(f);
    if (len <= 0 || len > 64L * 1024 * 1024 || fseek(f, 0, SEEK_SET) != 0) goto fail;
    data = malloc((size_t)len);
    if (!data || fread(data, 1, (size_t)len, f) != (size_t)len) goto fail;
    font = calloc(1, sizeof(*font));
    if (!font) goto fail;
    int offset = stbtt_GetFontOffsetForIndex(data, 0);
    if (offset < 0 || !stbtt_InitFont(&font->info, data, offset)) goto fail;
    font->data = data;
    fclose(f);
    return font;
fail:
    free(font);
    free(data);
    fclose(f);
    return NULL;
}

void cdsp_font_destroy(cdsp_font *font) {
    if (!font) return;
    free(font->data);
    free(font);
}

/// Decodes one code point from s; advances *s by the bytes consumed. Returns -1 for an invalid sequence (then
/// one byte is consumed), 0 at the end.
static int utf8_next(const unsigned char **s) {
    const unsigned char *p = *s;
    unsigned c = p[0];
    if (c == 0) return 0;
    int len;
    unsigned cp, min;
    if (c < 0x80) { *s = p + 1; return (int)c; }
    else if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else { *s = p + 1; return -1; }
    for (int i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) { *s = p + 1; return -1; }  // also stops at the terminator
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { *s = p + 1; return -1; }
    *s = p + len;
    return (int)cp;
}

float cdsp_font_text_width(const cdsp_font *font, const char *text, float pixel_height) {
    if (!font || !text || !(pixel_height > 0.0f)) return 0.0f;
    const stbtt_fontinfo *info = &font->info;
    float scale = stbtt_ScaleForPixelHeight(info, pixel_height);
    const unsigned char *s = (const unsigned char *)text;
    float width = 0.0f;
    int prev = 0, cp;
    while ((cp = utf8_next(&s)) != 0) {
        if (cp < 0) continue;
        int advance, lsb;
        stbtt_GetCodepointHMetrics(info, cp, &advance, &lsb);
        if (prev) width += scale * (float)stbtt_GetCodepointKernAdvance(info, prev, cp);
        width += scale * (float)advance;
        prev = cp;
    }
    return width;
}

void cdsp_font_draw_text(const cdsp_font *font, uint8_t *rgba, int width, int height, const char *text,
                         float pixel_height, float x, float baseline_y, uint8_t r, uint8_t g, uint8_t b,
                         float opacity) {
    if (!font || !rgba || !text || width <= 0 || height <= 0 || !(pixel_height > 0.0f)) return;
    if (opacity <= 0.0f) return;
    if (opacity > 1.0f) opacity = 1.0f;
    const stbtt_fontinfo *info = &font->info;
    float scale = stbtt_ScaleForPixelHeight(info, pixel_height);
    const unsigned char *s = (const unsigned char *)text;
    float pen = x;
    int prev = 0, cp;
    unsigned char *glyph = NULL;
    size_t glyph_cap = 0;
    while ((cp = utf8_next(&s)) != 0) {
        if (cp < 0) continue;
        if (prev) pen += scale * (float)stbtt_GetCodepointKernAdvance(info, prev, cp);
        int advance, lsb, x0, y0, x1, y1;
        stbtt_GetCodepointHMetrics(info, cp, &advance, &lsb);
        float ix = (float)(int)pen, fx = pen - ix;
        float iy = (float)(int)baseline_y, fy = baseline_y - iy;
        stbtt_GetCodepointBitmapBoxSubpixel(info, cp, scale, scale, fx, fy, &x0, &y0, &x1, &y1);
        int gw = x1 - x0, gh = y1 - y0;
        if (gw > 0 && gh > 0 && gw < 4096 && gh < 4096) {
            size_t need = (size_t)gw * (size_t)gh;
            if (need > glyph_cap) {
                unsigned char *grown = realloc(glyph, need);
                if (!grown) break;
                glyph = grown;
                glyph_cap = need;
            }
            stbtt_MakeCodepointBitmapSubpixel(info, glyph, gw, gh, gw, scale, scale, fx, fy, cp);
            int ox = (int)ix + x0, oy = (int)iy + y0;
            for (int yy = 0; yy < gh; yy++) {
                int py = oy + yy;
                if (py < 0 || py >= height) continue;
                for (int xx = 0; xx < gw; xx++) {
                    int px = ox + xx;
                    if (px < 0 || px >= width) continue;
                    float a = glyph[yy * gw + xx] / 255.0f * opacity;
                    if (a <= 0.0f) continue;
                    uint8_t *d = rgba + ((size_t)py * (size_t)width + (size_t)px) * 4;
                    d[0] = (uint8_t)(d[0] + (r - d[0]) * a + 0.5f);
                    d[1] = (uint8_t)(d[1] + (g - d[1]) * a + 0.5f);
                    d[2] = (uint8_t)(d[2] + (b - d[2]) * a + 0.5f);
                    float da = d[3] / 255.0f;
                    d[3] = (uint8_t)((a + da * (1.0f - a)) * 255.0f + 0.5f);
                }
            }
        }
        pen += scale * (float)advance;
        prev = cp;
    }
    free(glyph);
}
