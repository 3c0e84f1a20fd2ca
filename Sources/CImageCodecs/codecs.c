// libjpeg and libpng behind a small C API (see CImageCodecs.h).
// Invariant: no path calls exit() or leaks on error. libjpeg's default error_exit is replaced by a
// longjmp back to the entry point; libpng's error callback longjmps through png_jmpbuf.
#include "CImageCodecs.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <png.h>

void ic_free(void *pointer) { free(pointer); }

static void set_message(char *message, const char *text) {
    snprintf(message, IC_MESSAGE_SIZE, "%s", text);
}

// A header's width and height are checked before anything is allocated from them: against a
// fixed limit, and against what the compressed bytes can possibly describe, so a file of a few
// bytes that declares a huge image fails at once instead of allocating gigabytes first.
//   JPEG: Huffman coding spends at least one bit per 8x8 block of the full-resolution component,
//         at most 512 pixels per byte; 2048 leaves room for arithmetic coding's smaller blocks.
//   PNG:  deflate expands at most 1032:1, and the filtered rows need height * (rowbytes + 1) bytes.
#define IC_MAX_PIXELS ((uint64_t)1 << 28)
#define IC_JPEG_PIXELS_PER_BYTE 2048
#define IC_DEFLATE_MAX_RATIO 1032

/// 0 when a width x height image fits the limits and `size` bytes; otherwise 1 with the reason.
static int ic_check_declared_size(uint64_t width, uint64_t height, uint64_t size, uint64_t need_bytes,
                                  char *message) {
    if (width == 0 || height == 0 || width * height > IC_MAX_PIXELS) {
        snprintf(message, IC_MESSAGE_SIZE, "header declares a %llux%llu image, over the limit of %llu pixels",
                 (unsigned long long)width, (unsigned long long)height, (unsigned long long)IC_MAX_PIXELS);
        return 1;
    }
    if (need_bytes > size) {
        snprintf(message, IC_MESSAGE_SIZE,
                 "header declares a %llux%llu image, which needs at least %llu bytes of data; the file has %llu (truncated or damaged header)",
                 (unsigned long long)width, (unsigned long long)height, (unsigned long long)need_bytes,
                 (unsigned long long)size);
        return 1;
    }
    return 0;
}

// MARK: - JPEG

typedef struct {
    struct jpeg_error_mgr base;
    jmp_buf jump;
    char *message;
} ic_jpeg_error;

static void ic_jpeg_error_exit(j_common_ptr info) {
    ic_jpeg_error *error = (ic_jpeg_error *)info->err;
    char text[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, text);
    set_message(error->message, text);
    longjmp(error->jump, 1);
}

static void ic_jpeg_silent(j_common_ptr info, int level) { (void)info; (void)level; }

// libjpeg's error manager for one call: silent warnings, and errors written to `message` then
// long-jumped to error->jump (the caller's setjmp). Serves the decoder and the encoder.
static struct jpeg_error_mgr *ic_jpeg_error_init(ic_jpeg_error *error, char message[IC_MESSAGE_SIZE]) {
    struct jpeg_error_mgr *base = jpeg_std_error(&error->base);
    base->error_exit = ic_jpeg_error_exit;
    base->emit_message = ic_jpeg_silent;
    error->message = message;
    return base;
}

