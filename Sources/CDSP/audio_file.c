// Audio files over libsndfile, and MP3 over LAME directly. Writing interleaves planar input in blocks of at most
// 4096 frames (one huge write to Ogg Vorbis crashes libvorbis), clamps to [-1, 1] for integer formats and adds
// seeded TPDF dither of one LSB before 16-bit quantisation. Reading takes anything libsndfile reads.
#include <lame/lame.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cdsp_io.h"

enum { BLOCK = 4096 };

struct cdsp_audio_writer;
static struct cdsp_audio_writer *mp3_open(const char *path, int channels, int sample_rate, cdsp_status *status);

struct cdsp_audio_writer {
    SNDFILE *file;     // every format but MP3
    lame_t lame;       // MP3: LAME, writing to `out`
    FILE *out;
    unsigned char *mp3;
    size_t mp3_capacity;
    int channels;
    char *ogg_path;    // Ogg Vorbis: the file, to make its stream serial fixed on close
    int integer;       // clamp to [-1, 1]
    float dither_lsb;  // 0: no dither
    cdsp_rng rng;
    float buffer[BLOCK * 2];
};

cdsp_audio_writer *cdsp_audio_writer_open(const char *path, cdsp_audio_format format, int channels,
                                          int sample_rate, cdsp_status *status) {
    cdsp_status dummy;
    if (!status) status = &dummy;
    *status = CDSP_ERR_ARGUMENT;
    if (!path || channels < 1 || channels > 2 || sample_rate < 8000 || sample_rate > 384000) return NULL;
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    info.channels = channels;
    info.samplerate = sample_rate;
    int integer = 1, sixteen = 0;
    switch (format) {
    case CDSP_AUDIO_WAV16: info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16; sixteen = 1; break;
    case CDSP_AUDIO_WAV24: info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24; break;
    case CDSP_AUDIO_FLAC: info.format = SF_FORMAT_FLAC | SF_FORMAT_PCM_16; sixteen = 1; break;
    case CDSP_AUDIO_MP3: return mp3_open(path, channels, sample_rate, status);
    case CDSP_AUDIO_OGG: info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS; integer = 0; break;
    default: return NULL;
    }
    if (!sf_format_check(&info)) {
        *status = CDSP_ERR_FORMAT;
        return NULL;
    }
    cdsp_audio_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        *status = CDSP_ERR_MEMORY;
        return NULL;
    }
    w->file = sf_open(path, SFM_WRITE, &info);
    if (!w->file) {
        free(w);
        *status = CDSP_ERR_IO;
        return NULL;
    }
    if (format == CDSP_AUDIO_OGG && !(w->ogg_path = strdup(path))) {
        sf_close(w->file);
        free(w);
        *status = CDSP_ERR_MEMORY;
        return NULL;
    }
    w->channels = channels;
    w->integer = integer;
    w->dither_lsb = sixteen ? 1.0f / 32768.0f : 0.0f;
    cdsp_rng_seed(&w->rng, 0x43686f726f6d61ull);  // fixed: same audio, same bytes
    sf_command(w->file, SFC_SET_CLIPPING, NULL, SF_TRUE);
    if (format == CDSP_AUDIO_OGG) {
        double quality = 0.8;
        sf_command(w->file, SFC_SET_VBR_ENCODING_QUALITY, &quality, sizeof(quality));
    } else if (format == CDSP_AUDIO_FLAC) {
        double level = 0.625;  // libsndfile maps 0...1 onto FLAC levels 0...8: 5, the flac tool's default
        sf_command(w->file, SFC_SET_COMPRESSION_LEVEL, &level, sizeof(level));
    }
    *status = CDSP_OK;
    return w;
}

// --- MP3 over LAME ------------------------------------------------------------------------------------------------
// libsndfile's MP3 writer sets LAME's bit-rate mode and VBR quality but not its algorithm quality (`-q`), and
// LAME's default there took 1.9x the encoding time of -q 7. So the writer drives LAME itself: VBR (LAME's
// default VBR method) at quality 1 (about 190-210 kbit/s on our masters) with algorithm quality 7, which
// measured at least as close to the master as libsndfile's V3 at the default -q (about 167 kbit/s) on two
// renders used in the choice and two held out, at 1.8-1.9x the speed (docs/speed.md, "MP3";
// Benchmarks/mp3_quality.py). Joint stereo; the LAME/Xing tag is written back at the start on close (gapless
// length and the VBR seek table), as libsndfile did; no ID3 tags. LAME is deterministic: same samples, same bytes.

/// Frees an MP3 writer's encoder, buffer and itself (its file is closed by the caller).
static void mp3_free(cdsp_audio_writer *w) {
    if (w->lame) lame_close(w->lame);
    free(w->mp3);
    free(w);
}

