// Untrusted image bytes are decoded only by libraries that are fuzzed continuously (libjpeg-turbo, libpng,
// giflib, libwebp, all from Debian) and by our own strict BMP decoder (bmp.c, fuzzed by Fuzz/image_decode.c).
// Format from magic bytes; dimensions from headers, checked against the pixel limit before any pixel memory
// exists; any warning about corrupt or missing data refuses the image (no zero-filled half images).
// stb stays for writing PNG/JPEG covers and resizing only. See docs/images.md.
#include <gif_lib.h>
#include <limits.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <stb_image_resize.h>
#include <stb_image_write.h>
#include <webp/decode.h>

#include "cdsp_io.h"
#include "image_internal.h"

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

// --- JPEG (libjpeg-turbo) ----------------------------------------------------------------------------------------

typedef struct {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
} jpeg_guard;

static void jpeg_fail(j_common_ptr cinfo) { longjmp(((jpeg_guard *)cinfo->err)->jump, 1); }

/// libjpeg reports recoverable data problems (premature end of data, corrupt data, bad Huffman code) as
/// warnings (level -1) and goes on with grey or zero pixels: for untrusted input those are failures.
static void jpeg_message(j_common_ptr cinfo, int level) {
    if (level < 0) longjmp(((jpeg_guard *)cinfo->err)->jump, 1);
}

static void jpeg_silent(j_common_ptr cinfo) { (void)cinfo; }

/// A progressive JPEG may hold thousands of tiny scans, each a full pass over the coefficients (minutes of CPU
/// from a few kilobytes); real encoders write about 10. libjpeg calls this between chunks of input.
enum { JPEG_MAX_SCANS = 256 };
static void jpeg_progress(j_common_ptr cinfo) {
    if (cinfo->is_decompressor && ((j_decompress_ptr)cinfo)->input_scan_number > JPEG_MAX_SCANS)
        longjmp(((jpeg_guard *)cinfo->err)->jump, 1);
}

/// Reads the header (and dimensions) or decodes; returns CDSP_OK, CDSP_ERR_CORRUPT, _TOO_LARGE or _MEMORY.
static cdsp_status jpeg_decode(const uint8_t *data, size_t size, int decode, uint64_t max_pixels, uint8_t **rgba,
                               int *width, int *height) {
    struct jpeg_decompress_struct cinfo;
    jpeg_guard guard;
    uint8_t *volatile out = NULL;
    uint8_t *volatile row = NULL;
    volatile cdsp_status status = CDSP_ERR_CORRUPT;
    memset(&cinfo, 0, sizeof(cinfo));
    cinfo.err = jpeg_std_error(&guard.mgr);
    guard.mgr.error_exit = jpeg_fail;
    guard.mgr.emit_message = jpeg_message;
    guard.mgr.output_message = jpeg_silent;
    if (setjmp(guard.jump)) {
        free(out);
        free(row);
        jpeg_destroy_decompress(&cinfo);
        return status;
    }
    jpeg_create_decompress(&cinfo);
    struct jpeg_progress_mgr progress = {.progress_monitor = jpeg_progress};
    cinfo.progress = &progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    uint64_t w = cinfo.image_width, h = cinfo.image_height;
    if (w == 0 || h == 0) longjmp(guard.jump, 1);
    *width = (int)w;
    *height = (int)h;
    if (!decode) {
        jpeg_destroy_decompress(&cinfo);
        return CDSP_OK;
    }
    if (w * h > max_pixels) {
        status = CDSP_ERR_TOO_LARGE;
        longjmp(guard.jump, 1);
    }
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_EXT_RGBA;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != w || cinfo.output_height != h || cinfo.output_components != 4) longjmp(guard.jump, 1);
    status = CDSP_ERR_MEMORY;
    out = malloc((size_t)(w * h * 4));
    if (!out) longjmp(guard.jump, 1);
    status = CDSP_ERR_CORRUPT;
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW line = out + (size_t)cinfo.output_scanline * w * 4;
        if (jpeg_read_scanlines(&cinfo, &line, 1) != 1) longjmp(guard.jump, 1);
    }
    jpeg_finish_decompress(&cinfo);  // reads up to EOI: a missing or misplaced end is a warning, hence refused
    jpeg_destroy_decompress(&cinfo);
    if (cmyk) {
        // Adobe CMYK JPEGs store inverted values: R = C*K/255
        for (size_t i = 0; i < (size_t)(w * h); i++) {
            uint8_t *p = out + 4 * i;
            unsigned k = p[3];
            p[0] = (uint8_t)((p[0] * k + 127) / 255);
            p[1] = (uint8_t)((p[1] * k + 127) / 255);
            p[2] = (uint8_t)((p[2] * k + 127) / 255);
            p[3] = 255;
        }
    }
    *rgba = out;
    return CDSP_OK;
}

