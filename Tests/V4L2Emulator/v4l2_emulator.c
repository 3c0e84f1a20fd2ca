// The emulated V4L2 camera: see include/V4L2Emulator.h for what it does and how it is configured.
// Invariants: all state is behind one mutex; waits for the next frame sleep with the mutex released;
// the fake file descriptors are real descriptors of /dev/null, so their numbers never collide.
#define _GNU_SOURCE
#include "V4L2Emulator.h"
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_FDS 8
#define MAX_BUFFERS 8

typedef struct {
    void *data;
    int queued;   // 1 while owned by the driver (between QBUF and DQBUF)
    uint64_t order;  // QBUF order, so DQBUF hands buffers back first in, first out
} EmuBuffer;

static struct {
    int ready;
    char path[256];
    int width, height, fps;
    long unplug_after;  // -1: never
    int unplug_errno;
    int fault_denied, fault_busy, trace;
    uint8_t *frames;
    long frame_count;

    int fds[MAX_FDS];   // open fake descriptors, -1 free
    int nonblocking[MAX_FDS];
    int owner;          // descriptor that holds the buffers, -1 none
    EmuBuffer buffers[MAX_BUFFERS];
    int buffer_count;
    size_t buffer_stride;  // page-aligned size; buffer i is mapped at offset i * stride
    uint64_t queue_order;
    int streaming;
    double stream_start;
    long served;        // frames delivered in this stream
    long last_sequence;
    long delivered_total;
    int unplugged;
} emu = { .owner = -1 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static long (*real_syscall)(long, ...);
static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_openat64)(int, const char *, int, ...);
static int (*real_close)(int);
static void *(*real_mmap)(void *, size_t, int, int, int, off_t);
static void *(*real_mmap64)(void *, size_t, int, int, int, off64_t);
static int (*real_munmap)(void *, size_t);
static int (*real_poll)(struct pollfd *, nfds_t, int);
static ssize_t (*real_read)(int, void *, size_t);
static int (*real_ioctl)(int, unsigned long, ...);

#define TRACE(...) do { if (emu.trace) fprintf(stderr, "v4l2-emu: " __VA_ARGS__); } while (0)

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void fill_pattern(uint8_t *frame, int w, int h, long k) {
    // Mid-gray background with a bright 96x96 square that moves 4 px per frame (YUYV, neutral chroma).
    int sx = (int)((k * 4) % (w > 96 ? w - 96 : 1)), sy = h / 3;
    for (int y = 0; y < h; y++) {
        uint8_t *row = frame + (size_t)y * w * 2;
        for (int x = 0; x < w; x++) {
            int inside = x >= sx && x < sx + 96 && y >= sy && y < sy + 96;
            row[2 * x] = inside ? 235 : 64;
            row[2 * x + 1] = 128;
        }
    }
}

