#include "CImage.h"
#include <png.h>
#include <turbojpeg.h>
#include <webp/decode.h>
#include <webp/encode.h>
#include <zlib.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

static const char *dummy_err;

cimg_format cimg_detect(const uint8_t *d, size_t n) {
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return CIMG_PNG;
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) return CIMG_JPEG;
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0) return CIMG_WEBP;
    return CIMG_UNKNOWN;
}

void cimg_free(void *p) { free(p); }

/* Walks the PNG chunk headers: every declared length must fit in the bytes that are there. libpng
   otherwise allocates and reads whatever a chunk declares: a 200-byte file whose iTXt claims 1.5 GB
   took libpng 2-9 s and the memory to fail (found by Tests/EaselBackendsTests/FuzzTests.swift). */
static int png_chunks_fit(const uint8_t *d, size_t n, const char **err) {
    size_t pos = 8;
    while (pos + 12 <= n) {
        uint32_t len = ((uint32_t)d[pos] << 24) | ((uint32_t)d[pos + 1] << 16) | ((uint32_t)d[pos + 2] << 8) | d[pos + 3];
        if (len > 0x7FFFFFFFu || (size_t)len > n - pos - 12) { *err = "png: a chunk is longer than the data (truncated or corrupt)"; return 0; }
        if (memcmp(d + pos + 4, "IEND", 4) == 0) return 1;
        pos += 12 + (size_t)len;
    }
    if (pos != n) { *err = "png: truncated inside a chunk header"; return 0; }
    *err = "png: no IEND chunk (truncated)"; return 0;
}

int cimg_dimensions(const uint8_t *d, size_t n, int *w, int *h, const char **err) {
    if (!err) err = &dummy_err;
    *err = NULL;
    switch (cimg_detect(d, n)) {
    case CIMG_PNG: {
        if (!png_chunks_fit(d, n, err)) return -1;
        png_image img; memset(&img, 0, sizeof img); img.version = PNG_IMAGE_VERSION;
        if (!png_image_begin_read_from_memory(&img, d, n)) { *err = "png: bad header"; return -1; }
        *w = (int)img.width; *h = (int)img.height; png_image_free(&img); return 0;
    }
    case CIMG_JPEG: {
        tjhandle tj = tjInitDecompress(); int sub, cs;
        if (!tj) { *err = "jpeg: init failed"; return -1; }
        int rc = tjDecompressHeader3(tj, d, (unsigned long)n, w, h, &sub, &cs);
        tjDestroy(tj);
        if (rc != 0) { *err = "jpeg: bad header"; return -1; }
        return 0;
    }
    case CIMG_WEBP:
        if (!WebPGetInfo(d, n, w, h)) { *err = "webp: bad header"; return -1; }
        return 0;
    default:
        *err = "not a PNG, JPEG or WebP image"; return -1;
    }
}

static uint8_t *decode_png(const uint8_t *d, size_t n, int *w, int *h, const char **err) {
    png_image img; memset(&img, 0, sizeof img); img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, d, n)) { *err = "png: bad header"; return NULL; }
    img.format = PNG_FORMAT_RGBA;
    uint8_t *out = malloc(PNG_IMAGE_SIZE(img));
    if (!out || !png_image_finish_read(&img, NULL, out, 0, NULL)) {
        *err = "png: truncated or corrupt"; free(out); png_image_free(&img); return NULL;
    }
    *w = (int)img.width; *h = (int)img.height; return out;
}

static uint8_t *decode_jpeg(const uint8_t *d, size_t n, int w, int h, const char **err) {
    tjhandle tj = tjInitDecompress();
    if (!tj) { *err = "jpeg: init failed"; return NULL; }
    uint8_t *out = malloc((size_t)w * (size_t)h * 4);
    if (!out || tjDecompress2(tj, d, (unsigned long)n, out, w, 0, h, TJPF_RGBA, TJFLAG_ACCURATEDCT) != 0) {
        *err = "jpeg: truncated or corrupt"; free(out); tjDestroy(tj); return NULL;
    }
    tjDestroy(tj); return out;
}

