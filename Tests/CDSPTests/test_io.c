// Images (sniff, probe, limits, decode of real photos in all five formats, corrupt and truncated inputs),
// PNG/JPEG writing, resizing, text drawing, and audio file round trips in every delivered format.
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cdsp.h"
#include "cdsp_test.h"
#include "cdsp_test_files.h"

static char image_dir[PATH_MAX / 2];



static const struct {
    const char *name;
    cdsp_image_format format;
} photos[] = {
    {"aqua.jpg", CDSP_IMAGE_JPEG}, {"blinds.jpg", CDSP_IMAGE_JPEG}, {"dune.png", CDSP_IMAGE_PNG},
    {"freshflower.webp", CDSP_IMAGE_WEBP}, {"garden.gif", CDSP_IMAGE_GIF}, {"greenmeadow.bmp", CDSP_IMAGE_BMP},
    {"ladybird.jpg", CDSP_IMAGE_JPEG}, {"raindrops.webp", CDSP_IMAGE_WEBP}, {"storm.jpg", CDSP_IMAGE_JPEG},
    {"twowings.png", CDSP_IMAGE_PNG}, {"wood.jpg", CDSP_IMAGE_JPEG}, {"yellowflower.jpg", CDSP_IMAGE_JPEG},
};
enum { PHOTOS = sizeof(photos) / sizeof(photos[0]) };

CDSP_TEST(real_photos_probe_and_decode) {
    if (!image_dir[0]) return;
    for (int i = 0; i < PHOTOS; i++) {
        char path[PATH_MAX + 64];
        snprintf(path, sizeof(path), "%s/%s", image_dir, photos[i].name);
        size_t size = 0;
        uint8_t *data = cdsp_test_read_file(path, &size);
        if (!data) {
            printf("   note: %s missing, skipped\n", photos[i].name);
            continue;
        }
        CDSP_CHECK(cdsp_image_sniff(data, size) == photos[i].format);
        cdsp_image_format f;
        int pw = 0, ph = 0, w = 0, h = 0;
        CDSP_CHECK(cdsp_image_probe(data, size, &f, &pw, &ph) == CDSP_OK);
        uint8_t *rgba = NULL;
        cdsp_status st = cdsp_image_decode(data, size, 40000000ull, &rgba, &w, &h, &f);
        if (st != CDSP_OK) fprintf(stderr, "  %s: status %d\n", photos[i].name, st);
        CDSP_CHECK(st == CDSP_OK && rgba != NULL);
        CDSP_CHECK(w == pw && h == ph && w > 16 && h > 16 && f == photos[i].format);
        if (rgba) {
            // a real photo: the luminance varies and alpha is opaque
            double sum = 0, sum2 = 0;
            size_t n = (size_t)w * (size_t)h;
            int opaque = 1;
            for (size_t k = 0; k < n; k++) {
                double y = 0.2126 * rgba[4 * k] + 0.7152 * rgba[4 * k + 1] + 0.0722 * rgba[4 * k + 2];
                sum += y;
                sum2 += y * y;
                opaque &= rgba[4 * k + 3] == 255 || f == CDSP_IMAGE_PNG || f == CDSP_IMAGE_GIF || f == CDSP_IMAGE_WEBP;
            }
            double sd = sqrt(sum2 / n - (sum / n) * (sum / n));
            CDSP_CHECK(sd > 5.0 && opaque);
            // a pixel limit below the image refuses it
            uint8_t *none = NULL;
            CDSP_CHECK(cdsp_image_decode(data, size, (uint64_t)w * h - 1, &none, &w, &h, &f) == CDSP_ERR_TOO_LARGE);
            CDSP_CHECK(none == NULL);
            printf("   %-18s %4d x %-4d  luma sd %.1f\n", photos[i].name, w, h, sd);
        }
        cdsp_image_free(rgba);
        // truncated to 60 %: corrupt, never a partial picture
        uint8_t *cut = NULL;
        st = cdsp_image_decode(data, size * 6 / 10, 40000000ull, &cut, &w, &h, &f);
        if (st != CDSP_ERR_CORRUPT) fprintf(stderr, "  truncated %s: status %d\n", photos[i].name, st);
        CDSP_CHECK(st == CDSP_ERR_CORRUPT && cut == NULL);
        cdsp_image_free(cut);
        // only a header's worth
        st = cdsp_image_decode(data, 40, 40000000ull, &cut, &w, &h, &f);
        CDSP_CHECK(st == CDSP_ERR_CORRUPT && cut == NULL);
        free(data);
    }
}

