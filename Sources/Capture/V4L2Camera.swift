// A V4L2 camera as a FrameSource: opened through libv4l2 at a requested size and rate (the negotiated
// values are what it reports), streaming RGB24 from at least 3 memory-mapped buffers, frames stamped
// with the driver's monotonic timestamps.
// Invariants: nextFrame() waits in poll() with a short timeout, so cancel() is seen within ~100 ms;
// each dequeued buffer is copied out and queued again at once (the driver is never starved by
// processing); an unplug (ENODEV/EIO, POLLERR) ends the stream with CaptureError.disconnected.
import CV4L2
import Foundation
import Frames
import Imaging

public final class V4L2Camera: FrameSource, @unchecked Sendable {
    /// What to ask the driver for; it may choose something else, see the camera's properties.
    public struct Request: Sendable {
        public var width: Int
        public var height: Int
        public var framesPerSecond: Double
        public var bufferCount: Int

        public init(width: Int = 640, height: Int = 480, framesPerSecond: Double = 30, bufferCount: Int = 4) {
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
            self.bufferCount = bufferCount
        }
    }

    public let path: String
    public let card: String
    public let driver: String
    public let width: Int
    public let height: Int
    /// The rate the driver reports after negotiation (0 if it does not say).
    public let framesPerSecond: Double
    /// Buffers the driver granted (>= 3).
    public let bufferCount: Int

    private let device: V4L2Device
    private var mappings: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private var ring: FrameBufferRing<RGBImage>
    private let cancellation = CancellationFlag()
    private var framesDelivered = 0
    private var firstSequence: Int?
    private var firstTimestamp: Double?
    private var streaming = false

    /// Opens and starts streaming `path` (nil: the first capture device).
    public init(path: String? = nil, request: Request = Request()) throws {
        let path = try path ?? VideoDevices.firstCaptureDevice()
        let device = try V4L2Device(path: path)
        self.device = device
        self.path = path
        let caps = try device.captureCapabilities()
        guard caps.canCapture else { throw CaptureError.notACaptureDevice(path, reason: "no video capture capability") }
        guard caps.canStream else { throw CaptureError.notACaptureDevice(path, reason: "no streaming I/O") }
        card = caps.cardName
        driver = caps.driverName

        // Format: RGB24 at the requested size; libv4l2 picks the camera format and converts.
        var format = v4l2_format()
        format.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        format.fmt.pix.width = UInt32(request.width)
        format.fmt.pix.height = UInt32(request.height)
        format.fmt.pix.pixelformat = CV4L2_PIX_FMT_RGB24
        format.fmt.pix.field = CV4L2_FIELD_ANY
        try device.ioctl(CV4L2_VIDIOC_S_FMT, &format, "VIDIOC_S_FMT")
        guard format.fmt.pix.pixelformat == CV4L2_PIX_FMT_RGB24 else {
            throw CaptureError.unsupportedFormat(
                path, detail: "the camera's \(fourccString(format.fmt.pix.pixelformat)) cannot be converted to RGB24 by libv4lconvert")
        }
        width = Int(format.fmt.pix.width)
        height = Int(format.fmt.pix.height)
        guard width > 0, height > 0, Int(format.fmt.pix.bytesperline) == width * 3 else {
            throw CaptureError.unsupportedFormat(path, detail: "unexpected RGB24 layout \(width)x\(height), \(format.fmt.pix.bytesperline) bytes per line")
        }

        // Rate: ask, then read back what the driver chose.
        var parm = v4l2_streamparm()
        parm.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        if request.framesPerSecond > 0 {
            parm.parm.capture.timeperframe.numerator = 1000
            parm.parm.capture.timeperframe.denominator = UInt32((request.framesPerSecond * 1000).rounded())
            _ = device.tryIoctl(CV4L2_VIDIOC_S_PARM, &parm)  // drivers without rate control refuse; not fatal
        }
        parm = v4l2_streamparm()
        parm.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        if device.tryIoctl(CV4L2_VIDIOC_G_PARM, &parm) == 0, parm.parm.capture.timeperframe.numerator > 0 {
            let interval = parm.parm.capture.timeperframe
            framesPerSecond = Double(interval.denominator) / Double(interval.numerator)
        } else {
            framesPerSecond = 0
        }

        // Buffers: memory-mapped, at least 3 so the driver always has one to fill.
        var buffers = v4l2_requestbuffers()
        buffers.count = UInt32(max(3, request.bufferCount))
        buffers.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        buffers.memory = CV4L2_MEMORY_MMAP
        try device.ioctl(CV4L2_VIDIOC_REQBUFS, &buffers, "VIDIOC_REQBUFS")
        guard buffers.count >= 3 else {
            throw CaptureError.unsupportedFormat(path, detail: "the driver granted only \(buffers.count) buffers (3 needed)")
        }
        bufferCount = Int(buffers.count)
        ring = FrameBufferRing(width: width, height: height)

        for index in 0..<buffers.count {
            var buffer = v4l2_buffer()
            buffer.index = index
            buffer.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
            buffer.memory = CV4L2_MEMORY_MMAP
            try device.ioctl(CV4L2_VIDIOC_QUERYBUF, &buffer, "VIDIOC_QUERYBUF")
            let address = cv4l2_mmap(Int(buffer.length), device.fd, Int64(cv4l2_buffer_offset(&buffer)))
            guard let address, cv4l2_map_failed(address) == 0 else {
                throw CaptureError.deviceFailure(path, operation: "mmap", message: errnoMessage(errno))
            }
            mappings.append((address, Int(buffer.length)))
            try device.ioctl(CV4L2_VIDIOC_QBUF, &buffer, "VIDIOC_QBUF")
        }
        var type = Int32(CV4L2_BUF_TYPE_VIDEO_CAPTURE)
        try device.ioctl(CV4L2_VIDIOC_STREAMON, &type, "VIDIOC_STREAMON")
        streaming = true
    }