static void setup(void) {
    // The C library's function for each one this file wraps: real_NAME is dlsym's "NAME" (spelt once).
#define RESOLVE(name) (real_##name = dlsym(RTLD_NEXT, #name))
    RESOLVE(open); RESOLVE(open64); RESOLVE(openat); RESOLVE(openat64); RESOLVE(close);
    RESOLVE(mmap); RESOLVE(mmap64); RESOLVE(munmap);
    RESOLVE(syscall); RESOLVE(poll); RESOLVE(read); RESOLVE(ioctl);
#undef RESOLVE

    const char *s;
    snprintf(emu.path, sizeof emu.path, "%s", (s = getenv("EMONET_EMU_DEVICE")) ? s : "/dev/video-emu");
    emu.width = 640; emu.height = 480; emu.fps = 30;
    if ((s = getenv("EMONET_EMU_SIZE")) && sscanf(s, "%dx%d", &emu.width, &emu.height) != 2) {
        emu.width = 640; emu.height = 480;
    }
    if (emu.width <= 0 || emu.height <= 0 || emu.width % 2) { emu.width = 640; emu.height = 480; }
    if ((s = getenv("EMONET_EMU_FPS")) && atoi(s) > 0) emu.fps = atoi(s);
    emu.unplug_after = (s = getenv("EMONET_EMU_UNPLUG_AFTER")) ? atol(s) : -1;
    emu.unplug_errno = ((s = getenv("EMONET_EMU_UNPLUG_ERRNO")) && strcmp(s, "EIO") == 0) ? EIO : ENODEV;
    s = getenv("EMONET_EMU_FAULT");
    emu.fault_denied = s && strcmp(s, "denied") == 0;
    emu.fault_busy = s && strcmp(s, "busy") == 0;
    emu.trace = (s = getenv("EMONET_EMU_TRACE")) && strcmp(s, "1") == 0;
    for (int i = 0; i < MAX_FDS; i++) emu.fds[i] = -1;

    size_t frame_bytes = (size_t)emu.width * emu.height * 2;
    if ((s = getenv("EMONET_EMU_FRAMES")) && *s) {
        FILE *f = fopen(s, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            long size = ftell(f);
            fseek(f, 0, SEEK_SET);
            emu.frame_count = size / (long)frame_bytes;
            if (emu.frame_count > 0) {
                emu.frames = malloc((size_t)emu.frame_count * frame_bytes);
                if (!emu.frames || fread(emu.frames, frame_bytes, (size_t)emu.frame_count, f) != (size_t)emu.frame_count) {
                    free(emu.frames); emu.frames = NULL; emu.frame_count = 0;
                }
            }
            fclose(f);
        }
        if (!emu.frames) fprintf(stderr, "v4l2-emu: cannot read %s as %dx%d YUYV frames; serving a test pattern\n",
                                 s, emu.width, emu.height);
    }
    if (!emu.frames) {
        emu.frame_count = 64;
        emu.frames = malloc((size_t)emu.frame_count * frame_bytes);
        for (long k = 0; k < emu.frame_count; k++) fill_pattern(emu.frames + k * frame_bytes, emu.width, emu.height, k);
    }
    emu.ready = 1;
}

static void ensure_setup(void) { pthread_once(&once, setup); }

long emonet_emulator_frames_delivered(void) { return emu.delivered_total; }

// MARK: - Descriptors

static int slot_of(int fd) {
    if (fd < 0) return -1;
    for (int i = 0; i < MAX_FDS; i++) if (emu.fds[i] == fd) return i;
    return -1;
}

static int is_fake(int fd) {
    pthread_mutex_lock(&lock);
    int r = slot_of(fd) >= 0;
    pthread_mutex_unlock(&lock);
    return r;
}

static int is_fake_path(const char *path) { return path && strcmp(path, emu.path) == 0; }

static int fake_open(int flags) {
    if (emu.fault_denied) { errno = EACCES; return -1; }
    int fd = (int)real_syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR | O_CLOEXEC, 0);
    if (fd < 0) return -1;
    pthread_mutex_lock(&lock);
    int i = 0;
    while (i < MAX_FDS && emu.fds[i] != -1) i++;
    if (i == MAX_FDS) { pthread_mutex_unlock(&lock); real_syscall(SYS_close, fd); errno = EMFILE; return -1; }
    emu.fds[i] = fd;
    emu.nonblocking[i] = (flags & O_NONBLOCK) != 0;
    pthread_mutex_unlock(&lock);
    TRACE("open %s -> fd %d%s\n", emu.path, fd, (flags & O_NONBLOCK) ? " (non-blocking)" : "");
    return fd;
}

static void release_buffers_locked(void) {
    for (int i = 0; i < emu.buffer_count; i++) { free(emu.buffers[i].data); emu.buffers[i].data = NULL; }
    emu.buffer_count = 0;
    emu.streaming = 0;
    emu.owner = -1;
}

static int fake_close(int fd) {
    pthread_mutex_lock(&lock);
    int i = slot_of(fd);
    emu.fds[i] = -1;
    if (emu.owner == fd) release_buffers_locked();
    pthread_mutex_unlock(&lock);
    TRACE("close fd %d\n", fd);
    return (int)real_syscall(SYS_close, fd);
}

// MARK: - ioctl

