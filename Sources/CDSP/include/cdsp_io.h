// Untrusted bytes in (images), files out (audio, PNG/JPEG covers), and text set on covers.
#ifndef CDSP_IO_H
#define CDSP_IO_H

#include "cdsp_common.h"

#ifdef __cplusplus
extern "C" {
#endif

// --- Images ------------------------------------------------------------------------------------------------------
typedef enum {
    CDSP_IMAGE_UNKNOWN = 0, CDSP_IMAGE_JPEG = 1, CDSP_IMAGE_PNG = 2, CDSP_IMAGE_GIF = 3, CDSP_IMAGE_BMP = 4,
    CDSP_IMAGE_WEBP = 5,
} cdsp_image_format;

/// Identifies the format from the magic bytes only (JPEG FF D8 FF, PNG signature, GIF87a/89a, BM, RIFF....WEBP).
cdsp_image_format cdsp_image_sniff(const uint8_t *data, size_t size);

/// Reads width and height from the header without decoding pixels. CDSP_ERR_FORMAT for an unsupported format,
/// CDSP_ERR_CORRUPT when the header cannot be read.
cdsp_status cdsp_image_probe(const uint8_t *data, size_t size, cdsp_image_format *format, int *width, int *height);

/// Decodes to 8-bit RGBA (GIF: first frame). The header is probed first and the decode is refused with
/// CDSP_ERR_TOO_LARGE if width*height > max_pixels, before any pixel memory is allocated. On success *rgba is
/// malloc'ed (free with cdsp_image_free) and holds width*height*4 bytes.
cdsp_status cdsp_image_decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t **rgba, int *width,
                              int *height, cdsp_image_format *format);
void cdsp_image_free(uint8_t *rgba);

/// Resizes 8-bit RGBA (stb_image_resize, sRGB-aware) into dst (dst_w*dst_h*4 bytes).
cdsp_status cdsp_image_resize(const uint8_t *src, int src_w, int src_h, uint8_t *dst, int dst_w, int dst_h);

/// Writes 8-bit RGBA as PNG, or as JPEG (quality 1...100, alpha dropped).
cdsp_status cdsp_image_write_png(const char *path, const uint8_t *rgba, int width, int height);
cdsp_status cdsp_image_write_jpeg(const char *path, const uint8_t *rgba, int width, int height, int quality);

// --- Text on images (stb_truetype) -------------------------------------------------------------------------------
typedef struct cdsp_font cdsp_font;
/// Loads a TrueType font file. NULL if it cannot be read or parsed.
cdsp_font *cdsp_font_load(const char *path);
void cdsp_font_destroy(cdsp_font *font);
/// Width in pixels of UTF-8 `text` at `pixel_height` (with kerning).
float cdsp_font_text_width(const cdsp_font *font, const char *text, float pixel_height);
/// Alpha-blends UTF-8 `text` onto RGBA pixels with its baseline-left at (x, baseline_y), colour r,g,b, opacity a.
void cdsp_font_draw_text(const cdsp_font *font, uint8_t *rgba, int width, int height, const char *text,
                         float pixel_height, float x, float baseline_y, uint8_t r, uint8_t g, uint8_t b,
                         float opacity);

// --- Audio files (libsndfile; MP3 by LAME), written in blocks -----------------------------------------------------------------
typedef enum {
    CDSP_AUDIO_WAV16 = 0, CDSP_AUDIO_WAV24 = 1, CDSP_AUDIO_FLAC = 2, CDSP_AUDIO_MP3 = 3, CDSP_AUDIO_OGG = 4,
} cdsp_audio_format;

typedef struct cdsp_audio_writer cdsp_audio_writer;
/// Opens `path` for writing. channels 1 or 2. *status receives the outcome. MP3 is written by LAME with variable
/// bit rate (VBR quality 1, algorithm quality 7: audio_file.c), Ogg Vorbis at quality 0.8, FLAC at level 5.
cdsp_audio_writer *cdsp_audio_writer_open(const char *path, cdsp_audio_format format, int channels,
                                          int sample_rate, cdsp_status *status);
/// Writes planar frames (right ignored for mono), interleaving internally, in blocks of at most 4096 frames
/// (libvorbis crashes on one huge write). Samples are clamped to [-1, 1] for integer formats.
cdsp_status cdsp_audio_writer_write(cdsp_audio_writer *w, const float *left, const float *right, size_t frames);
/// Finishes and closes the file; returns the status of the close.
cdsp_status cdsp_audio_writer_close(cdsp_audio_writer *w);

/// Reads a whole audio file into newly malloc'ed planar buffers (*right NULL for mono). Free with
/// cdsp_audio_free. For tests, analysis and voice conversion of user files.
cdsp_status cdsp_audio_read(const char *path, float **left, float **right, size_t *frames, int *sample_rate,
                            int *channels);
void cdsp_audio_free(float *buffer);

// --- Audio files read in blocks (streaming) -----------------------------------------------------------------------
typedef struct cdsp_audio_reader cdsp_audio_reader;
/// Opens any file libsndfile reads. *sample_rate and *channels (1 or 2; files with more give their first two)
/// receive the format; *status the outcome (CDSP_ERR_FORMAT: not audio, CDSP_ERR_CORRUPT: unreadable header).
/// Memory: one block buffer, independent of the file's length.
cdsp_audio_reader *cdsp_audio_reader_open(const char *path, int *sample_rate, int *channels, cdsp_status *status);
/// Reads up to `frames` frames into planar `left` (and `right` for stereo; ignored for mono). Returns the frames
/// read, 0 at the end; *status is CDSP_ERR_CORRUPT if the file broke off with an error.
size_t cdsp_audio_reader_read(cdsp_audio_reader *r, float *left, float *right, size_t frames, cdsp_status *status);
void cdsp_audio_reader_close(cdsp_audio_reader *r);

/// The true peak (dBTP, as cdsp_true_peak measures it: 4x oversampled, zero beyond both ends) of any file
/// libsndfile reads, read in blocks: memory independent of its length. For checking an encoded file (an MP3's
/// own overshoot) without decoding it whole. *dbtp is -INFINITY for silence; errors as cdsp_audio_reader_*.
cdsp_status cdsp_audio_file_true_peak(const char *path, double *dbtp);

#ifdef __cplusplus
}
#endif
#endif