    deinit { close() }

    public var description: String {
        let rate = framesPerSecond > 0 ? String(format: " @ %g fps", framesPerSecond) : ""
        return "\(path) (\(card), \(width)x\(height) RGB24\(rate), \(bufferCount) buffers)"
    }

    public func nextFrame() throws -> Frame? {
        while true {
            if cancellation.isRaised { return nil }
            let ready = cv4l2_wait_readable(device.fd, 100)
            if ready == 0 { continue }
            if ready < 0 { throw device.error(for: errno, operation: "poll", frames: framesDelivered) }

            var buffer = v4l2_buffer()
            buffer.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
            buffer.memory = CV4L2_MEMORY_MMAP
            if device.tryIoctl(CV4L2_VIDIOC_DQBUF, &buffer) != 0 {
                let code = errno
                if code == EAGAIN { continue }
                throw device.error(for: code, operation: "VIDIOC_DQBUF", frames: framesDelivered)
            }
            let frame = copyOut(buffer)
            if device.tryIoctl(CV4L2_VIDIOC_QBUF, &buffer) != 0 {
                throw device.error(for: errno, operation: "VIDIOC_QBUF", frames: framesDelivered)
            }
            if let frame { return frame }
            // A corrupt or short buffer (flagged by the driver) is skipped, as players do.
        }
    }

    private func copyOut(_ buffer: v4l2_buffer) -> Frame? {
        let bytes = width * height * 3
        guard buffer.flags & CV4L2_BUF_FLAG_ERROR == 0, Int(buffer.index) < mappings.count,
              Int(buffer.bytesused) >= bytes || buffer.bytesused == 0 else { return nil }
        let source = mappings[Int(buffer.index)].address
        let image = ring.fill { $0.baseAddress!.copyMemory(from: source, byteCount: bytes) }

        let sequence = Int(buffer.sequence)
        if firstSequence == nil { firstSequence = sequence }
        let stamp = Double(buffer.timestamp.tv_sec) + Double(buffer.timestamp.tv_usec) * 1e-6
        let monotonic = buffer.flags & CV4L2_BUF_FLAG_TIMESTAMP_MASK == CV4L2_BUF_FLAG_TIMESTAMP_MONOTONIC && stamp > 0
        let captureTime = monotonic ? stamp : MonotonicClock.now()
        if firstTimestamp == nil { firstTimestamp = captureTime }
        framesDelivered += 1
        return Frame(index: sequence - firstSequence!, time: captureTime - firstTimestamp!, image: image,
                     captureTime: captureTime)
    }

    public func cancel() { cancellation.raise() }

    /// Stops streaming, unmaps the buffers and closes the device. Safe after an unplug and when called twice.
    public func close() {
        guard device.fd >= 0 else { return }
        if streaming {
            var type = Int32(CV4L2_BUF_TYPE_VIDEO_CAPTURE)
            _ = device.tryIoctl(CV4L2_VIDIOC_STREAMOFF, &type)
            streaming = false
        }
        for mapping in mappings { _ = cv4l2_munmap(mapping.address, mapping.length) }
        mappings.removeAll()
        var release = v4l2_requestbuffers()
        release.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        release.memory = CV4L2_MEMORY_MMAP
        _ = device.tryIoctl(CV4L2_VIDIOC_REQBUFS, &release)
        device.close()
    }
}