static void fill_pix(struct v4l2_pix_format *pix) {
    memset(pix, 0, sizeof *pix);
    pix->width = (uint32_t)emu.width;
    pix->height = (uint32_t)emu.height;
    pix->pixelformat = V4L2_PIX_FMT_YUYV;
    pix->field = V4L2_FIELD_NONE;
    pix->bytesperline = (uint32_t)emu.width * 2;
    pix->sizeimage = (uint32_t)(emu.width * emu.height * 2);
    pix->colorspace = V4L2_COLORSPACE_SRGB;
}

/// Waits (mutex released) until the next frame is due; returns with the mutex held. 0 ok, -1 errno.
static int wait_for_frame_locked(int nonblocking) {
    for (;;) {
        if (emu.unplugged) { errno = emu.unplug_errno; return -1; }
        if (!emu.streaming) { errno = EINVAL; return -1; }
        double due = emu.stream_start + (double)(emu.last_sequence + 1) / emu.fps;
        double wait = due - now_seconds();
        if (wait <= 0) return 0;
        if (nonblocking) { errno = EAGAIN; return -1; }
        pthread_mutex_unlock(&lock);
        struct timespec t = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
        nanosleep(&t, NULL);
        pthread_mutex_lock(&lock);
    }
}

static int dequeue_locked(int fd, int nonblocking, struct v4l2_buffer *b) {
    if (emu.owner != fd) { errno = EINVAL; return -1; }
    if (wait_for_frame_locked(nonblocking) != 0) return -1;
    int pick = -1;
    for (int i = 0; i < emu.buffer_count; i++)
        if (emu.buffers[i].queued && (pick < 0 || emu.buffers[i].order < emu.buffers[pick].order)) pick = i;
    if (pick < 0) { errno = EINVAL; return -1; }  // nothing queued: a real driver would block forever
    if (emu.unplug_after >= 0 && emu.served >= emu.unplug_after) {
        emu.unplugged = 1;
        TRACE("unplugged after %ld frames\n", emu.served);
        errno = emu.unplug_errno;
        return -1;
    }
    // The newest frame that is due; frames the reader was too slow for are skipped, as a driver does.
    long sequence = (long)((now_seconds() - emu.stream_start) * emu.fps);
    if (sequence <= emu.last_sequence) sequence = emu.last_sequence + 1;
    size_t frame_bytes = (size_t)emu.width * emu.height * 2;
    memcpy(emu.buffers[pick].data, emu.frames + (size_t)(sequence % emu.frame_count) * frame_bytes, frame_bytes);
    emu.buffers[pick].queued = 0;
    emu.last_sequence = sequence;
    emu.served++;
    emu.delivered_total++;

    double stamp = emu.stream_start + (double)sequence / emu.fps;
    memset(b, 0, sizeof *b);
    b->index = (uint32_t)pick;
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    b->bytesused = (uint32_t)frame_bytes;
    b->length = (uint32_t)frame_bytes;
    b->m.offset = (uint32_t)(pick * emu.buffer_stride);
    b->field = V4L2_FIELD_NONE;
    b->sequence = (uint32_t)sequence;
    b->flags = V4L2_BUF_FLAG_MAPPED | V4L2_BUF_FLAG_DONE | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
    b->timestamp.tv_sec = (time_t)stamp;
    b->timestamp.tv_usec = (suseconds_t)((stamp - (double)(time_t)stamp) * 1e6);
    return 0;
}