// --- PNG (libpng, simplified API) --------------------------------------------------------------------------------

static cdsp_status png_decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t **rgba, int *width,
                              int *height) {
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&image, data, size)) return CDSP_ERR_CORRUPT;
    *width = (int)image.width;
    *height = (int)image.height;
    if (image.width == 0 || image.height == 0) {
        png_image_free(&image);
        return CDSP_ERR_CORRUPT;
    }
    if ((uint64_t)image.width * image.height > max_pixels) {
        png_image_free(&image);
        return CDSP_ERR_TOO_LARGE;
    }
    image.format = PNG_FORMAT_RGBA;
    uint8_t *out = malloc((size_t)image.width * image.height * 4);
    if (!out) {
        png_image_free(&image);
        return CDSP_ERR_MEMORY;
    }
    // a truncated stream, a bad CRC or a short IDAT is an error of libpng's simplified reader
    if (!png_image_finish_read(&image, NULL, out, (png_int_32)(image.width * 4), NULL) ||
        (image.warning_or_error & 3) != 0) {
        png_image_free(&image);
        free(out);
        return CDSP_ERR_CORRUPT;
    }
    *rgba = out;
    return CDSP_OK;
}

/// Walks the PNG chunks: every chunk must fit in the data and IEND must be reached (libpng stops reading at the
/// end of the image data, so a file cut after it would otherwise pass).
static int png_complete(const uint8_t *d, size_t n) {
    size_t p = 8;
    while (p + 12 <= n) {
        uint32_t len = be32(d + p);
        if (len > n - p - 12) return 0;
        if (memcmp(d + p + 4, "IEND", 4) == 0) return 1;
        p += 12 + (size_t)len;
    }
    return 0;
}

// --- GIF (giflib, first frame) -----------------------------------------------------------------------------------

typedef struct {
    const uint8_t *data;
    size_t size, at;
} gif_source;

static int gif_read(GifFileType *gif, GifByteType *buf, int len) {
    gif_source *s = gif->UserData;
    if (len < 0) return 0;
    size_t left = s->size - s->at, n = (size_t)len < left ? (size_t)len : left;
    memcpy(buf, s->data + s->at, n);
    s->at += n;
    return (int)n;
}

static cdsp_status gif_decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t **rgba, int *width,
                              int *height) {
    gif_source src = {data, size, 0};
    int err = 0;
    GifFileType *gif = DGifOpen(&src, gif_read, &err);
    if (!gif) return CDSP_ERR_CORRUPT;
    cdsp_status status = CDSP_ERR_CORRUPT;
    uint8_t *out = NULL;
    GifPixelType *line = NULL;
    int W = gif->SWidth, H = gif->SHeight, transparent = -1;
    *width = W;
    *height = H;
    if (W <= 0 || H <= 0) goto done;
    if ((uint64_t)W * (uint64_t)H > max_pixels) {
        status = CDSP_ERR_TOO_LARGE;
        goto done;
    }
    for (;;) {
        GifRecordType type;
        if (DGifGetRecordType(gif, &type) != GIF_OK) goto done;
        if (type == EXTENSION_RECORD_TYPE) {
            int code = 0;
            GifByteType *ext = NULL;
            if (DGifGetExtension(gif, &code, &ext) != GIF_OK) goto done;
            if (code == GRAPHICS_EXT_FUNC_CODE && ext && ext[0] >= 4 && (ext[1] & 1)) transparent = ext[4];
            while (ext) {
                if (DGifGetExtensionNext(gif, &ext) != GIF_OK) goto done;
            }
        } else if (type == IMAGE_DESC_RECORD_TYPE) {
            break;
        } else {
            goto done;  // the trailer (or junk) before any image
        }
    }
    if (DGifGetImageDesc(gif) != GIF_OK) goto done;
    GifImageDesc *desc = &gif->Image;
    const ColorMapObject *map = desc->ColorMap ? desc->ColorMap : gif->SColorMap;
    if (!map || desc->Width <= 0 || desc->Height <= 0 || desc->Left < 0 || desc->Top < 0 ||
        desc->Left + desc->Width > W || desc->Top + desc->Height > H)
        goto done;
    status = CDSP_ERR_MEMORY;
    out = calloc((size_t)W * H, 4);  // outside the frame: transparent
    line = malloc((size_t)desc->Width);
    if (!out || !line) goto done;
    status = CDSP_ERR_CORRUPT;
    static const int start[4] = {0, 4, 2, 1}, step[4] = {8, 8, 4, 2};
    int passes = desc->Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; pass++) {
        int y0 = desc->Interlace ? start[pass] : 0, dy = desc->Interlace ? step[pass] : 1;
        for (int y = y0; y < desc->Height; y += dy) {
            // giflib fails here when the LZW data ends early, and reads the frame's terminator after the last line
            if (DGifGetLine(gif, line, desc->Width) != GIF_OK) goto done;
            uint8_t *dst = out + ((size_t)(desc->Top + y) * W + desc->Left) * 4;
            for (int x = 0; x < desc->Width; x++, dst += 4) {
                int index = line[x];
                if (index == transparent) continue;
                if (index >= map->ColorCount) goto done;
                dst[0] = map->Colors[index].Red;
                dst[1] = map->Colors[index].Green;
                dst[2] = map->Colors[index].Blue;
                dst[3] = 255;
            }
        }
    }
    status = CDSP_OK;
