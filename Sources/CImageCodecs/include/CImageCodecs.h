// C shims over libjpeg(-turbo) and libpng for ImageIO. Every entry point reports failure through
// its return value and a message buffer; library errors are caught with setjmp/longjmp so a corrupt
// file is an error, never an exit(). Output buffers are malloc'ed; free them with ic_free.
#pragma once
#include <stddef.h>
#include <stdint.h>

#define IC_MESSAGE_SIZE 256

/// A decoded 8-bit image: `channels` is 1 (gray) or 3 (RGB), rows packed without padding.
typedef struct {
    uint8_t *pixels;
    int width;
    int height;
    int channels;
} ic_image;

/// Decodes a JPEG in memory to RGB (gray and CMYK inputs are converted). Returns 0 on success.
int ic_jpeg_decode(const uint8_t *data, size_t size, ic_image *out, char message[IC_MESSAGE_SIZE]);

/// Encodes packed RGB (channels 3) or gray (channels 1) pixels as a baseline JPEG. Returns 0 on success.
int ic_jpeg_encode(const uint8_t *pixels, int width, int height, int channels, int quality,
                   uint8_t **out, size_t *out_size, char message[IC_MESSAGE_SIZE]);

/// Decodes a PNG in memory to RGB: palette, gray, alpha (dropped, as OpenCV's IMREAD_COLOR) and
/// 16-bit (high byte kept) inputs are all converted. Returns 0 on success.
int ic_png_decode(const uint8_t *data, size_t size, ic_image *out, char message[IC_MESSAGE_SIZE]);

/// Encodes packed RGB (channels 3) or gray (channels 1) pixels as an 8-bit PNG. `fast`: no row filters and
/// zlib level 3 (libpng's PNG_IMAGE_FLAG_FAST), for charts, whose flat colours compress well anyway; else
/// libpng's defaults (adaptive filters, level 6), for photos. Returns 0 on success.
int ic_png_encode(const uint8_t *pixels, int width, int height, int channels, int fast,
                  uint8_t **out, size_t *out_size, char message[IC_MESSAGE_SIZE]);

/// Frees a buffer returned by this library.
void ic_free(void *pointer);