static uint8_t *decode_webp(const uint8_t *d, size_t n, int *w, int *h, const char **err) {
    uint8_t *p = WebPDecodeRGBA(d, n, w, h);
    if (!p) { *err = "webp: truncated or corrupt"; return NULL; }
    size_t sz = (size_t)*w * (size_t)*h * 4;
    uint8_t *out = malloc(sz); if (out) memcpy(out, p, sz);
    WebPFree(p); return out;
}

uint8_t *cimg_decode_rgba(const uint8_t *d, size_t n, uint64_t max_pixels, int *w, int *h, const char **err) {
    if (!err) err = &dummy_err;
    *err = NULL;
    int hw = 0, hh = 0;
    if (cimg_dimensions(d, n, &hw, &hh, err) != 0) return NULL;
    if (hw <= 0 || hh <= 0) { *err = "image has zero size"; return NULL; }
    if ((uint64_t)hw * (uint64_t)hh > max_pixels) { *err = "image is larger than the pixel limit"; return NULL; }
    *w = hw; *h = hh;
    switch (cimg_detect(d, n)) {
    case CIMG_PNG:  return decode_png(d, n, w, h, err);
    case CIMG_JPEG: return decode_jpeg(d, n, hw, hh, err);
    case CIMG_WEBP: return decode_webp(d, n, w, h, err);
    default: *err = "not a PNG, JPEG or WebP image"; return NULL;
    }
}

/* ---- PNG writing with text chunks: the full libpng API needs setjmp, so it stays in C ---- */
typedef struct { uint8_t *buf; size_t len, cap; } membuf;

static int membuf_put(membuf *m, const void *data, size_t n) {
    if (m->len + n > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 65536; while (cap < m->len + n) cap *= 2;
        uint8_t *nb = realloc(m->buf, cap); if (!nb) return -1;
        m->buf = nb; m->cap = cap;
    }
    memcpy(m->buf + m->len, data, n); m->len += n; return 0;
}
static void mem_write(png_structp png, png_bytep data, png_size_t n) {
    if (membuf_put(png_get_io_ptr(png), data, n) != 0) png_error(png, "out of memory");
}
static void mem_flush(png_structp png) { (void)png; }

static void fill_text(png_textp tx, const cimg_text *texts, int nt) {
    for (int i = 0; i < nt; i++) {
        tx[i].compression = texts[i].international ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
        tx[i].key = (png_charp)texts[i].key;
        tx[i].text = (png_charp)texts[i].text;
        tx[i].text_length = strlen(texts[i].text);
    }
}

uint8_t *cimg_encode_png_rgba(const uint8_t *rgba, int w, int h, const cimg_text *texts, int nt,
                              size_t *out_len, const char **err) {
    if (!err) err = &dummy_err;
    *err = NULL;
    membuf m = {0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    png_textp volatile tx = NULL;
    png_bytep *volatile rows = NULL;
    if (!info) { *err = "png: out of memory"; png_destroy_write_struct(&png, NULL); return NULL; }
    if (setjmp(png_jmpbuf(png))) {
        *err = "png: write failed"; free(rows); free(tx); free(m.buf);
        png_destroy_write_struct(&png, &info); return NULL;
    }
    png_set_write_fn(png, &m, mem_write, mem_flush);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGBA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (nt > 0) {
        tx = calloc((size_t)nt, sizeof *tx);
        if (!tx) png_error(png, "out of memory");
        fill_text(tx, texts, nt);
        png_set_text(png, info, tx, nt);
    }
    png_write_info(png, info);
    rows = malloc(sizeof(png_bytep) * (size_t)h);
    if (!rows) png_error(png, "out of memory");
    for (int y = 0; y < h; y++) rows[y] = (png_bytep)(rgba + (size_t)y * (size_t)w * 4);
    png_write_image(png, rows);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rows); free(tx);
    *out_len = m.len; return m.buf;
}

/* A tEXt or iTXt chunk: length, type, data, CRC-32 over type + data (PNG spec §5.3). */
static int put_chunk(membuf *m, const char *type, const uint8_t *data, size_t n) {
    uint8_t be[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    crc = crc32(crc, data, (uInt)n);
    uint8_t cb[4] = { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16), (uint8_t)(crc >> 8), (uint8_t)crc };
    return (membuf_put(m, be, 4) || membuf_put(m, type, 4) || membuf_put(m, data, n) || membuf_put(m, cb, 4)) ? -1 : 0;
}