int ic_jpeg_decode(const uint8_t *data, size_t size, ic_image *out, char message[IC_MESSAGE_SIZE]) {
    struct jpeg_decompress_struct info;
    ic_jpeg_error error;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile row = NULL;
    memset(out, 0, sizeof(*out));
    if (size == 0) { set_message(message, "empty file"); return 1; }

    info.err = ic_jpeg_error_init(&error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_decompress(&info);
        free(pixels);
        free(row);
        return 1;
    }
    jpeg_create_decompress(&info);
    jpeg_mem_src(&info, (unsigned char *)data, (unsigned long)size);
    jpeg_read_header(&info, TRUE);
    // Before jpeg_start_decompress, which allocates from the size (a whole-image coefficient buffer
    // for progressive files).
    {
        uint64_t w = info.image_width, h = info.image_height;
        if (ic_check_declared_size(w, h, size, (w * h + IC_JPEG_PIXELS_PER_BYTE - 1) / IC_JPEG_PIXELS_PER_BYTE, message)) {
            jpeg_destroy_decompress(&info);
            return 1;
        }
    }
    // CMYK/YCCK cannot be converted to RGB by libjpeg itself; everything else can.
    if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
        info.out_color_space = JCS_CMYK;
    } else {
        info.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&info);
    int width = (int)info.output_width, height = (int)info.output_height;
    int components = info.output_components;
    if ((size_t)width * (size_t)height > (size_t)1 << 28) {
        set_message(message, "image too large");
        jpeg_destroy_decompress(&info);
        return 1;
    }
    pixels = malloc((size_t)width * height * 3);
    row = malloc((size_t)width * components);
    if (!pixels || !row) {
        set_message(message, "out of memory");
        jpeg_destroy_decompress(&info);
        free(pixels);
        free(row);
        return 1;
    }
    while (info.output_scanline < info.output_height) {
        int y = (int)info.output_scanline;
        JSAMPROW rows[1] = { row };
        jpeg_read_scanlines(&info, rows, 1);
        uint8_t *dst = pixels + (size_t)y * width * 3;
        if (components == 3) {
            memcpy(dst, row, (size_t)width * 3);
        } else if (components == 4) {
            // Adobe CMYK JPEGs store inverted values; this matches OpenCV's conversion.
            for (int x = 0; x < width; x++) {
                int c = row[4 * x], m = row[4 * x + 1], yy = row[4 * x + 2], k = row[4 * x + 3];
                dst[3 * x] = (uint8_t)((c * k + 127) / 255);
                dst[3 * x + 1] = (uint8_t)((m * k + 127) / 255);
                dst[3 * x + 2] = (uint8_t)((yy * k + 127) / 255);
            }
        } else {
            for (int x = 0; x < width; x++) dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = row[x];
        }
    }
    free(row);
    row = NULL;
    jpeg_finish_decompress(&info);
    jpeg_destroy_decompress(&info);
    out->pixels = pixels;
    out->width = width;
    out->height = height;
    out->channels = 3;
    return 0;
}

int ic_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                   uint8_t **out, size_t *out_size, char message[IC_MESSAGE_SIZE]) {
    struct jpeg_compress_struct info;
    ic_jpeg_error error;
    unsigned char *volatile buffer = NULL;
    unsigned long buffer_size = 0;
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        set_message(message, "cannot encode an empty image or one that is not gray or RGB");
        return 1;
    }
    info.err = ic_jpeg_error_init(&error, message);
    if (setjmp(error.jump)) {
        jpeg_destroy_compress(&info);
        free(buffer);
        return 1;
    }
    jpeg_create_compress(&info);
    jpeg_mem_dest(&info, (unsigned char **)&buffer, &buffer_size);
    info.image_width = (JDIMENSION)width;
    info.image_height = (JDIMENSION)height;
    info.input_components = channels;
    info.in_color_space = channels == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&info);
    jpeg_set_quality(&info, quality < 1 ? 1 : (quality > 100 ? 100 : quality), TRUE);
    jpeg_start_compress(&info, TRUE);
    while (info.next_scanline < info.image_height) {
        JSAMPROW row = (JSAMPROW)(pixels + (size_t)info.next_scanline * width * channels);
        jpeg_write_scanlines(&info, &row, 1);
    }
    jpeg_finish_compress(&info);
    jpeg_destroy_compress(&info);
    *out = buffer;
    *out_size = buffer_size;
    return 0;
}

// MARK: - PNG

typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
} ic_png_reader;

typedef struct {
    char *message;
} ic_png_errors;

static void ic_png_error(png_structp png, png_const_charp text) {
    ic_png_errors *errors = (ic_png_errors *)png_get_error_ptr(png);
    set_message(errors->message, text);
    png_longjmp(png, 1);
}

static void ic_png_warning(png_structp png, png_const_charp text) { (void)png; (void)text; }