done:
    free(line);
    DGifCloseFile(gif, &err);
    if (status != CDSP_OK) {
        free(out);
        return status;
    }
    *rgba = out;
    return CDSP_OK;
}

// --- Probe and decode --------------------------------------------------------------------------------------------

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
    cdsp_status st = CDSP_OK;
    switch (f) {
    case CDSP_IMAGE_WEBP:
        if (!WebPGetInfo(data, size, &w, &h)) st = CDSP_ERR_CORRUPT;
        break;
    case CDSP_IMAGE_JPEG:
        st = jpeg_decode(data, size, 0, 0, NULL, &w, &h);
        break;
    case CDSP_IMAGE_PNG:
        if (size < 24 || be32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
            st = CDSP_ERR_CORRUPT;
        } else {
            uint32_t W = be32(data + 16), H = be32(data + 20);
            if (W == 0 || H == 0 || W > (1u << 24) || H > (1u << 24)) st = CDSP_ERR_CORRUPT;
            w = (int)W;
            h = (int)H;
        }
        break;
    case CDSP_IMAGE_GIF:
        if (size < 13) {
            st = CDSP_ERR_CORRUPT;
        } else {
            w = data[6] | (data[7] << 8);
            h = data[8] | (data[9] << 8);
        }
        break;
    case CDSP_IMAGE_BMP:
        st = cdsp_bmp_probe(data, size, &w, &h);
        break;
    default:
        st = CDSP_ERR_FORMAT;
    }
    if (st != CDSP_OK) return st;
    if (w <= 0 || h <= 0) return CDSP_ERR_CORRUPT;
    if (width) *width = w;
    if (height) *height = h;
    return CDSP_OK;
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
    switch (f) {
    case CDSP_IMAGE_WEBP: {
        uint8_t *p = WebPDecodeRGBA(data, size, &dw, &dh);
        if (!p) return CDSP_ERR_CORRUPT;
        // copy into malloc'ed memory so every decoder's result is freed the same way
        size_t bytes = (size_t)dw * (size_t)dh * 4;
        pixels = malloc(bytes);
        if (pixels) memcpy(pixels, p, bytes);
        WebPFree(p);
        if (!pixels) return CDSP_ERR_MEMORY;
        break;
    }
    case CDSP_IMAGE_JPEG:
        st = jpeg_decode(data, size, 1, max_pixels, &pixels, &dw, &dh);
        break;
    case CDSP_IMAGE_PNG:
        if (!png_complete(data, size)) return CDSP_ERR_CORRUPT;
        st = png_decode(data, size, max_pixels, &pixels, &dw, &dh);
        break;
    case CDSP_IMAGE_GIF:
        st = gif_decode(data, size, max_pixels, &pixels, &dw, &dh);
        break;
    case CDSP_IMAGE_BMP:
        st = cdsp_bmp_decode(data, size, max_pixels, &pixels, &dw, &dh);
        break;
    default:
        return CDSP_ERR_FORMAT;
    }
    if (st != CDSP_OK) return st;
    if (!pixels || dw != w || dh != h) {
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