uint8_t *cimg_png_insert_text(const uint8_t *d, size_t n, const cimg_text *texts, int nt,
                              size_t *out_len, const char **err) {
    if (!err) err = &dummy_err;
    *err = NULL;
    /* signature (8) + IHDR chunk (4 length + 4 type + 13 data + 4 CRC) */
    if (cimg_detect(d, n) != CIMG_PNG || n < 33 || memcmp(d + 12, "IHDR", 4) != 0) { *err = "not a PNG"; return NULL; }
    membuf m = {0};
    if (membuf_put(&m, d, 33) != 0) { *err = "out of memory"; return NULL; }
    for (int i = 0; i < nt; i++) {
        size_t klen = strlen(texts[i].key), tlen = strlen(texts[i].text);
        if (klen == 0 || klen > 79) { free(m.buf); *err = "text key must be 1-79 bytes"; return NULL; }
        membuf c = {0};
        int bad = membuf_put(&c, texts[i].key, klen + 1);           /* keyword + NUL */
        if (texts[i].international) {
            static const uint8_t itxt_mid[4] = { 0, 0, 0, 0 };       /* compression flag, method, lang NUL, translated NUL */
            bad = bad || membuf_put(&c, itxt_mid, 4);
        }
        bad = bad || membuf_put(&c, texts[i].text, tlen);
        bad = bad || put_chunk(&m, texts[i].international ? "iTXt" : "tEXt", c.buf, c.len);
        free(c.buf);
        if (bad) { free(m.buf); *err = "out of memory"; return NULL; }
    }
    if (membuf_put(&m, d + 33, n - 33) != 0) { free(m.buf); *err = "out of memory"; return NULL; }
    *out_len = m.len; return m.buf;
}

typedef struct { const uint8_t *d; size_t n, off; } memsrc;
static void mem_read(png_structp png, png_bytep out, png_size_t n) {
    memsrc *s = png_get_io_ptr(png);
    if (s->off + n > s->n) png_error(png, "eof");
    memcpy(out, s->d + s->off, n); s->off += n;
}

char *cimg_png_get_text(const uint8_t *d, size_t n, const char *key) {
    memsrc src = { d, n, 0 };
    char *volatile result = NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) { png_destroy_read_struct(&png, NULL, NULL); return NULL; }
    if (setjmp(png_jmpbuf(png))) { png_destroy_read_struct(&png, &info, NULL); free(result); return NULL; }
    png_set_read_fn(png, &src, mem_read);
    png_read_info(png, info);
    png_textp t; int nt = 0;
    if (png_get_text(png, info, &t, &nt) > 0)
        for (int i = 0; i < nt; i++) if (strcmp(t[i].key, key) == 0) { result = strdup(t[i].text); break; }
    png_destroy_read_struct(&png, &info, NULL);
    return result;
}

uint8_t *cimg_encode_jpeg_rgba(const uint8_t *rgba, int w, int h, int q, size_t *out_len) {
    tjhandle tj = tjInitCompress(); unsigned char *jpg = NULL; unsigned long len = 0;
    if (!tj) return NULL;
    if (tjCompress2(tj, rgba, w, 0, h, TJPF_RGBA, &jpg, &len, TJSAMP_444, q, 0) != 0) { tjDestroy(tj); return NULL; }
    tjDestroy(tj);
    uint8_t *out = malloc(len); if (out) memcpy(out, jpg, len);
    tjFree(jpg); *out_len = len; return out;
}

uint8_t *cimg_encode_webp_rgba(const uint8_t *rgba, int w, int h, float q, size_t *out_len) {
    uint8_t *p = NULL; size_t len = WebPEncodeRGBA(rgba, w, h, w * 4, q, &p);
    if (!len) return NULL;
    uint8_t *out = malloc(len); if (out) memcpy(out, p, len);
    WebPFree(p); *out_len = len; return out;
}
