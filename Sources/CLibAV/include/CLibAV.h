// Video decoding in this process with FFmpeg's libraries (libavformat, libavcodec, libavfilter), opened
// with dlopen on first use: a command that reads no video never loads them, and a machine without them
// falls back to the `ffmpeg` program. The frames are those `ffmpeg -vf FILTERS -pix_fmt rgb24` writes:
// the same filter graph (with ffmpeg's automatic rotation and bicubic scaling), run by the same libraries.
#ifndef EMONET_CLIBAV_H
#define EMONET_CLIBAV_H

#include <stddef.h>
#include <stdint.h>

typedef struct emonet_av_decoder emonet_av_decoder;

/// 1 when the libraries (the major versions this was built against) are loaded; else 0, with the reason
/// in `why`. Loads them on the first call; later calls only answer.
int emonet_av_load(char *why, size_t why_size);

/// Opens `path` and decodes its first frame, to know the output's size. `filters`: an FFmpeg filter graph
/// applied after the automatic rotation; its output converted to RGB24. `threads`: decoder threads (0: as
/// many as FFmpeg chooses). `max_side`: a stream or output larger than this per side is refused before its
/// frames are allocated. NULL on failure, with one line in `error` (`*too_large` set when that was the size).
emonet_av_decoder *emonet_av_open(const char *path, const char *filters, int threads, int max_side,
                                  char *error, size_t error_size, int *too_large);

int emonet_av_width(const emonet_av_decoder *decoder);
int emonet_av_height(const emonet_av_decoder *decoder);
/// Frames per second as FFmpeg guesses it for the stream (0 when unknown).
double emonet_av_fps(const emonet_av_decoder *decoder);
/// The container's duration in seconds, or -1 when it has none.
double emonet_av_duration(const emonet_av_decoder *decoder);

/// Writes the next frame into `out`, rows packed: RGB24 (width * height * 3 bytes), or with `gray` set its gray
/// (width * height bytes, emonet_rgb_to_gray of the same RGB24 frame). 1: a frame; 0: the end (or cancelled);
/// -1: the graph failed, with the reason in emonet_av_error.
int emonet_av_read(emonet_av_decoder *decoder, uint8_t *out, int gray);

/// The last error FFmpeg logged or returned while reading this file (a damaged stream still decodes up to
/// the damage), copied into `out`; 0 when there was none.
int emonet_av_error(emonet_av_decoder *decoder, char *out, size_t out_size);

/// Makes a read in progress, and every later one, end as soon as FFmpeg checks (thread-safe).
void emonet_av_cancel(emonet_av_decoder *decoder);

void emonet_av_close(emonet_av_decoder *decoder);

#endif
