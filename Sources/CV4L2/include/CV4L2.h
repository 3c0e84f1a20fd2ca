// CV4L2: what Swift cannot import from libv4l2 and <linux/videodev2.h>.
// The VIDIOC_* request numbers and fourcc codes are function-like macros, and v4l2_open/v4l2_ioctl
// are variadic; this header re-exports them as constants and fixed-arity functions.
// Everything goes through libv4l2, so any camera format is converted to RGB24 by libv4lconvert.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/videodev2.h>

// MARK: - Request numbers
static const unsigned long CV4L2_VIDIOC_QUERYCAP = VIDIOC_QUERYCAP;
static const unsigned long CV4L2_VIDIOC_ENUM_FMT = VIDIOC_ENUM_FMT;
static const unsigned long CV4L2_VIDIOC_ENUM_FRAMESIZES = VIDIOC_ENUM_FRAMESIZES;
static const unsigned long CV4L2_VIDIOC_ENUM_FRAMEINTERVALS = VIDIOC_ENUM_FRAMEINTERVALS;
static const unsigned long CV4L2_VIDIOC_G_FMT = VIDIOC_G_FMT;
static const unsigned long CV4L2_VIDIOC_S_FMT = VIDIOC_S_FMT;
static const unsigned long CV4L2_VIDIOC_G_PARM = VIDIOC_G_PARM;
static const unsigned long CV4L2_VIDIOC_S_PARM = VIDIOC_S_PARM;
static const unsigned long CV4L2_VIDIOC_REQBUFS = VIDIOC_REQBUFS;
static const unsigned long CV4L2_VIDIOC_QUERYBUF = VIDIOC_QUERYBUF;
static const unsigned long CV4L2_VIDIOC_QBUF = VIDIOC_QBUF;
static const unsigned long CV4L2_VIDIOC_DQBUF = VIDIOC_DQBUF;
static const unsigned long CV4L2_VIDIOC_STREAMON = VIDIOC_STREAMON;
static const unsigned long CV4L2_VIDIOC_STREAMOFF = VIDIOC_STREAMOFF;

// MARK: - Formats and flags
static const uint32_t CV4L2_PIX_FMT_RGB24 = V4L2_PIX_FMT_RGB24;
static const uint32_t CV4L2_PIX_FMT_YUYV = V4L2_PIX_FMT_YUYV;
static const uint32_t CV4L2_PIX_FMT_MJPEG = V4L2_PIX_FMT_MJPEG;
static const uint32_t CV4L2_BUF_TYPE_VIDEO_CAPTURE = V4L2_BUF_TYPE_VIDEO_CAPTURE;
static const uint32_t CV4L2_MEMORY_MMAP = V4L2_MEMORY_MMAP;
static const uint32_t CV4L2_FIELD_ANY = V4L2_FIELD_ANY;
static const uint32_t CV4L2_CAP_VIDEO_CAPTURE = V4L2_CAP_VIDEO_CAPTURE;
static const uint32_t CV4L2_CAP_STREAMING = V4L2_CAP_STREAMING;
static const uint32_t CV4L2_CAP_DEVICE_CAPS = V4L2_CAP_DEVICE_CAPS;
static const uint32_t CV4L2_FMT_FLAG_EMULATED = V4L2_FMT_FLAG_EMULATED;
static const uint32_t CV4L2_BUF_FLAG_TIMESTAMP_MASK = V4L2_BUF_FLAG_TIMESTAMP_MASK;
static const uint32_t CV4L2_BUF_FLAG_TIMESTAMP_MONOTONIC = V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC;
static const uint32_t CV4L2_BUF_FLAG_ERROR = V4L2_BUF_FLAG_ERROR;
static const uint32_t CV4L2_FRMSIZE_TYPE_DISCRETE = V4L2_FRMSIZE_TYPE_DISCRETE;
static const uint32_t CV4L2_FRMIVAL_TYPE_DISCRETE = V4L2_FRMIVAL_TYPE_DISCRETE;

// MARK: - libv4l2 with fixed arity
/// v4l2_open(path, flags): opens the device and sets up libv4l2's format conversion for it.
int cv4l2_open(const char *path, int flags);
int cv4l2_close(int fd);
/// v4l2_ioctl(fd, request, arg); -1 with errno set on failure (EINTR is retried).
int cv4l2_ioctl(int fd, unsigned long request, void *arg);
void *cv4l2_mmap(size_t length, int fd, int64_t offset);
int cv4l2_munmap(void *start, size_t length);
/// poll() for readability with a timeout; 1 ready, 0 timeout, -1 error (errno); POLLERR/POLLHUP give -1/ENODEV.
int cv4l2_wait_readable(int fd, int timeout_ms);
/// MAP_FAILED, which Swift cannot import.
int cv4l2_map_failed(const void *address);

// MARK: - Struct helpers (unions and flexible layouts Swift imports awkwardly)
/// The mmap offset of a buffer returned by VIDIOC_QUERYBUF.
uint32_t cv4l2_buffer_offset(const struct v4l2_buffer *buffer);
/// Sets discrete frame-interval fields of a VIDIOC_ENUM_FRAMESIZES answer into width/height; 0 if not discrete.
int cv4l2_frmsize_discrete(const struct v4l2_frmsizeenum *size, uint32_t *width, uint32_t *height);
/// Stepwise/continuous sizes: the largest size offered.
void cv4l2_frmsize_max(const struct v4l2_frmsizeenum *size, uint32_t *width, uint32_t *height);
/// A frame interval as frames per second (0 when the interval is not discrete).
double cv4l2_frmival_fps(const struct v4l2_frmivalenum *interval);
