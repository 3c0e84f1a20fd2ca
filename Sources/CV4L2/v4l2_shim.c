// Fixed-arity wrappers over libv4l2's variadic API and accessors for unions Swift imports awkwardly.
#include "CV4L2.h"
#include <errno.h>
#include <libv4l2.h>
#include <poll.h>
#include <sys/mman.h>

int cv4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }

int cv4l2_close(int fd) { return v4l2_close(fd); }

int cv4l2_ioctl(int fd, unsigned long request, void *arg) {
    int r;
    do { r = v4l2_ioctl(fd, request, arg); } while (r == -1 && errno == EINTR);
    return r;
}

void *cv4l2_mmap(size_t length, int fd, int64_t offset) {
    return v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
}

int cv4l2_munmap(void *start, size_t length) { return v4l2_munmap(start, length); }

int cv4l2_map_failed(const void *address) { return address == MAP_FAILED; }

int cv4l2_wait_readable(int fd, int timeout_ms) {
    struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };
    int r;
    do { r = poll(&p, 1, timeout_ms); } while (r == -1 && errno == EINTR);
    if (r <= 0) return r;
    // A device that went away reports POLLERR/POLLHUP (or POLLNVAL after close) instead of data.
    if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) { errno = ENODEV; return -1; }
    return 1;
}

uint32_t cv4l2_buffer_offset(const struct v4l2_buffer *buffer) { return buffer->m.offset; }

int cv4l2_frmsize_discrete(const struct v4l2_frmsizeenum *size, uint32_t *width, uint32_t *height) {
    if (size->type != V4L2_FRMSIZE_TYPE_DISCRETE) return 0;
    *width = size->discrete.width;
    *height = size->discrete.height;
    return 1;
}

void cv4l2_frmsize_max(const struct v4l2_frmsizeenum *size, uint32_t *width, uint32_t *height) {
    if (size->type == V4L2_FRMSIZE_TYPE_DISCRETE) {
        *width = size->discrete.width;
        *height = size->discrete.height;
    } else {
        *width = size->stepwise.max_width;
        *height = size->stepwise.max_height;
    }
}

double cv4l2_frmival_fps(const struct v4l2_frmivalenum *interval) {
    if (interval->type != V4L2_FRMIVAL_TYPE_DISCRETE || interval->discrete.numerator == 0) return 0;
    return (double)interval->discrete.denominator / (double)interval->discrete.numerator;
}