static cdsp_audio_writer *mp3_open(const char *path, int channels, int sample_rate, cdsp_status *status) {
    cdsp_audio_writer *w = calloc(1, sizeof(*w));
    if (!w) {
        *status = CDSP_ERR_MEMORY;
        return NULL;
    }
    w->channels = channels;
    w->lame = lame_init();
    w->mp3_capacity = BLOCK + BLOCK / 4 + 7200;  // lame.h: 1.25 * samples + 7200 bytes is always enough
    w->mp3 = malloc(w->mp3_capacity);
    if (!w->lame || !w->mp3) {
        mp3_free(w);
        *status = CDSP_ERR_MEMORY;
        return NULL;
    }
    lame_set_in_samplerate(w->lame, sample_rate);
    lame_set_num_channels(w->lame, channels);
    lame_set_out_samplerate(w->lame, sample_rate);
    lame_set_VBR(w->lame, vbr_default);
    lame_set_VBR_quality(w->lame, 1.0f);
    lame_set_quality(w->lame, 7);
    lame_set_bWriteVbrTag(w->lame, 1);
    lame_set_write_id3tag_automatic(w->lame, 0);
    // A rate MP3 has no place for: LAME would resample to another, and the file's rate must be the song's.
    if (lame_init_params(w->lame) < 0 || lame_get_out_samplerate(w->lame) != sample_rate) {
        mp3_free(w);
        *status = CDSP_ERR_FORMAT;
        return NULL;
    }
    w->out = fopen(path, "wb");
    if (!w->out) {
        mp3_free(w);
        *status = CDSP_ERR_IO;
        return NULL;
    }
    *status = CDSP_OK;
    return w;
}

static inline float finite_or_zero(float v) { return v == v ? v : 0.0f; }  // NaN never reaches a file

static cdsp_status mp3_write(cdsp_audio_writer *w, const float *left, const float *right, size_t frames) {
    float *l = w->buffer, *r = w->buffer + BLOCK;
    for (size_t base = 0; base < frames; base += BLOCK) {
        size_t n = frames - base < BLOCK ? frames - base : BLOCK;
        for (size_t i = 0; i < n; i++) l[i] = finite_or_zero(left[base + i]);
        if (w->channels == 2)
            for (size_t i = 0; i < n; i++) r[i] = finite_or_zero(right[base + i]);
        int bytes = lame_encode_buffer_ieee_float(w->lame, l, w->channels == 2 ? r : NULL, (int)n, w->mp3,
                                                  (int)w->mp3_capacity);
        if (bytes < 0) return CDSP_ERR_IO;
        if (bytes > 0 && fwrite(w->mp3, 1, (size_t)bytes, w->out) != (size_t)bytes) return CDSP_ERR_IO;
    }
    return CDSP_OK;
}

static cdsp_status mp3_close(cdsp_audio_writer *w) {
    int ok = 1;
    int bytes = lame_encode_flush(w->lame, w->mp3, (int)w->mp3_capacity);
    if (bytes < 0) ok = 0;
    if (bytes > 0 && fwrite(w->mp3, 1, (size_t)bytes, w->out) != (size_t)bytes) ok = 0;
    // The LAME tag: the first frame, reserved by the encoder, filled in now that the whole stream is known.
    size_t tag = lame_get_lametag_frame(w->lame, NULL, 0);
    if (ok && tag > 0) {
        unsigned char *frame = malloc(tag);
        if (!frame || lame_get_lametag_frame(w->lame, frame, tag) != tag || fseek(w->out, 0, SEEK_SET) != 0
            || fwrite(frame, 1, tag, w->out) != tag)
            ok = 0;
        free(frame);
    }
    if (fclose(w->out) != 0) ok = 0;
    mp3_free(w);
    return ok ? CDSP_OK : CDSP_ERR_IO;
}

static inline float prepare(cdsp_audio_writer *w, float v) {
    if (!(v == v)) v = 0.0f;  // NaN never reaches a file
    if (w->dither_lsb > 0.0f) v += (cdsp_rng_uniform(&w->rng) - cdsp_rng_uniform(&w->rng)) * w->dither_lsb;
    if (w->integer) v = v > 1.0f ? 1.0f : (v < -1.0f ? -1.0f : v);
    return v;
}

cdsp_status cdsp_audio_writer_write(cdsp_audio_writer *w, const float *left, const float *right, size_t frames) {
    if (!w || (!w->file && !w->lame) || (!left && frames > 0)) return CDSP_ERR_ARGUMENT;
    if (w->channels == 2 && !right) right = left;
    if (w->lame) return mp3_write(w, left, right, frames);
    for (size_t base = 0; base < frames; base += BLOCK) {
        size_t n = frames - base < BLOCK ? frames - base : BLOCK;
        if (w->channels == 1) {
            for (size_t i = 0; i < n; i++) w->buffer[i] = prepare(w, left[base + i]);
        } else {
            for (size_t i = 0; i < n; i++) {
                w->buffer[2 * i] = prepare(w, left[base + i]);
                w->buffer[2 * i + 1] = prepare(w, right[base + i]);
            }
        }
        if (sf_writef_float(w->file, w->buffer, (sf_count_t)n) != (sf_count_t)n) return CDSP_ERR_IO;
    }
    return CDSP_OK;
}