static int fake_ioctl(int fd, unsigned long request, void *arg) {
    pthread_mutex_lock(&lock);
    int slot = slot_of(fd);
    int nonblocking = slot >= 0 && emu.nonblocking[slot];
    int result = 0;
    errno = 0;
    if (emu.unplugged) { errno = emu.unplug_errno; result = -1; goto done; }
    switch (request) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *c = arg;
        memset(c, 0, sizeof *c);
        snprintf((char *)c->driver, sizeof c->driver, "emonet-emu");
        snprintf((char *)c->card, sizeof c->card, "EmoNet emulated camera");
        snprintf((char *)c->bus_info, sizeof c->bus_info, "platform:emonet-emu");
        c->version = 0x060100;
        c->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        c->capabilities = c->device_caps | V4L2_CAP_DEVICE_CAPS;
        break;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->index != 0 || d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; result = -1; break; }
        uint32_t index = d->index, type = d->type;
        memset(d, 0, sizeof *d);
        d->index = index; d->type = type;
        d->pixelformat = V4L2_PIX_FMT_YUYV;
        snprintf((char *)d->description, sizeof d->description, "YUYV 4:2:2");
        break;
    }
    case VIDIOC_ENUM_FRAMESIZES: {
        struct v4l2_frmsizeenum *s = arg;
        if (s->index != 0 || s->pixel_format != V4L2_PIX_FMT_YUYV) { errno = EINVAL; result = -1; break; }
        s->type = V4L2_FRMSIZE_TYPE_DISCRETE;
        s->discrete.width = (uint32_t)emu.width;
        s->discrete.height = (uint32_t)emu.height;
        break;
    }
    case VIDIOC_ENUM_FRAMEINTERVALS: {
        struct v4l2_frmivalenum *v = arg;
        if (v->index != 0 || v->pixel_format != V4L2_PIX_FMT_YUYV || v->width != (uint32_t)emu.width
            || v->height != (uint32_t)emu.height) { errno = EINVAL; result = -1; break; }
        v->type = V4L2_FRMIVAL_TYPE_DISCRETE;
        v->discrete.numerator = 1;
        v->discrete.denominator = (uint32_t)emu.fps;
        break;
    }
    case VIDIOC_G_FMT: case VIDIOC_S_FMT: case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; result = -1; break; }
        if (request == VIDIOC_S_FMT && (emu.fault_busy || (emu.owner >= 0 && emu.owner != fd))) {
            errno = EBUSY; result = -1; break;
        }
        fill_pix(&f->fmt.pix);
        break;
    }
    case VIDIOC_G_PARM: case VIDIOC_S_PARM: {
        struct v4l2_streamparm *p = arg;
        if (p->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; result = -1; break; }
        memset(&p->parm, 0, sizeof p->parm);
        p->parm.capture.capability = V4L2_CAP_TIMEPERFRAME;
        p->parm.capture.timeperframe.numerator = 1;
        p->parm.capture.timeperframe.denominator = (uint32_t)emu.fps;
        break;
    }
    case VIDIOC_REQBUFS: {
        struct v4l2_requestbuffers *r = arg;
        if (r->memory != V4L2_MEMORY_MMAP || r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) { errno = EINVAL; result = -1; break; }
        if (emu.fault_busy || (emu.owner >= 0 && emu.owner != fd)) { errno = EBUSY; result = -1; break; }
        if (emu.streaming) { errno = EBUSY; result = -1; break; }
        release_buffers_locked();
        if (r->count == 0) break;
        uint32_t count = r->count < 2 ? 2 : (r->count > MAX_BUFFERS ? MAX_BUFFERS : r->count);
        size_t frame_bytes = (size_t)emu.width * emu.height * 2;
        emu.buffer_stride = (frame_bytes + 4095) & ~(size_t)4095;
        for (uint32_t i = 0; i < count; i++) {
            emu.buffers[i].data = calloc(1, emu.buffer_stride);
            emu.buffers[i].queued = 0;
        }
        emu.buffer_count = (int)count;
        emu.owner = fd;
        r->count = count;
        r->capabilities = V4L2_BUF_CAP_SUPPORTS_MMAP;
        break;
    }
    case VIDIOC_QUERYBUF: case VIDIOC_QBUF: {
        struct v4l2_buffer *b = arg;
        if (emu.owner != fd || b->index >= (uint32_t)emu.buffer_count || b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) {
            errno = EINVAL; result = -1; break;
        }
        EmuBuffer *buffer = &emu.buffers[b->index];
        if (request == VIDIOC_QBUF) {
            if (buffer->queued) { errno = EINVAL; result = -1; break; }
            buffer->queued = 1;
            buffer->order = emu.queue_order++;
        }
        size_t frame_bytes = (size_t)emu.width * emu.height * 2;
        b->memory = V4L2_MEMORY_MMAP;
        b->length = (uint32_t)frame_bytes;
        b->m.offset = (uint32_t)(b->index * emu.buffer_stride);
        b->flags = V4L2_BUF_FLAG_MAPPED | (buffer->queued ? V4L2_BUF_FLAG_QUEUED : 0) | V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
        break;
    }
    case VIDIOC_DQBUF:
        result = dequeue_locked(fd, nonblocking, arg);
        break;
    case VIDIOC_STREAMON:
        if (emu.owner != fd || emu.buffer_count == 0) { errno = EINVAL; result = -1; break; }
        if (!emu.streaming) {
            emu.streaming = 1;
            emu.stream_start = now_seconds();
            emu.served = 0;
            emu.last_sequence = -1;
        }
        break;
    case VIDIOC_STREAMOFF:
        if (emu.owner != fd) { errno = EINVAL; result = -1; break; }
        emu.streaming = 0;
        for (int i = 0; i < emu.buffer_count; i++) emu.buffers[i].queued = 0;
        break;
    default:
        errno = ENOTTY;
        result = -1;
    }
