// Internal to the C core: the BMP decoder of our own (bmp.c), used by image.c.
#ifndef CDSP_IMAGE_INTERNAL_H
#define CDSP_IMAGE_INTERNAL_H

#include "cdsp_io.h"

/// Reads the BMP file and info headers: CDSP_OK with the size, CDSP_ERR_CORRUPT for a broken header.
cdsp_status cdsp_bmp_probe(const uint8_t *data, size_t size, int *width, int *height);
/// Decodes an uncompressed (BI_RGB, BI_BITFIELDS, BI_ALPHABITFIELDS) BMP of 1/4/8/16/24/32 bits per pixel to
/// malloc'ed RGBA, refusing it before allocating when width*height > max_pixels (CDSP_ERR_TOO_LARGE) or when the
/// pixel array does not fit in the data (CDSP_ERR_CORRUPT). RLE, JPEG and PNG compression: CDSP_ERR_FORMAT.
cdsp_status cdsp_bmp_decode(const uint8_t *data, size_t size, uint64_t max_pixels, uint8_t **rgba, int *width,
                            int *height);

#endif
