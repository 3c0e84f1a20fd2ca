// FFmpeg's libraries through dlopen: see include/CLibAV.h. Compiled against Debian's headers; without them
// (a build machine lacking libav*-dev) every call reports that, and video goes through the ffmpeg program.
// The libraries loaded are the sonames of the headers' major versions, so the structures read here have
// the layout the headers give.
#include "CLibAV.h"
#include "CPixels.h"

#include <stdio.h>
#include <string.h>

#if __has_include(<libavformat/avformat.h>) && __has_include(<libavcodec/avcodec.h>) && \
    __has_include(<libavfilter/avfilter.h>) && __has_include(<libavutil/display.h>)
#define EMONET_HAVE_LIBAV 1
#endif

#ifndef EMONET_HAVE_LIBAV

int emonet_av_load(char *why, size_t why_size) {
    snprintf(why, why_size, "built without FFmpeg's headers (libavformat-dev, libavcodec-dev, libavfilter-dev)");
    return 0;
}
emonet_av_decoder *emonet_av_open(const char *path, const char *filters, int threads, int max_side,
                                  char *error, size_t error_size, int *too_large) {
    (void)path; (void)filters; (void)threads; (void)max_side;
    *too_large = 0;
    emonet_av_load(error, error_size);
    return NULL;
}
int emonet_av_width(const emonet_av_decoder *d) { (void)d; return 0; }
int emonet_av_height(const emonet_av_decoder *d) { (void)d; return 0; }
double emonet_av_fps(const emonet_av_decoder *d) { (void)d; return 0; }
double emonet_av_duration(const emonet_av_decoder *d) { (void)d; return -1; }
int emonet_av_read(emonet_av_decoder *d, uint8_t *out, int gray) { (void)d; (void)out; (void)gray; return -1; }
int emonet_av_error(emonet_av_decoder *d, char *out, size_t n) { (void)d; (void)out; (void)n; return 0; }
void emonet_av_cancel(emonet_av_decoder *d) { (void)d; }
void emonet_av_close(emonet_av_decoder *d) { (void)d; }

#else

#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavformat/avformat.h>
#include <libavutil/display.h>
#include <libavutil/macros.h>

// Every function used, with the library that holds it.
#define EMONET_AV_FUNCTIONS(X) \
    X(UTIL, av_frame_alloc) X(UTIL, av_frame_free) X(UTIL, av_frame_unref) X(UTIL, av_strerror) \
    X(UTIL, av_log_set_callback) X(UTIL, av_log_format_line2) X(UTIL, av_display_rotation_get) \
    X(UTIL, av_strdup) \
    X(CODEC, avcodec_alloc_context3) X(CODEC, avcodec_parameters_to_context) X(CODEC, avcodec_open2) \
    X(CODEC, avcodec_send_packet) X(CODEC, avcodec_receive_frame) X(CODEC, avcodec_free_context) \
    X(CODEC, av_packet_alloc) X(CODEC, av_packet_free) X(CODEC, av_packet_unref) X(CODEC, avcodec_get_class) \
    X(FORMAT, avformat_alloc_context) X(FORMAT, avformat_open_input) X(FORMAT, avformat_find_stream_info) \
    X(FORMAT, av_find_best_stream) X(FORMAT, av_read_frame) X(FORMAT, avformat_close_input) \
    X(FORMAT, av_guess_frame_rate) X(FORMAT, av_stream_get_side_data) X(FORMAT, avformat_get_class) \
    X(FILTER, avfilter_graph_alloc) X(FILTER, avfilter_graph_free) X(FILTER, avfilter_get_by_name) \
    X(FILTER, avfilter_graph_create_filter) X(FILTER, avfilter_graph_parse_ptr) X(FILTER, avfilter_graph_config) \
    X(FILTER, avfilter_inout_alloc) X(FILTER, avfilter_inout_free) X(FILTER, av_buffersrc_add_frame_flags) \
    X(FILTER, av_buffersink_get_frame) X(FILTER, av_buffersink_get_w) X(FILTER, av_buffersink_get_h)