done:
    TRACE("ioctl fd %d %s(0x%lx) -> %d%s%s\n", fd, request == VIDIOC_DQBUF ? "DQBUF" : "", request, result,
          result ? " errno " : "", result ? strerror(errno) : "");
    int saved = errno;
    pthread_mutex_unlock(&lock);
    errno = saved;
    return result;
}

// MARK: - mmap and poll

static void *fake_mmap(int fd, size_t length, off_t offset) {
    pthread_mutex_lock(&lock);
    void *address = MAP_FAILED;
    if (emu.owner == fd && emu.buffer_stride > 0 && offset % (off_t)emu.buffer_stride == 0) {
        long i = (long)(offset / (off_t)emu.buffer_stride);
        if (i < emu.buffer_count && length <= emu.buffer_stride) address = emu.buffers[i].data;
    }
    pthread_mutex_unlock(&lock);
    TRACE("mmap fd %d offset %ld length %zu -> %p\n", fd, (long)offset, length, address);
    if (address == MAP_FAILED) errno = EINVAL;
    return address;
}

static int is_fake_buffer(void *address) {
    pthread_mutex_lock(&lock);
    int r = 0;
    for (int i = 0; i < emu.buffer_count; i++) if (emu.buffers[i].data == address) r = 1;
    pthread_mutex_unlock(&lock);
    return r;
}

/// Readiness of one fake descriptor: POLLIN when a frame is due and a buffer is queued.
static short fake_revents(int fd, short events, double *due) {
    short revents = 0;
    *due = -1;
    pthread_mutex_lock(&lock);
    if (emu.unplugged) revents = POLLERR | POLLHUP;
    else if (emu.owner == fd && emu.streaming) {
        int queued = 0;
        for (int i = 0; i < emu.buffer_count; i++) queued |= emu.buffers[i].queued;
        if (!queued) revents = POLLERR;
        else {
            double when = emu.stream_start + (double)(emu.last_sequence + 1) / emu.fps;
            if (emu.unplug_after >= 0 && emu.served >= emu.unplug_after) revents = POLLERR | POLLHUP, emu.unplugged = 1;
            else if (when <= now_seconds()) revents = events & (POLLIN | POLLRDNORM);
            else *due = when;
        }
    } else revents = POLLERR;
    pthread_mutex_unlock(&lock);
    return revents;
}

static int fake_poll(struct pollfd *fds, nfds_t n, int timeout_ms) {
    double deadline = timeout_ms < 0 ? -1 : now_seconds() + timeout_ms / 1000.0;
    for (;;) {
        int ready = 0;
        double next_due = -1;
        for (nfds_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (!is_fake(fds[i].fd)) continue;
            double due;
            fds[i].revents = fake_revents(fds[i].fd, fds[i].events, &due);
            if (fds[i].revents) ready++;
            else if (due > 0 && (next_due < 0 || due < next_due)) next_due = due;
        }
        // Real descriptors in the same call are checked without waiting.
        for (nfds_t i = 0; i < n; i++) {
            if (is_fake(fds[i].fd)) continue;
            struct pollfd one = fds[i];
            if (real_poll(&one, 1, 0) > 0) { fds[i].revents = one.revents; ready++; }
        }
        if (ready) return ready;
        double now = now_seconds();
        if (deadline >= 0 && now >= deadline) return 0;
        double wake = next_due > 0 ? next_due : now + 0.005;
        if (deadline >= 0 && wake > deadline) wake = deadline;
        if (wake - now > 0.005 && next_due < 0) wake = now + 0.005;
        double wait = wake - now;
        if (wait > 0) {
            struct timespec t = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
            nanosleep(&t, NULL);
        }
    }
}

