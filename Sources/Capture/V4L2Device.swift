// A V4L2 device opened through libv4l2: the raw ioctls, with errno turned into CaptureError.
// Invariant: `fd` is valid until close(); every call goes through libv4l2 (cv4l2_*) so libv4lconvert
// can emulate RGB24 on top of whatever the camera offers.
import CV4L2
import Foundation

final class V4L2Device {
    let path: String
    private(set) var fd: Int32

    /// Opens `path` non-blocking (reads wait in poll, so a stop request is always seen).
    init(path: String) throws {
        self.path = path
        let fd = cv4l2_open(path, O_RDWR | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENXIO, ENODEV: throw CaptureError.noSuchDevice(path)
            case EACCES, EPERM: throw CaptureError.permissionDenied(path)
            case EBUSY: throw CaptureError.busy(path)
            default: throw CaptureError.deviceFailure(path, operation: "open", message: errnoMessage(code))
            }
        }
        self.fd = fd
    }

    deinit { close() }

    func close() {
        if fd >= 0 {
            _ = cv4l2_close(fd)
            fd = -1
        }
    }

    /// Runs one ioctl; on failure throws an error for `operation` (EBUSY and ENODEV get their own cases).
    func ioctl<T>(_ request: UInt, _ argument: inout T, _ operation: String) throws {
        if cv4l2_ioctl(fd, request, &argument) == 0 { return }
        throw error(for: errno, operation: operation)
    }

    /// The ioctl's errno, or 0 on success (for enumerations that end with EINVAL).
    func tryIoctl<T>(_ request: UInt, _ argument: inout T) -> Int32 {
        cv4l2_ioctl(fd, request, &argument) == 0 ? 0 : errno
    }

    /// Asks an enumeration ioctl (VIDIOC_ENUM_*) for entries 0, 1, 2, ... of `request` (the fields
    /// other than the index set by the caller) and hands each answer to `body`, until the driver has
    /// no more, `body` returns false, or `limit` entries were asked for.
    func enumerate<Request: V4L2Enumeration>(_ ioctl: UInt, _ request: Request, limit: UInt32 = .max,
                                              _ body: (inout Request) -> Bool) {
        var index: UInt32 = 0
        while index < limit {
            var entry = request  // a fresh copy each time, as the driver writes into the answer
            entry.index = index
            guard tryIoctl(ioctl, &entry) == 0, body(&entry) else { return }
            index += 1
        }
    }

    func error(for code: Int32, operation: String, frames: Int = 0) -> CaptureError {
        switch code {
        case EBUSY: return .busy(path)
        case ENODEV, EIO, ENXIO: return .disconnected(path, afterFrames: frames, errnoName: errnoName(code))
        case EACCES, EPERM: return .permissionDenied(path)
        default: return .deviceFailure(path, operation: operation, message: errnoMessage(code))
        }
    }

    /// VIDIOC_QUERYCAP, throwing when the device cannot capture video.
    func captureCapabilities() throws -> v4l2_capability {
        var caps = v4l2_capability()
        let code = tryIoctl(CV4L2_VIDIOC_QUERYCAP, &caps)
        if code == ENOTTY || code == EINVAL { throw CaptureError.notACaptureDevice(path, reason: "not a V4L2 device") }
        if code != 0 { throw error(for: code, operation: "VIDIOC_QUERYCAP") }
        return caps
    }
}

extension v4l2_capability {
    /// The device's own capabilities (falls back to the whole driver's on old kernels).
    var effectiveCapabilities: UInt32 {
        capabilities & CV4L2_CAP_DEVICE_CAPS != 0 ? device_caps : capabilities
    }

    var canCapture: Bool { effectiveCapabilities & CV4L2_CAP_VIDEO_CAPTURE != 0 }
    var canStream: Bool { effectiveCapabilities & CV4L2_CAP_STREAMING != 0 }
    var driverName: String { fixedString(driver) }
    var cardName: String { fixedString(card) }
    var busInfo: String { fixedString(bus_info) }
}

/// A NUL-terminated C char array imported as a tuple, as a String.
func fixedString<T>(_ tuple: T) -> String {
    withUnsafeBytes(of: tuple) { raw in
        let bytes = raw.prefix { $0 != 0 }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A fourcc code as its four characters ("YUYV").
func fourccString(_ code: UInt32) -> String {
    let bytes = (0..<4).map { UInt8((code >> (8 * $0)) & 0xff) }
    return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
}

/// A V4L2 enumeration request: the same struct asked again with index 0, 1, 2, ...
protocol V4L2Enumeration {
    var index: UInt32 { get set }
}

extension v4l2_fmtdesc: V4L2Enumeration {}
extension v4l2_frmsizeenum: V4L2Enumeration {}
extension v4l2_frmivalenum: V4L2Enumeration {}
