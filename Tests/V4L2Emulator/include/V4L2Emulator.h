// V4L2Emulator: an emulated V4L2 capture device for tests and benchmarks, loaded with LD_PRELOAD.
//
// libv4l2 reaches the kernel through syscall(SYS_openat/SYS_ioctl/SYS_mmap/...), not through the libc
// wrappers, so this library interposes `syscall` itself (plus open/openat/close/mmap/munmap/poll/read/
// ioctl for callers that use libc) and answers for one fake device path. Everything else is passed on.
// The device offers one format (YUYV 4:2:2) at one size and one rate; libv4lconvert converts it to RGB24,
// so the whole real libv4l2 + libv4lconvert path runs with no camera present.
//
// Configuration (environment, read once at load):
//   EMONET_EMU_DEVICE        the fake path (default /dev/video-emu)
//   EMONET_EMU_FRAMES        raw YUYV frames, WxHx2 bytes each, played in a loop (default: a test pattern)
//   EMONET_EMU_SIZE          WxH of those frames (default 640x480)
//   EMONET_EMU_FPS           frame rate of the emulated sensor (default 30)
//   EMONET_EMU_UNPLUG_AFTER  after this many frames the device "is unplugged": DQBUF and every later
//                            ioctl fail with ENODEV (EIO with EMONET_EMU_UNPLUG_ERRNO=EIO), poll gives POLLERR
//   EMONET_EMU_FAULT         "denied": open fails with EACCES; "busy": S_FMT/REQBUFS fail with EBUSY
//   EMONET_EMU_TRACE         1: log every emulated call to stderr
// Only one open file description may stream at a time; others get EBUSY, as with a real camera.
#pragma once

/// The number of frames the emulator has delivered since load (for tests run in-process).
long emonet_emulator_frames_delivered(void);