// --- Ogg: a fixed stream serial ----------------------------------------------------------------------------------
// libsndfile starts every Ogg stream with a random serial number (RFC 3533 asks for one unique among the streams
// of a physical file; a file of ours has one), so two renders of the same request differed in each page's serial and
// checksum. On close the writer rewrites every page with a fixed serial and recomputes its CRC: same audio, same
// bytes. The pages are the writer's own, read back one at a time and checked as they are read.

static uint32_t ogg_crc_table[256];

static void ogg_crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t r = i << 24;
        for (int k = 0; k < 8; k++) r = r & 0x80000000u ? (r << 1) ^ 0x04c11db7u : r << 1;
        ogg_crc_table[i] = r;
    }
}

static uint32_t ogg_crc(uint32_t crc, const unsigned char *bytes, size_t count) {
    for (size_t i = 0; i < count; i++) crc = (crc << 8) ^ ogg_crc_table[((crc >> 24) & 0xff) ^ bytes[i]];
    return crc;
}

/// Rewrites each page of the Ogg file at `path` with `serial` and its recomputed checksum.
static cdsp_status ogg_fix_serial(const char *path, uint32_t serial) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, ogg_crc_init);
    FILE *f = fopen(path, "r+b");
    if (!f) return CDSP_ERR_IO;
    enum { HEADER = 27, MAX_PAGE = HEADER + 255 + 255 * 255 };
    unsigned char *page = malloc(MAX_PAGE);
    cdsp_status status = page ? CDSP_OK : CDSP_ERR_MEMORY;
    long at = 0;
    while (status == CDSP_OK) {
        size_t got = fread(page, 1, HEADER, f);
        if (got == 0 && feof(f)) break;
        if (got != HEADER || memcmp(page, "OggS", 4) != 0) { status = CDSP_ERR_CORRUPT; break; }
        size_t segments = page[26];
        if (fread(page + HEADER, 1, segments, f) != segments) { status = CDSP_ERR_CORRUPT; break; }
        size_t body = 0;
        for (size_t i = 0; i < segments; i++) body += page[HEADER + i];
        if (fread(page + HEADER + segments, 1, body, f) != body) { status = CDSP_ERR_CORRUPT; break; }
        size_t length = HEADER + segments + body;
        for (int i = 0; i < 4; i++) page[14 + i] = (unsigned char)(serial >> (8 * i));
        memset(page + 22, 0, 4);
        uint32_t crc = ogg_crc(0, page, length);
        for (int i = 0; i < 4; i++) page[22 + i] = (unsigned char)(crc >> (8 * i));
        if (fseek(f, at, SEEK_SET) != 0 || fwrite(page, 1, HEADER, f) != HEADER) { status = CDSP_ERR_IO; break; }
        at += (long)length;
        if (fseek(f, at, SEEK_SET) != 0) { status = CDSP_ERR_IO; break; }
    }
    free(page);
    if (fclose(f) != 0 && status == CDSP_OK) status = CDSP_ERR_IO;
    return status;
}

cdsp_status cdsp_audio_writer_close(cdsp_audio_writer *w) {
    if (!w) return CDSP_ERR_ARGUMENT;
    if (w->lame) return mp3_close(w);
    int err = w->file ? sf_close(w->file) : 0;
    cdsp_status status = err == 0 ? CDSP_OK : CDSP_ERR_IO;
    if (status == CDSP_OK && w->ogg_path) status = ogg_fix_serial(w->ogg_path, 0x43686f72u);  // "Chor"
    free(w->ogg_path);
    free(w);
    return status;
}