static void put32be(uint8_t *p, uint32_t v) {
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

static uint32_t crc32_of(const uint8_t *d, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= d[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

CDSP_TEST(huge_header_refused_before_decoding) {
    // A PNG whose header claims 30000 x 30000 (900 megapixels) followed by nothing.
    uint8_t png[8 + 25 + 12] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    put32be(png + 8, 13);
    memcpy(png + 12, "IHDR", 4);
    put32be(png + 16, 30000);
    put32be(png + 20, 30000);
    png[24] = 8;  // bit depth
    png[25] = 6;  // RGBA
    put32be(png + 29, crc32_of(png + 12, 17));
    put32be(png + 33, 0);
    memcpy(png + 37, "IEND", 4);
    put32be(png + 41, crc32_of(png + 37, 4));
    int w = 0, h = 0;
    cdsp_image_format f;
    CDSP_CHECK(cdsp_image_probe(png, sizeof(png), &f, &w, &h) == CDSP_OK);
    CDSP_CHECK(w == 30000 && h == 30000 && f == CDSP_IMAGE_PNG);
    uint8_t *rgba = NULL;
    CDSP_CHECK(cdsp_image_decode(png, sizeof(png), 40000000ull, &rgba, &w, &h, &f) == CDSP_ERR_TOO_LARGE);
    CDSP_CHECK(rgba == NULL);
    // allowed by the limit but without pixel data: corrupt
    CDSP_CHECK(cdsp_image_decode(png, sizeof(png), UINT64_MAX, &rgba, &w, &h, &f) == CDSP_ERR_CORRUPT);
    CDSP_CHECK(rgba == NULL);
}

CDSP_TEST(unsupported_and_broken_inputs) {
    uint8_t *rgba = NULL;
    int w, h;
    cdsp_image_format f;
    const uint8_t tiff[16] = {'I', 'I', 42, 0, 8, 0, 0, 0};
    const char *text = "this is not an image, just words";
    CDSP_CHECK(cdsp_image_decode(NULL, 0, 1000000, &rgba, &w, &h, &f) == CDSP_ERR_FORMAT);
    CDSP_CHECK(cdsp_image_decode((const uint8_t *)"", 0, 1000000, &rgba, &w, &h, &f) == CDSP_ERR_FORMAT);
    CDSP_CHECK(cdsp_image_decode(tiff, sizeof(tiff), 1000000, &rgba, &w, &h, &f) == CDSP_ERR_FORMAT);
    CDSP_CHECK(cdsp_image_decode((const uint8_t *)text, strlen(text), 1000000, &rgba, &w, &h, &f) ==
               CDSP_ERR_FORMAT);
    CDSP_CHECK(f == CDSP_IMAGE_UNKNOWN);
    // right magic, garbage after it
    uint8_t junk[256];
    cdsp_rng rng;
    cdsp_rng_seed(&rng, 9);
    for (int i = 0; i < 256; i++) junk[i] = (uint8_t)cdsp_rng_next(&rng);
    const uint8_t *magics[5] = {(const uint8_t *)"\xFF\xD8\xFF", (const uint8_t *)"\x89PNG\r\n\x1a\n",
                                (const uint8_t *)"GIF89a", (const uint8_t *)"BM", (const uint8_t *)"RIFF\0\0\0\0WEBP"};
    const size_t lens[5] = {3, 8, 6, 2, 12};
    for (int k = 0; k < 5; k++) {
        uint8_t buf[256];
        memcpy(buf, junk, sizeof(buf));
        memcpy(buf, magics[k], lens[k]);
        cdsp_status st = cdsp_image_decode(buf, sizeof(buf), 1000000, &rgba, &w, &h, &f);
        if (st != CDSP_ERR_CORRUPT && st != CDSP_ERR_TOO_LARGE) fprintf(stderr, "  junk %d: status %d\n", k, st);
        CDSP_CHECK(st == CDSP_ERR_CORRUPT || st == CDSP_ERR_TOO_LARGE);
        CDSP_CHECK(rgba == NULL);
    }
}

CDSP_TEST(write_read_resize_images) {
    int w = 64, h = 48;
    uint8_t *img = malloc((size_t)w * h * 4);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img + (y * w + x) * 4;
            p[0] = (uint8_t)(x * 4); p[1] = (uint8_t)(y * 5); p[2] = 128; p[3] = 255;
        }
    const char *png = "cdsp_io_test.png", *jpg = "cdsp_io_test.jpg";
    CDSP_CHECK(cdsp_image_write_png(png, img, w, h) == CDSP_OK);
    CDSP_CHECK(cdsp_image_write_jpeg(jpg, img, w, h, 92) == CDSP_OK);
    size_t size;
    uint8_t *data = cdsp_test_read_file(png, &size), *rgba = NULL;
    int rw, rh;
    cdsp_image_format f;
    CDSP_CHECK(cdsp_image_decode(data, size, 1 << 20, &rgba, &rw, &rh, &f) == CDSP_OK);
    CDSP_CHECK(rw == w && rh == h && f == CDSP_IMAGE_PNG && rgba && memcmp(rgba, img, (size_t)w * h * 4) == 0);
    cdsp_image_free(rgba);
    free(data);
    data = cdsp_test_read_file(jpg, &size);
    CDSP_CHECK(cdsp_image_decode(data, size, 1 << 20, &rgba, &rw, &rh, &f) == CDSP_OK && f == CDSP_IMAGE_JPEG);
    double err = 0;
    for (size_t k = 0; rgba && k < (size_t)w * h * 4; k++) err += abs((int)rgba[k] - (int)img[k]);
    CDSP_CHECK(rgba && err / (w * h * 4) < 3.0);
    cdsp_image_free(rgba);
    free(data);
    remove(png);
    remove(jpg);
    CDSP_CHECK(cdsp_image_write_png("/nonexistent-dir/x.png", img, w, h) == CDSP_ERR_IO);
    // halve: the gradient's mean is kept, a pixel matches the average of its source block
    uint8_t *half = malloc(32 * 24 * 4);
    CDSP_CHECK(cdsp_image_resize(img, w, h, half, 32, 24) == CDSP_OK);
    CDSP_CHECK(abs((int)half[(10 * 32 + 10) * 4 + 2] - 128) <= 1);
    CDSP_CHECK(abs((int)half[(10 * 32 + 10) * 4 + 0] - 82) <= 3);  // source x 20, 21 -> red 80, 84
    CDSP_CHECK(half[(5 * 32 + 5) * 4 + 3] == 255);
    CDSP_CHECK(cdsp_image_resize(img, 0, h, half, 32, 24) == CDSP_ERR_ARGUMENT);
    free(half);
    free(img);
}

CDSP_TEST(font_measures_and_draws_text) {
    const char *path = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
    CDSP_CHECK(cdsp_font_load("/nonexistent.ttf") == NULL);
    cdsp_font *font = cdsp_font_load(path);
    if (!font) {
        printf("   note: %s missing, font test skipped\n", path);
        return;
    }
    float w1 = cdsp_font_text_width(font, "Hello", 32), w2 = cdsp_font_text_width(font, "Hello", 64);
    CDSP_CHECK(w1 > 50 && w1 < 150);
    CDSP_CHECK_NEAR(w2 / w1, 2.0, 0.02);
    CDSP_CHECK_NEAR(cdsp_font_text_width(font, "He\xff\xc3llo", 32), w1, 1e-4);  // invalid bytes skipped
    CDSP_CHECK(cdsp_font_text_width(font, "caf\xc3\xa9", 32) > cdsp_font_text_width(font, "caf", 32));
    CDSP_CHECK(cdsp_font_text_width(font, "\xc0\xaf", 32) == 0.0f);  // overlong encoding of '/': invalid
    int W = 200, H = 60;
    uint8_t *img = calloc((size_t)W * H * 4, 1);
    for (int i = 0; i < W * H; i++) img[4 * i + 3] = 255;
    cdsp_font_draw_text(font, img, W, H, "Hello", 32, 10, 40, 255, 255, 255, 1.0f);
    int minx = W, maxx = -1, miny = H, maxy = -1, full = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t v = img[(y * W + x) * 4];
            if (v > 64) {
                minx = x < minx ? x : minx; maxx = x > maxx ? x : maxx;
                miny = y < miny ? y : miny; maxy = y > maxy ? y : maxy;
            }
            full += v == 255;
        }
    CDSP_CHECK(full > 100);
    CDSP_CHECK(minx >= 10 && minx < 16 && maxx <= 10 + (int)w1 && maxx > 10 + (int)w1 - 8);
    CDSP_CHECK(maxy <= 40 && miny >= 40 - 32 && miny < 40 - 18);  // cap height of a 32 px font: about 23 px
    // half opacity: at most half the way from black to white
    memset(img, 0, (size_t)W * H * 4);
    cdsp_font_draw_text(font, img, W, H, "Hello", 32, 10, 40, 255, 255, 255, 0.5f);
    int peak = 0;
    for (int i = 0; i < W * H; i++) peak = img[4 * i] > peak ? img[4 * i] : peak;
    CDSP_CHECK(peak >= 126 && peak <= 129);
    // drawing off the canvas is clipped, never written out of bounds (ASan watches)
    cdsp_font_draw_text(font, img, W, H, "Hello world", 80, -30, 70, 255, 0, 0, 1.0f);
    free(img);
    cdsp_font_destroy(font);
}

static double rms_db(const float *x, size_t n) { return 20 * log10(cdsp_rms(x, n) + 1e-12); }

CDSP_TEST(audio_round_trip_every_format) {
    const int fs = 44100;
    size_t n = (size_t)fs * 2;
    float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        l[i] = 0.5f * (float)sin(2 * M_PI * 440.0 * i / fs);
        r[i] = 0.25f * (float)sin(2 * M_PI * 660.0 * i / fs);
    }
    l[1000] = 1.7f;  // out of range: clamped in integer formats
    const char *names[5] = {"rt.wav", "rt24.wav", "rt.flac", "rt.mp3", "rt.ogg"};
    for (int k = 0; k < 5; k++) {
        cdsp_status st = CDSP_ERR_ARGUMENT;
        cdsp_audio_writer *w = cdsp_audio_writer_open(names[k], (cdsp_audio_format)k, 2, fs, &st);
        CDSP_CHECK(w != NULL && st == CDSP_OK);
        if (!w) continue;
        CDSP_CHECK(cdsp_audio_writer_write(w, l, r, n) == CDSP_OK);  // one call: split into blocks inside
        CDSP_CHECK(cdsp_audio_writer_close(w) == CDSP_OK);
        float *rl = NULL, *rr = NULL;
        size_t frames = 0;
        int rate = 0, ch = 0;
        CDSP_CHECK(cdsp_audio_read(names[k], &rl, &rr, &frames, &rate, &ch) == CDSP_OK);
        CDSP_CHECK(rate == fs && ch == 2 && rl && rr);
        if (!rl || !rr) continue;
        if (k <= 2) {
            CDSP_CHECK(frames == n);
            double tol = k == 1 ? 2.0 / 8388608.0 : 2.0 / 32768.0;  // 16 bit: quantisation + 1 LSB dither
            double worst = 0;
            for (size_t i = 0; i < n; i++) {
                if (i == 1000) continue;
                double e = fabs(rl[i] - l[i]);
                worst = e > worst ? e : worst;
                e = fabs(rr[i] - r[i]);
                worst = e > worst ? e : worst;
            }
            CDSP_CHECK(worst <= tol);
            CDSP_CHECK(rl[1000] <= 1.0f && rl[1000] > 0.99f);
            printf("   %-8s frames %zu, worst error %.2g\n", names[k], frames, worst);
        } else {
            // MP3 carries the LAME tag, so the decoder trims the encoder's delay and padding: exact length.
            CDSP_CHECK(k == 3 ? frames == n : frames + 3000 > n && frames < n + 3000);
            size_t a = 8000, m = (frames < n ? frames : n) - 16000;
            double dl = rms_db(rl + a, m) - rms_db(l + a, m), dr = rms_db(rr + a, m) - rms_db(r + a, m);
            CDSP_CHECK(fabs(dl) < 0.5 && fabs(dr) < 0.5);
            printf("   %-8s frames %zu, RMS change L %.3f dB R %.3f dB\n", names[k], frames, dl, dr);
        }
        cdsp_audio_free(rl);
        cdsp_audio_free(rr);
        remove(names[k]);
    }
    // mono
    cdsp_status st;
    cdsp_audio_writer *w = cdsp_audio_writer_open("mono.wav", CDSP_AUDIO_WAV16, 1, 48000, &st);
    CDSP_CHECK(w && cdsp_audio_writer_write(w, l, NULL, 4800) == CDSP_OK && cdsp_audio_writer_close(w) == CDSP_OK);
    float *rl = NULL, *rr = (float *)1;
    size_t frames = 0;
    int rate = 0, ch = 0;
    CDSP_CHECK(cdsp_audio_read("mono.wav", &rl, &rr, &frames, &rate, &ch) == CDSP_OK);
    CDSP_CHECK(ch == 1 && rr == NULL && frames == 4800 && rate == 48000);
    cdsp_audio_free(rl);
    remove("mono.wav");
    // same audio, same bytes (seeded dither)
    for (int rep = 0; rep < 2; rep++) {
        w = cdsp_audio_writer_open(rep ? "b.wav" : "a.wav", CDSP_AUDIO_WAV16, 2, fs, &st);
        cdsp_audio_writer_write(w, l, r, 20000);
        cdsp_audio_writer_close(w);
    }
    size_t sa, sb;
    uint8_t *da = cdsp_test_read_file("a.wav", &sa), *db2 = cdsp_test_read_file("b.wav", &sb);
    CDSP_CHECK(da && db2 && sa == sb && memcmp(da, db2, sa) == 0);
    free(da);
    free(db2);
    remove("a.wav");
    remove("b.wav");
    // MP3 (LAME driven directly): same audio, same bytes; mono; NaN written as silence; a rate MP3 has no place
    // for (96 kHz) refused as a format error, with nothing left open
    for (int rep = 0; rep < 2; rep++) {
        w = cdsp_audio_writer_open(rep ? "b.mp3" : "a.mp3", CDSP_AUDIO_MP3, 2, fs, &st);
        CDSP_CHECK(w && cdsp_audio_writer_write(w, l, r, 30000) == CDSP_OK && cdsp_audio_writer_close(w) == CDSP_OK);
    }
    da = cdsp_test_read_file("a.mp3", &sa);
    db2 = cdsp_test_read_file("b.mp3", &sb);
    CDSP_CHECK(da && db2 && sa == sb && sa > 1000 && memcmp(da, db2, sa) == 0);
    free(da);
    free(db2);
    remove("a.mp3");
    remove("b.mp3");
    float *holes = malloc(20000 * sizeof(float));
    for (size_t i = 0; i < 20000; i++) holes[i] = i % 100 == 0 ? NAN : l[i];
    w = cdsp_audio_writer_open("mono.mp3", CDSP_AUDIO_MP3, 1, 48000, &st);
    CDSP_CHECK(w && cdsp_audio_writer_write(w, holes, NULL, 20000) == CDSP_OK && cdsp_audio_writer_close(w) == CDSP_OK);
    free(holes);
    CDSP_CHECK(cdsp_audio_read("mono.mp3", &rl, &rr, &frames, &rate, &ch) == CDSP_OK);
    CDSP_CHECK(ch == 1 && rate == 48000 && frames == 20000);
    int finite = 1;
    for (size_t i = 0; rl && i < frames; i++) finite &= isfinite(rl[i]) != 0;
    CDSP_CHECK(finite);
    cdsp_audio_free(rl);
    remove("mono.mp3");
    CDSP_CHECK(cdsp_audio_writer_open("hi.mp3", CDSP_AUDIO_MP3, 2, 96000, &st) == NULL && st == CDSP_ERR_FORMAT);
    CDSP_CHECK(cdsp_audio_writer_open("/nonexistent-dir/x.mp3", CDSP_AUDIO_MP3, 2, fs, &st) == NULL
               && st == CDSP_ERR_IO);
    // errors
    CDSP_CHECK(cdsp_audio_writer_open("/nonexistent-dir/x.wav", CDSP_AUDIO_WAV16, 2, fs, &st) == NULL);
    CDSP_CHECK(st == CDSP_ERR_IO);
    CDSP_CHECK(cdsp_audio_writer_open("x.wav", CDSP_AUDIO_WAV16, 3, fs, &st) == NULL && st == CDSP_ERR_ARGUMENT);
    CDSP_CHECK(cdsp_audio_read("/nonexistent-dir/x.wav", &rl, &rr, &frames, &rate, &ch) != CDSP_OK);
    FILE *t = fopen("not_audio.wav", "wb");
    fputs("hello, not audio at all", t);
    fclose(t);
    CDSP_CHECK(cdsp_audio_read("not_audio.wav", &rl, &rr, &frames, &rate, &ch) == CDSP_ERR_FORMAT);
    remove("not_audio.wav");
    free(l);
    free(r);
}