enum { UTIL, CODEC, FORMAT, FILTER, LIBRARIES };
static const char *const sonames[LIBRARIES] = {
    "libavutil.so." AV_STRINGIFY(LIBAVUTIL_VERSION_MAJOR),
    "libavcodec.so." AV_STRINGIFY(LIBAVCODEC_VERSION_MAJOR),
    "libavformat.so." AV_STRINGIFY(LIBAVFORMAT_VERSION_MAJOR),
    "libavfilter.so." AV_STRINGIFY(LIBAVFILTER_VERSION_MAJOR),
};

static struct {
#define EMONET_AV_POINTER(library, name) __typeof__(&name) name;
    EMONET_AV_FUNCTIONS(EMONET_AV_POINTER)
#undef EMONET_AV_POINTER
    const AVClass *codec_class;
    const AVClass *format_class;
} av;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_failure[256];

struct emonet_av_decoder {
    AVFormatContext *format;
    AVCodecContext *codec;
    AVFilterGraph *graph;
    AVFilterContext *source;
    AVFilterContext *sink;
    AVPacket *packet;
    AVFrame *decoded;
    AVFrame *filtered;
    int stream;
    int width, height;
    double fps, duration;
    int have_first;       // `decoded` holds the first frame, decoded by open, not yet given to the graph
    int flushed_decoder;  // the end of the file was sent to the decoder
    int flushed_graph;    // the end of the frames was sent to the graph
    int packet_pending;   // `packet` was refused (EAGAIN) and is sent again after the next frame is taken
    atomic_int cancelled;
    pthread_mutex_t error_lock;  // FFmpeg's frame threads log too
    char last_error[512];
};

static void set_error(emonet_av_decoder *d, const char *message) {
    pthread_mutex_lock(&d->error_lock);
    snprintf(d->last_error, sizeof d->last_error, "%s", message);
    pthread_mutex_unlock(&d->error_lock);
}

/// A failed call's code as the error, unless FFmpeg's log already said what went wrong (it is more specific:
/// "stream 0, offset 0x3556: partial file" rather than "Invalid data found when processing input").
static void set_error_code(emonet_av_decoder *d, const char *what, int code) {
    pthread_mutex_lock(&d->error_lock);
    int logged = d->last_error[0] != 0;
    pthread_mutex_unlock(&d->error_lock);
    if (logged) return;
    char reason[AV_ERROR_MAX_STRING_SIZE] = "";
    av.av_strerror(code, reason, sizeof reason);
    char message[512];
    snprintf(message, sizeof message, "%s%s%s", what, *what ? ": " : "", reason);
    set_error(d, message);
}

/// FFmpeg's log: error lines from a context of one of our decoders become that decoder's last error (as
/// the ffmpeg program's log was read); everything else is dropped rather than printed.
static void log_line(void *context, int level, const char *format, va_list arguments) {
    if (level > AV_LOG_ERROR || context == NULL) return;
    const AVClass *class = *(const AVClass **)context;
    emonet_av_decoder *d = NULL;
    if (class == av.codec_class) d = ((AVCodecContext *)context)->opaque;
    else if (class == av.format_class) d = ((AVFormatContext *)context)->opaque;
    if (d == NULL) return;
    char line[512];
    int prefix = 0;
    va_list copy;
    va_copy(copy, arguments);
    av.av_log_format_line2(context, level, format, copy, line, sizeof line, &prefix);
    va_end(copy);
    size_t n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ')) line[--n] = 0;
    if (n > 0) set_error(d, line);
}