static int has_fake(struct pollfd *fds, nfds_t n) {
    for (nfds_t i = 0; i < n; i++) if (is_fake(fds[i].fd)) return 1;
    return 0;
}

// MARK: - Interposed entry points

long syscall(long number, ...) {
    ensure_setup();
    va_list ap;
    va_start(ap, number);
    long a[6];
    for (int i = 0; i < 6; i++) a[i] = va_arg(ap, long);
    va_end(ap);
    switch (number) {
    case SYS_open:
        if (is_fake_path((const char *)a[0])) return fake_open((int)a[1]);
        break;
    case SYS_openat:
        if (is_fake_path((const char *)a[1])) return fake_open((int)a[2]);
        break;
    case SYS_close:
        if (is_fake((int)a[0])) return fake_close((int)a[0]);
        break;
    case SYS_ioctl:
        if (is_fake((int)a[0])) return fake_ioctl((int)a[0], (unsigned long)a[1], (void *)a[2]);
        break;
    case SYS_mmap:
        if (is_fake((int)a[4])) return (long)fake_mmap((int)a[4], (size_t)a[1], (off_t)a[5]);
        break;
    case SYS_munmap:
        if (is_fake_buffer((void *)a[0])) return 0;
        break;
    case SYS_read:
        if (is_fake((int)a[0])) { errno = EINVAL; return -1; }  // streaming only, no read() I/O
        break;
    }
    return real_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

#define OPEN_MODE(flags) \
    mode_t mode = 0; \
    if ((flags) & (O_CREAT | O_TMPFILE)) { va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); }

int open(const char *path, int flags, ...) {
    ensure_setup();
    OPEN_MODE(flags)
    if (is_fake_path(path)) return fake_open(flags);
    return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) {
    ensure_setup();
    OPEN_MODE(flags)
    if (is_fake_path(path)) return fake_open(flags);
    return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...) {
    ensure_setup();
    OPEN_MODE(flags)
    if (is_fake_path(path)) return fake_open(flags);
    return real_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...) {
    ensure_setup();
    OPEN_MODE(flags)
    if (is_fake_path(path)) return fake_open(flags);
    return real_openat64(dirfd, path, flags, mode);
}

int close(int fd) {
    ensure_setup();
    if (is_fake(fd)) return fake_close(fd);
    return real_close(fd);
}

int ioctl(int fd, unsigned long request, ...) {
    ensure_setup();
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (is_fake(fd)) return fake_ioctl(fd, request, arg);
    return real_ioctl(fd, request, arg);
}

void *mmap(void *address, size_t length, int prot, int flags, int fd, off_t offset) {
    ensure_setup();
    if (is_fake(fd)) return fake_mmap(fd, length, offset);
    return real_mmap(address, length, prot, flags, fd, offset);
}

void *mmap64(void *address, size_t length, int prot, int flags, int fd, off64_t offset) {
    ensure_setup();
    if (is_fake(fd)) return fake_mmap(fd, length, offset);
    return real_mmap64(address, length, prot, flags, fd, offset);
}

int munmap(void *address, size_t length) {
    ensure_setup();
    if (is_fake_buffer(address)) return 0;
    return real_munmap(address, length);
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
    ensure_setup();
    if (has_fake(fds, n)) return fake_poll(fds, n, timeout);
    return real_poll(fds, n, timeout);
}

ssize_t read(int fd, void *buffer, size_t count) {
    ensure_setup();
    if (is_fake(fd)) { errno = EINVAL; return -1; }
    return real_read(fd, buffer, count);
}