cdsp_status cdsp_audio_read(const char *path, float **left, float **right, size_t *frames, int *sample_rate,
                            int *channels) {
    if (!path || !left || !right || !frames) return CDSP_ERR_ARGUMENT;
    *left = *right = NULL;
    *frames = 0;
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        int err = sf_error(NULL);
        return err == SF_ERR_UNRECOGNISED_FORMAT ? CDSP_ERR_FORMAT
             : err == SF_ERR_MALFORMED_FILE || err == SF_ERR_UNSUPPORTED_ENCODING ? CDSP_ERR_CORRUPT
             : CDSP_ERR_IO;
    }
    int ch = info.channels;
    if (ch < 1 || ch > 64) {
        sf_close(f);
        return CDSP_ERR_CORRUPT;
    }
    // frames from the header can be wrong (MP3): grow as needed
    size_t cap = info.frames > 0 && info.frames < (sf_count_t)1 << 31 ? (size_t)info.frames + 1 : 65536, n = 0;
    float *l = malloc(cap * sizeof(float)), *r = ch >= 2 ? malloc(cap * sizeof(float)) : NULL;
    float *block = malloc((size_t)BLOCK * (size_t)ch * sizeof(float));
    cdsp_status st = CDSP_OK;
    if (!l || (ch >= 2 && !r) || !block) st = CDSP_ERR_MEMORY;
    while (st == CDSP_OK) {
        sf_count_t got = sf_readf_float(f, block, BLOCK);
        if (got <= 0) break;
        if (n + (size_t)got > cap) {
            size_t ncap = cap * 2 + (size_t)got;
            float *nl = realloc(l, ncap * sizeof(float));
            if (nl) l = nl;
            float *nr = r ? realloc(r, ncap * sizeof(float)) : NULL;
            if (nr) r = nr;
            if (!nl || (r && !nr)) {
                st = CDSP_ERR_MEMORY;
                break;
            }
            cap = ncap;
        }
        for (sf_count_t i = 0; i < got; i++) {
            l[n + (size_t)i] = block[i * ch];
            if (r) r[n + (size_t)i] = block[i * ch + 1];  // more than two channels: the first two
        }
        n += (size_t)got;
    }
    if (st == CDSP_OK && sf_error(f) != SF_ERR_NO_ERROR) st = CDSP_ERR_CORRUPT;
    sf_close(f);
    free(block);
    if (st != CDSP_OK) {
        free(l);
        free(r);
        return st;
    }
    *left = l;
    *right = r;
    *frames = n;
    if (sample_rate) *sample_rate = info.samplerate;
    if (channels) *channels = ch >= 2 ? 2 : 1;
    return CDSP_OK;
}

void cdsp_audio_free(float *buffer) { free(buffer); }

// --- streaming reader ---------------------------------------------------------------------------------------------

struct cdsp_audio_reader {
    SNDFILE *file;
    int channels;  // in the file
    float *block;  // BLOCK * channels interleaved
};

cdsp_audio_reader *cdsp_audio_reader_open(const char *path, int *sample_rate, int *channels, cdsp_status *status) {
    cdsp_status dummy;
    if (!status) status = &dummy;
    *status = CDSP_ERR_ARGUMENT;
    if (!path) return NULL;
    SF_INFO info;
    memset(&info, 0, sizeof(info));
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) {
        int err = sf_error(NULL);
        *status = err == SF_ERR_UNRECOGNISED_FORMAT ? CDSP_ERR_FORMAT
                : err == SF_ERR_MALFORMED_FILE || err == SF_ERR_UNSUPPORTED_ENCODING ? CDSP_ERR_CORRUPT
                : CDSP_ERR_IO;
        return NULL;
    }
    if (info.channels < 1 || info.channels > 64 || info.samplerate <= 0) {
        sf_close(f);
        *status = CDSP_ERR_CORRUPT;
        return NULL;
    }
    cdsp_audio_reader *r = calloc(1, sizeof(*r));
    float *block = malloc((size_t)BLOCK * (size_t)info.channels * sizeof(float));
    if (!r || !block) {
        free(r);
        free(block);
        sf_close(f);
        *status = CDSP_ERR_MEMORY;
        return NULL;
    }
    r->file = f;
    r->channels = info.channels;
    r->block = block;
    if (sample_rate) *sample_rate = info.samplerate;
    if (channels) *channels = info.channels >= 2 ? 2 : 1;
    *status = CDSP_OK;
    return r;
}

size_t cdsp_audio_reader_read(cdsp_audio_reader *r, float *left, float *right, size_t frames, cdsp_status *status) {
    cdsp_status dummy;
    if (!status) status = &dummy;
    *status = CDSP_OK;
    if (!r || !left) {
        *status = CDSP_ERR_ARGUMENT;
        return 0;
    }
    int ch = r->channels;
    size_t done = 0;
    while (done < frames) {
        size_t want = frames - done < BLOCK ? frames - done : BLOCK;
        sf_count_t got = sf_readf_float(r->file, r->block, (sf_count_t)want);
        if (got <= 0) break;
        for (sf_count_t i = 0; i < got; i++) {
            left[done + (size_t)i] = r->block[i * ch];
            if (ch >= 2 && right) right[done + (size_t)i] = r->block[i * ch + 1];
        }
        done += (size_t)got;
        if ((size_t)got < want) break;
    }
    if (sf_error(r->file) != SF_ERR_NO_ERROR) *status = CDSP_ERR_CORRUPT;
    return done;
}

void cdsp_audio_reader_close(cdsp_audio_reader *r) {
    if (!r) return;
    if (r->file) sf_close(r->file);
    free(r->block);
    free(r);
}