static void load(void) {
    void *handles[LIBRARIES] = {0};
    for (int k = 0; k < LIBRARIES; k++) {
        handles[k] = dlopen(sonames[k], RTLD_NOW | RTLD_LOCAL);
        if (!handles[k]) {
            snprintf(load_failure, sizeof load_failure, "cannot load %s (%s)", sonames[k], dlerror());
            return;
        }
    }
#define EMONET_AV_RESOLVE(library, name) \
    av.name = (__typeof__(&name))dlsym(handles[library], #name); \
    if (!av.name) { snprintf(load_failure, sizeof load_failure, "%s has no %s", sonames[library], #name); return; }
    EMONET_AV_FUNCTIONS(EMONET_AV_RESOLVE)
#undef EMONET_AV_RESOLVE
    av.codec_class = av.avcodec_get_class();
    av.format_class = av.avformat_get_class();
    av.av_log_set_callback(log_line);
    loaded = 1;
}

int emonet_av_load(char *why, size_t why_size) {
    pthread_once(&load_once, load);
    if (!loaded && why && why_size) snprintf(why, why_size, "%s", load_failure);
    return loaded;
}

static int interrupted(void *opaque) {
    return atomic_load(&((emonet_av_decoder *)opaque)->cancelled);
}

/// The rotation ffmpeg applies by itself (its -autorotate, on by default), as the filters it inserts before
/// `filters` (ffmpeg 5.1's configure_input_video_filter), written into `out`.
static void rotation_filters(const AVStream *stream, char *out, size_t out_size) {
    out[0] = 0;
    const int32_t *matrix = (const int32_t *)av.av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, NULL);
    if (!matrix) return;
    double theta = -round(av.av_display_rotation_get(matrix));
    theta -= 360 * floor(theta / 360 + 0.9 / 360);
    if (fabs(theta - 90) < 1.0) snprintf(out, out_size, "transpose=clock,");
    else if (fabs(theta - 180) < 1.0) snprintf(out, out_size, "hflip,vflip,");
    else if (fabs(theta - 270) < 1.0) snprintf(out, out_size, "transpose=cclock,");
    else if (fabs(theta) > 1.0) snprintf(out, out_size, "rotate=%f*PI/180,", theta);
}

/// The next decoded frame into d->decoded: 1, or 0 at the end of the stream (or when cancelled).
/// Decoding errors are recorded and skipped, as the ffmpeg program does.
static int decode_next(emonet_av_decoder *d) {
    int errors_after_flush = 0;
    for (;;) {
        if (atomic_load(&d->cancelled)) return 0;
        int r = av.avcodec_receive_frame(d->codec, d->decoded);
        if (r == 0) return 1;
        if (r == AVERROR_EOF) return 0;
        if (r != AVERROR(EAGAIN)) set_error_code(d, "decoding", r);
        if (d->flushed_decoder) {
            // Draining: a broken frame is skipped for the next one; a decoder that asks for more is done.
            if (r == AVERROR(EAGAIN) || ++errors_after_flush > 64) return 0;
            continue;
        }
        if (!d->packet_pending) {
            for (;;) {
                r = av.av_read_frame(d->format, d->packet);
                if (r < 0 || d->packet->stream_index == d->stream) break;
                av.av_packet_unref(d->packet);
            }
            if (r < 0) {
                if (r != AVERROR_EOF && !atomic_load(&d->cancelled)) set_error_code(d, "reading", r);
                av.avcodec_send_packet(d->codec, NULL);
                d->flushed_decoder = 1;
                continue;
            }
        }
        r = av.avcodec_send_packet(d->codec, d->packet);
        d->packet_pending = r == AVERROR(EAGAIN);
        if (!d->packet_pending) av.av_packet_unref(d->packet);
        if (r < 0 && r != AVERROR(EAGAIN)) set_error_code(d, "decoding", r);
    }
}

/// The graph `buffer -> rotation, filters -> format=rgb24 -> buffersink`, for frames like d->decoded.
static int configure_graph(emonet_av_decoder *d, const char *filters, char *error, size_t error_size) {
    const AVStream *stream = d->format->streams[d->stream];
    AVRational sar = stream->sample_aspect_ratio.num ? stream->sample_aspect_ratio : d->decoded->sample_aspect_ratio;
    if (sar.num <= 0 || sar.den <= 0) sar = (AVRational){0, 1};
    char arguments[256];
    snprintf(arguments, sizeof arguments, "video_size=%dx%d:pix_fmt=%d:time_base=%d/%d:pixel_aspect=%d/%d",
             d->decoded->width, d->decoded->height, d->decoded->format,
             stream->time_base.num, stream->time_base.den > 0 ? stream->time_base.den : 1, sar.num, sar.den);
    d->graph = av.avfilter_graph_alloc();
    if (!d->graph) { snprintf(error, error_size, "out of memory"); return -1; }
    d->graph->nb_threads = 1;
    d->graph->scale_sws_opts = av.av_strdup("flags=bicubic");  // the ffmpeg program's default
    int r = av.avfilter_graph_create_filter(&d->source, av.avfilter_get_by_name("buffer"), "in", arguments, NULL, d->graph);
    if (r >= 0) r = av.avfilter_graph_create_filter(&d->sink, av.avfilter_get_by_name("buffersink"), "out", NULL, NULL, d->graph);
    if (r < 0) {
        av.av_strerror(r, error, error_size);
        return -1;
    }
    char rotation[64];
    rotation_filters(stream, rotation, sizeof rotation);
    size_t length = strlen(rotation) + strlen(filters) + 32;
    char *description = malloc(length);
    if (!description) { snprintf(error, error_size, "out of memory"); return -1; }
    snprintf(description, length, "%s%s%sformat=pix_fmts=rgb24", rotation, filters, *filters ? "," : "");
    AVFilterInOut *outputs = av.avfilter_inout_alloc(), *inputs = av.avfilter_inout_alloc();
    if (!outputs || !inputs) {
        av.avfilter_inout_free(&outputs);
        av.avfilter_inout_free(&inputs);
        free(description);
        snprintf(error, error_size, "out of memory");
        return -1;
    }
    outputs->name = av.av_strdup("in");
    outputs->filter_ctx = d->source;
    outputs->pad_idx = 0;
    outputs->next = NULL;
    inputs->name = av.av_strdup("out");
    inputs->filter_ctx = d->sink;
    inputs->pad_idx = 0;
    inputs->next = NULL;
    r = av.avfilter_graph_parse_ptr(d->graph, description, &inputs, &outputs, NULL);
    av.avfilter_inout_free(&outputs);
    av.avfilter_inout_free(&inputs);
    free(description);
    if (r >= 0) r = av.avfilter_graph_config(d->graph, NULL);
    if (r < 0) {
        char reason[AV_ERROR_MAX_STRING_SIZE] = "";
        av.av_strerror(r, reason, sizeof reason);
        snprintf(error, error_size, "filter graph: %s", reason);
        return -1;
    }
    d->width = av.av_buffersink_get_w(d->sink);
    d->height = av.av_buffersink_get_h(d->sink);
    return 0;
}

emonet_av_decoder *emonet_av_open(const char *path, const char *filters, int threads, int max_side,
                                  char *error, size_t error_size, int *too_large) {
    *too_large = 0;
    if (!emonet_av_load(error, error_size)) return NULL;
    emonet_av_decoder *d = calloc(1, sizeof *d);
    if (!d) { snprintf(error, error_size, "out of memory"); return NULL; }
    pthread_mutex_init(&d->error_lock, NULL);
    d->stream = -1;
    d->duration = -1;
    d->format = av.avformat_alloc_context();
    d->packet = av.av_packet_alloc();
    d->decoded = av.av_frame_alloc();
    d->filtered = av.av_frame_alloc();
    if (!d->format || !d->packet || !d->decoded || !d->filtered) {
        snprintf(error, error_size, "out of memory");
        goto fail;
    }
    d->format->opaque = d;
    d->format->interrupt_callback = (AVIOInterruptCB){interrupted, d};
    int r = av.avformat_open_input(&d->format, path, NULL, NULL);
    if (r < 0) {  // the context is freed by the failed open
        av.av_strerror(r, error, error_size);
        goto fail;
    }
    r = av.avformat_find_stream_info(d->format, NULL);
    if (r < 0) {
        av.av_strerror(r, error, error_size);
        goto fail;
    }
    const AVCodec *codec = NULL;
    d->stream = av.av_find_best_stream(d->format, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (d->stream < 0 || !codec) {
        snprintf(error, error_size, d->stream == AVERROR_DECODER_NOT_FOUND ? "no decoder for its video stream"
                                                                            : "no video stream");
        goto fail;
    }
    for (unsigned k = 0; k < d->format->nb_streams; k++)
        if ((int)k != d->stream) d->format->streams[k]->discard = AVDISCARD_ALL;
    AVStream *stream = d->format->streams[d->stream];
    // The decoder's frames are allocated from the size the container declares, which a damaged file may inflate.
    if (stream->codecpar->width > max_side || stream->codecpar->height > max_side) {
        snprintf(error, error_size, "frame size %dx%d is over the %d-pixel limit per side",
                 stream->codecpar->width, stream->codecpar->height, max_side);
        *too_large = 1;
        goto fail;
    }
    d->codec = av.avcodec_alloc_context3(codec);
    if (!d->codec) { snprintf(error, error_size, "out of memory"); goto fail; }
    r = av.avcodec_parameters_to_context(d->codec, stream->codecpar);
    if (r >= 0) {
        d->codec->opaque = d;
        d->codec->pkt_timebase = stream->time_base;
        d->codec->thread_count = threads;
        r = av.avcodec_open2(d->codec, codec, NULL);
    }
    if (r < 0) {
        av.av_strerror(r, error, error_size);
        goto fail;
    }
    AVRational rate = av.av_guess_frame_rate(d->format, stream, NULL);
    d->fps = rate.num > 0 && rate.den > 0 ? av_q2d(rate) : 0;
    if (d->format->duration != AV_NOPTS_VALUE && d->format->duration > 0)
        d->duration = (double)d->format->duration / AV_TIME_BASE;
    if (!decode_next(d)) {
        pthread_mutex_lock(&d->error_lock);
        snprintf(error, error_size, "%s", *d->last_error ? d->last_error : "no frame could be decoded");
        pthread_mutex_unlock(&d->error_lock);
        goto fail;
    }
    d->have_first = 1;
    if (configure_graph(d, filters, error, error_size) < 0) goto fail;
    if (d->width > max_side || d->height > max_side || d->width <= 0 || d->height <= 0) {
        snprintf(error, error_size, "frame size %dx%d is over the %d-pixel limit per side", d->width, d->height, max_side);
        *too_large = 1;
        goto fail;
    }
    return d;
fail:
    emonet_av_close(d);
    return NULL;
}

int emonet_av_width(const emonet_av_decoder *d) { return d->width; }
int emonet_av_height(const emonet_av_decoder *d) { return d->height; }
double emonet_av_fps(const emonet_av_decoder *d) { return d->fps; }
double emonet_av_duration(const emonet_av_decoder *d) { return d->duration; }

int emonet_av_read(emonet_av_decoder *d, uint8_t *out, int gray) {
    for (;;) {
        if (atomic_load(&d->cancelled)) return 0;
        int r = av.av_buffersink_get_frame(d->sink, d->filtered);
        if (r >= 0) {
            int ok = d->filtered->width == d->width && d->filtered->height == d->height;
            if (ok) {
                size_t row = (size_t)d->width * (gray ? 1 : 3);
                for (int y = 0; y < d->height; y++) {
                    const uint8_t *line = d->filtered->data[0] + (ptrdiff_t)d->filtered->linesize[0] * y;
                    if (gray) emonet_rgb_to_gray(line, out + row * y, (size_t)d->width);
                    else memcpy(out + row * y, line, row);
                }
            }
            av.av_frame_unref(d->filtered);
            if (ok) return 1;
            set_error(d, "the filter graph changed the frame size");
            return -1;
        }
        if (r == AVERROR_EOF) return 0;
        if (r != AVERROR(EAGAIN)) {
            set_error_code(d, "filter graph", r);
            return -1;
        }
        if (d->flushed_graph) return 0;
        int got = d->have_first || decode_next(d);
        d->have_first = 0;
        if (got) {
            // A frame of another size or format than the first is passed on as it is: with a size asked
            // for, the graph still fits it inside that size; without, a changed output size is an error above.
            r = av.av_buffersrc_add_frame_flags(d->source, d->decoded, 0);
            av.av_frame_unref(d->decoded);
        } else {
            r = av.av_buffersrc_add_frame_flags(d->source, NULL, 0);
            d->flushed_graph = 1;
        }
        if (r < 0 && r != AVERROR_EOF) {
            set_error_code(d, "filter graph", r);
            return -1;
        }
    }
}

int emonet_av_error(emonet_av_decoder *d, char *out, size_t out_size) {
    pthread_mutex_lock(&d->error_lock);
    int any = d->last_error[0] != 0;
    if (any) snprintf(out, out_size, "%s", d->last_error);
    pthread_mutex_unlock(&d->error_lock);
    return any;
}

void emonet_av_cancel(emonet_av_decoder *d) { atomic_store(&d->cancelled, 1); }

void emonet_av_close(emonet_av_decoder *d) {
    if (!d) return;
    if (d->graph) av.avfilter_graph_free(&d->graph);
    if (d->codec) av.avcodec_free_context(&d->codec);
    if (d->format) av.avformat_close_input(&d->format);
    if (d->packet) av.av_packet_free(&d->packet);
    if (d->decoded) av.av_frame_free(&d->decoded);
    if (d->filtered) av.av_frame_free(&d->filtered);
    pthread_mutex_destroy(&d->error_lock);
    free(d);
}

#endif