/// A file's true peak read in blocks equals cdsp_true_peak over the same samples read whole: a 24-bit WAV of a
/// quarter-rate sine sampled at +-45 degrees (samples at 0.707 of its 0.9 amplitude: the peaks fall between
/// samples), 100 000 frames (several blocks), and an MP3 of it; a missing file is an error.
CDSP_TEST(file_true_peak_in_blocks) {
    const int fs = 44100;
    const size_t n = 100000;
    float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        l[i] = 0.9f * (float)sin(M_PI / 2 * (double)i + M_PI / 4);
        r[i] = 0.5f * l[i];
    }
    const char *names[2] = {"tp.wav", "tp.mp3"};
    cdsp_audio_format formats[2] = {CDSP_AUDIO_WAV24, CDSP_AUDIO_MP3};
    for (int k = 0; k < 2; k++) {
        cdsp_status st;
        cdsp_audio_writer *w = cdsp_audio_writer_open(names[k], formats[k], 2, fs, &st);
        CDSP_CHECK(w != NULL);
        if (!w) continue;
        CDSP_CHECK(cdsp_audio_writer_write(w, l, r, n) == CDSP_OK);
        CDSP_CHECK(cdsp_audio_writer_close(w) == CDSP_OK);
        float *rl = NULL, *rr = NULL;
        size_t frames = 0;
        int rate = 0, channels = 0;
        CDSP_CHECK(cdsp_audio_read(names[k], &rl, &rr, &frames, &rate, &channels) == CDSP_OK);
        double whole = 0, streamed = 0;
        CDSP_CHECK(cdsp_true_peak(rl, rr, frames, (float)rate, &whole) == CDSP_OK);
        CDSP_CHECK(cdsp_audio_file_true_peak(names[k], &streamed) == CDSP_OK);
        printf("     %s: true peak %.4f dBTP in blocks, %.4f whole\n", names[k], streamed, whole);
        CDSP_CHECK(fabs(streamed - whole) < 1e-4);
        if (k == 0) CDSP_CHECK(fabs(whole - 20 * log10(0.9)) < 0.25);   // between the samples (they: -3.9 dB)
        cdsp_audio_free(rl);
        if (rr) cdsp_audio_free(rr);
        remove(names[k]);
    }
    double x = 0;
    CDSP_CHECK(cdsp_audio_file_true_peak("no-such-file.wav", &x) != CDSP_OK);
    free(l);
    free(r);
}