static void ic_png_read(png_structp png, png_bytep out, png_size_t length) {
    ic_png_reader *reader = (ic_png_reader *)png_get_io_ptr(png);
    if (reader->size - reader->offset < length) png_error(png, "unexpected end of data (truncated file)");
    memcpy(out, reader->data + reader->offset, length);
    reader->offset += length;
}

int ic_png_decode(const uint8_t *data, size_t size, ic_image *out, char message[IC_MESSAGE_SIZE]) {
    memset(out, 0, sizeof(*out));
    if (size < 8 || png_sig_cmp((png_const_bytep)data, 0, 8) != 0) {
        set_message(message, "not a PNG file (bad signature)");
        return 1;
    }
    ic_png_errors errors = { message };
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &errors, ic_png_error, ic_png_warning);
    if (!png) { set_message(message, "out of memory"); return 1; }
    png_infop info = png_create_info_struct(png);
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    ic_png_reader reader = { data, size, 0 };
    if (!info || setjmp(png_jmpbuf(png))) {
        if (!info) set_message(message, "out of memory");
        png_destroy_read_struct(&png, info ? &info : NULL, NULL);
        free(pixels);
        free(rows);
        return 1;
    }
    png_set_read_fn(png, &reader, ic_png_read);
    png_read_info(png, info);
    png_uint_32 width = png_get_image_width(png, info), height = png_get_image_height(png, info);
    {
        uint64_t filtered = (uint64_t)height * ((uint64_t)png_get_rowbytes(png, info) + 1);
        if (ic_check_declared_size(width, height, size, (filtered + IC_DEFLATE_MAX_RATIO - 1) / IC_DEFLATE_MAX_RATIO, message)) {
            png_destroy_read_struct(&png, &info, NULL);
            return 1;
        }
    }
    int color = png_get_color_type(png, info);
    if (png_get_bit_depth(png, info) == 16) png_set_strip_16(png);
    if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color == PNG_COLOR_TYPE_GRAY || color == PNG_COLOR_TYPE_GRAY_ALPHA) {
        png_set_expand_gray_1_2_4_to_8(png);
        png_set_gray_to_rgb(png);
    }
    png_set_packing(png);
    png_set_strip_alpha(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8) {
        png_error(png, "unsupported pixel layout after conversion");
    }
    if ((size_t)width * (size_t)height > (size_t)1 << 28) png_error(png, "image too large");
    pixels = malloc((size_t)width * height * 3);
    rows = malloc(sizeof(png_bytep) * height);
    if (!pixels || !rows) png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < height; y++) rows[y] = pixels + (size_t)y * width * 3;
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    out->pixels = pixels;
    out->width = (int)width;
    out->height = (int)height;
    out->channels = 3;
    return 0;
}

int ic_png_encode(const uint8_t *pixels, int width, int height, int channels, int fast,
                  uint8_t **out, size_t *out_size, char message[IC_MESSAGE_SIZE]) {
    *out = NULL;
    *out_size = 0;
    if (width <= 0 || height <= 0 || (channels != 1 && channels != 3)) {
        set_message(message, "cannot encode an empty image or one that is not gray or RGB");
        return 1;
    }
    png_image image;
    memset(&image, 0, sizeof(image));
    image.version = PNG_IMAGE_VERSION;
    image.width = (png_uint_32)width;
    image.height = (png_uint_32)height;
    image.format = channels == 3 ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
    if (fast) image.flags |= PNG_IMAGE_FLAG_FAST;
    // One pass into a buffer of the largest size this image can take (stored deflate blocks), then trimmed:
    // asking libpng for the size first would compress the image twice.
    png_alloc_size_t size = PNG_IMAGE_PNG_SIZE_MAX(image);
    uint8_t *buffer = malloc(size);
    if (!buffer) { set_message(message, "out of memory"); return 1; }
    if (!png_image_write_to_memory(&image, buffer, &size, 0, pixels, 0, NULL)) {
        set_message(message, image.message);
        png_image_free(&image);
        free(buffer);
        return 1;
    }
    uint8_t *trimmed = realloc(buffer, size);
    if (trimmed) buffer = trimmed;
    *out = buffer;
    *out_size = size;
    return 0;
}
