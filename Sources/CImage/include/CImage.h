#ifndef CIMAGE_H
#define CIMAGE_H
#include <stddef.h>
#include <stdint.h>

/* C seam over libpng, TurboJPEG and libwebp. Only EaselImaging/ImageCodec.swift calls it. */

typedef enum { CIMG_UNKNOWN = 0, CIMG_PNG, CIMG_JPEG, CIMG_WEBP } cimg_format;

/* Sniffs magic bytes. */
cimg_format cimg_detect(const uint8_t *data, size_t len);

/* Reads width and height from the header without decoding pixels. Returns 0 on success. */
int cimg_dimensions(const uint8_t *data, size_t len, int *width, int *height, const char **err);

/* Decodes PNG/JPEG/WebP bytes to tightly packed RGBA8888, refusing images over max_pixels
   (checked from the header, before any pixel buffer is allocated). Returns a malloc'd buffer
   (free with cimg_free) or NULL with *err pointing at a static message. */
uint8_t *cimg_decode_rgba(const uint8_t *data, size_t len, uint64_t max_pixels,
                          int *width, int *height, const char **err);
void cimg_free(void *p);

typedef struct { const char *key; const char *text; int international; } cimg_text;

/* Encodes RGBA8888 as PNG in memory with tEXt (international == 0, Latin-1) or iTXt (UTF-8) chunks. */
uint8_t *cimg_encode_png_rgba(const uint8_t *rgba, int width, int height,
                              const cimg_text *texts, int ntexts, size_t *out_len, const char **err);

/* Copies a PNG byte for byte, inserting text chunks right after IHDR. Pixels are untouched. */
uint8_t *cimg_png_insert_text(const uint8_t *png, size_t len, const cimg_text *texts, int ntexts,
                              size_t *out_len, const char **err);

/* Reads one tEXt/zTXt/iTXt chunk by key. Returns a malloc'd UTF-8 string or NULL. */
char *cimg_png_get_text(const uint8_t *png, size_t len, const char *key);

/* Encoders used by tests and benchmarks. */
uint8_t *cimg_encode_jpeg_rgba(const uint8_t *rgba, int w, int h, int quality, size_t *out_len);
uint8_t *cimg_encode_webp_rgba(const uint8_t *rgba, int w, int h, float quality, size_t *out_len);
#endif
