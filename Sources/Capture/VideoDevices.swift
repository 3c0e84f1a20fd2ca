// Lists V4L2 capture devices: path, card, driver, and per native pixel format the sizes and rates offered.
// Formats libv4l2 only emulates (flagged EMULATED) are left out: every listed format is converted to RGB24.
import CV4L2
import Foundation

/// One capture device as `emonet devices` shows it.
public struct VideoDeviceInfo: Sendable, Equatable {
    public struct FrameSize: Sendable, Equatable {
        public var width: Int
        public var height: Int
        /// Discrete rates in frames per second (empty when the driver reports a range).
        public var framesPerSecond: [Double]
        /// True when the driver offers a continuous or stepwise range up to this size.
        public var isRangeMaximum: Bool
    }

    public struct Format: Sendable, Equatable {
        public var fourcc: String
        public var description: String
        public var sizes: [FrameSize]
    }

    public var path: String
    public var card: String
    public var driver: String
    public var busInfo: String
    public var formats: [Format]

    /// Several lines: the device, then one line per format and size.
    public var summary: String {
        var lines = ["\(path): \(card) (driver \(driver), \(busInfo))"]
        for format in formats {
            lines.append("  \(format.fourcc) \(format.description)")
            for size in format.sizes {
                let rates = size.framesPerSecond.map { String(format: "%g", $0) }.joined(separator: ", ")
                let what = size.isRangeMaximum ? "up to \(size.width)x\(size.height)" : "\(size.width)x\(size.height)"
                lines.append("    \(what)" + (rates.isEmpty ? "" : " @ \(rates) fps"))
            }
        }
        return lines.joined(separator: "\n")
    }
}

public enum VideoDevices {
    /// /dev/video* in numeric order (video2 before video10).
    public static func candidatePaths(directory: String = "/dev") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
            .map { "\(directory)/\($0)" }
    }

    /// Each candidate path that is a capture device, or the error that kept it from being described
    /// (busy, permission denied); nodes that are not capture devices (metadata nodes) are left out.
    public static func survey(paths: [String]? = nil) -> [(path: String, result: Result<VideoDeviceInfo, CaptureError>)] {
        (paths ?? candidatePaths()).compactMap { path in
            do {
                return (path, .success(try describe(path: path)))
            } catch CaptureError.notACaptureDevice {
                return nil
            } catch let error as CaptureError {
                return (path, .failure(error))
            } catch {
                return (path, .failure(.deviceFailure(path, operation: "open", message: error.localizedDescription)))
            }
        }
    }

    /// The capture devices that could be described.
    public static func list(paths: [String]? = nil) -> [VideoDeviceInfo] {
        survey(paths: paths).compactMap { try? $0.result.get() }
    }

    /// The first usable capture device. With none, the first device's own error (busy, permission denied),
    /// or `CaptureError.noDevices` when there is no capture device at all.
    public static func firstCaptureDevice() throws -> String {
        let found = survey()
        if let usable = found.first(where: { (try? $0.result.get()) != nil }) { return usable.path }
        if let first = found.first, case .failure(let error) = first.result { throw error }
        let paths = candidatePaths()
        throw CaptureError.noDevices(searched: paths.isEmpty ? "/dev/video*" : paths.joined(separator: ", "))
    }

    /// One device's capabilities and formats; throws when it cannot be opened or does not capture video.
    public static func describe(path: String) throws -> VideoDeviceInfo {
        let device = try V4L2Device(path: path)
        defer { device.close() }
        let caps = try device.captureCapabilities()
        guard caps.canCapture else {
            throw CaptureError.notACaptureDevice(path, reason: "no video capture capability")
        }
        var formats: [VideoDeviceInfo.Format] = []
        var request = v4l2_fmtdesc()
        request.type = CV4L2_BUF_TYPE_VIDEO_CAPTURE
        device.enumerate(CV4L2_VIDIOC_ENUM_FMT, request) { desc in
            if desc.flags & CV4L2_FMT_FLAG_EMULATED == 0 {
                formats.append(.init(fourcc: fourccString(desc.pixelformat), description: fixedString(desc.description),
                                     sizes: sizes(device, pixelFormat: desc.pixelformat)))
            }
            return true
        }
        return VideoDeviceInfo(path: path, card: caps.cardName, driver: caps.driverName, busInfo: caps.busInfo,
                               formats: formats)
    }

    private static func sizes(_ device: V4L2Device, pixelFormat: UInt32) -> [VideoDeviceInfo.FrameSize] {
        var result: [VideoDeviceInfo.FrameSize] = []
        var request = v4l2_frmsizeenum()
        request.pixel_format = pixelFormat
        device.enumerate(CV4L2_VIDIOC_ENUM_FRAMESIZES, request) { size in
            var width: UInt32 = 0, height: UInt32 = 0
            let discrete = cv4l2_frmsize_discrete(&size, &width, &height) != 0
            if !discrete { cv4l2_frmsize_max(&size, &width, &height) }
            result.append(.init(width: Int(width), height: Int(height),
                                framesPerSecond: rates(device, pixelFormat: pixelFormat, width: width, height: height),
                                isRangeMaximum: !discrete))
            return discrete  // a range is reported once
        }
        return result
    }

    private static func rates(_ device: V4L2Device, pixelFormat: UInt32, width: UInt32, height: UInt32) -> [Double] {
        var result: [Double] = []
        var request = v4l2_frmivalenum()
        request.pixel_format = pixelFormat
        request.width = width
        request.height = height
        device.enumerate(CV4L2_VIDIOC_ENUM_FRAMEINTERVALS, request, limit: 64) { interval in
            let fps = cv4l2_frmival_fps(&interval)
            if fps > 0 { result.append(fps) }
            return fps > 0
        }
        return result
    }
}