/// Same audio, same bytes, in every format; Ogg too (libsndfile's random stream serial is replaced on close, each
/// page's checksum recomputed: the file still decodes whole).
CDSP_TEST(every_format_is_the_same_bytes_twice) {
    const int fs = 44100;
    const size_t n = 3 * 44100 + 17;
    float *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        l[i] = 0.4f * (float)sin(2 * M_PI * 330.0 * i / fs);
        r[i] = 0.3f * (float)sin(2 * M_PI * 495.0 * i / fs + 1);
    }
    for (int k = 0; k < 5; k++) {
        const char *names[2] = {"twice-a", "twice-b"};
        unsigned char *bytes[2] = {NULL, NULL};
        long sizes[2] = {0, 0};
        for (int t = 0; t < 2; t++) {
            cdsp_status st;
            cdsp_audio_writer *w = cdsp_audio_writer_open(names[t], (cdsp_audio_format)k, 2, fs, &st);
            CDSP_CHECK(w != NULL);
            if (!w) continue;
            CDSP_CHECK(cdsp_audio_writer_write(w, l, r, n) == CDSP_OK);
            CDSP_CHECK(cdsp_audio_writer_close(w) == CDSP_OK);
            FILE *f = fopen(names[t], "rb");
            fseek(f, 0, SEEK_END);
            sizes[t] = ftell(f);
            fseek(f, 0, SEEK_SET);
            bytes[t] = malloc((size_t)sizes[t]);
            CDSP_CHECK(fread(bytes[t], 1, (size_t)sizes[t], f) == (size_t)sizes[t]);
            fclose(f);
        }
        CDSP_CHECK(sizes[0] > 1000 && sizes[0] == sizes[1] && memcmp(bytes[0], bytes[1], (size_t)sizes[0]) == 0);
        if (k == CDSP_AUDIO_OGG) {
            CDSP_CHECK(bytes[0][14] == 0x72 && bytes[0][17] == 0x43);  // the fixed serial, little-endian
            float *rl = NULL, *rr = NULL;
            size_t frames = 0;
            int rate = 0, ch = 0;
            CDSP_CHECK(cdsp_audio_read(names[0], &rl, &rr, &frames, &rate, &ch) == CDSP_OK);
            CDSP_CHECK(frames == n);  // a page with a wrong checksum would be skipped by the decoder
            cdsp_audio_free(rl);
            if (rr) cdsp_audio_free(rr);
        }
        free(bytes[0]);
        free(bytes[1]);
        remove(names[0]);
        remove(names[1]);
    }
    free(l);
    free(r);
}

int main(void) {
    cdsp_test_find_images(image_dir, sizeof(image_dir));
    CDSP_RUN(real_photos_probe_and_decode);
    CDSP_RUN(huge_header_refused_before_decoding);
    CDSP_RUN(unsupported_and_broken_inputs);
    CDSP_RUN(write_read_resize_images);
    CDSP_RUN(font_measures_and_draws_text);
    CDSP_RUN(audio_round_trip_every_format);
    CDSP_RUN(file_true_peak_in_blocks);
    CDSP_RUN(every_format_is_the_same_bytes_twice);
    CDSP_TEST_END();
}
