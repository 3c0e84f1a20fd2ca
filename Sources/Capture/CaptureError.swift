// Every way capture can fail, as one line that names the device or file and says what to do.
import Foundation

public enum CaptureError: Error, LocalizedError, Equatable {
    case noDevices(searched: String)
    case noSuchDevice(String)
    case permissionDenied(String)
    case busy(String)
    case notACaptureDevice(String, reason: String)
    case unsupportedFormat(String, detail: String)
    case disconnected(String, afterFrames: Int, errnoName: String)
    case deviceFailure(String, operation: String, message: String)
    case unreadableFile(String, reason: String)
    case ffmpegMissing(String)
    case decoderFailed(String, message: String)

    public var errorDescription: String? {
        switch self {
        case .noDevices(let searched):
            return "no video capture device found (looked at \(searched)); use --input VIDEO to read a video file"
        case .noSuchDevice(let path):
            return "no video device at \(path) (run `emonet devices` to list cameras)"
        case .permissionDenied(let path):
            return "permission denied opening \(path): add your user to the 'video' group (sudo usermod -aG video $USER) and log in again"
        case .busy(let path):
            return "\(path) is busy: another program is using the camera"
        case .notACaptureDevice(let path, let reason):
            return "\(path) is not a video capture device (\(reason))"
        case .unsupportedFormat(let path, let detail):
            return "unsupported format on \(path): \(detail)"
        case .disconnected(let path, let frames, let name):
            return "camera \(path) was disconnected after \(frames) frames (\(name))"
        case .deviceFailure(let path, let operation, let message):
            return "\(path): \(operation) failed: \(message)"
        case .unreadableFile(let path, let reason):
            return "cannot read video \(path): \(reason)"
        case .ffmpegMissing(let path):
            return "cannot read \(path): only .y4m video is read natively; install FFmpeg (apt-get install ffmpeg) for other formats"
        case .decoderFailed(let path, let message):
            return "ffmpeg could not decode \(path): \(message)"
        }
    }
}

/// The symbolic name of an errno value ("ENODEV") for messages.
func errnoName(_ code: Int32) -> String {
    switch code {
    case ENODEV: return "ENODEV"
    case EIO: return "EIO"
    case EBUSY: return "EBUSY"
    case EACCES: return "EACCES"
    case ENOENT: return "ENOENT"
    case EINVAL: return "EINVAL"
    case ENXIO: return "ENXIO"
    default: return "errno \(code)"
    }
}

/// strerror as a Swift string.
func errnoMessage(_ code: Int32) -> String { String(cString: strerror(code)) }
