// Where cascade files live on disk: the one place that knows the cascades emonet ships in assets/cascades/
// (found beside the executable through DataRoot, installed or in a checkout) and Debian's opencv-data path as
// the last resort, and the thin file-reading helper around the pure HaarCascade(xml:) parser.
import Assets
import Foundation

/// Finds and loads cascade files.
public enum CascadeLocator {
    /// The cascades emonet ships under assets/cascades/ (OpenCV's, see assets/cascades/README.md).
    public enum Bundled: String, CaseIterable, Sendable {
        case frontalFaceDefault = "haarcascade_frontalface_default.xml"
        case frontalFaceAlt2 = "haarcascade_frontalface_alt2.xml"
        case profileFace = "haarcascade_profileface.xml"

        /// The path inside a data root.
        public var relativePath: String { "assets/cascades/\(rawValue)" }
    }

    /// Debian's `opencv-data` frontal face cascade: used only when no data root holds the bundled copy.
    public static let debianFrontalFacePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    /// A bundled cascade's path for the executable at `executable`, nil when no data root holds it.
    public static func bundledPath(_ cascade: Bundled, executable: URL = DataRoot.executable) -> String? {
        DataRoot.find(cascade.relativePath, executable: executable)
    }

    /// The default frontal face cascade: the bundled copy (installed or in the checkout), else Debian's.
    public static func defaultFrontalFacePath(executable: URL) -> String {
        bundledPath(.frontalFaceDefault, executable: executable) ?? debianFrontalFacePath
    }

    /// The default frontal face cascade for this executable (named in `--cascade` help).
    public static var defaultFrontalFacePath: String { defaultFrontalFacePath(executable: DataRoot.executable) }

    /// The path to use: the given one, else `$EMONET_CASCADE`, else the default frontal face cascade.
    public static func resolve(_ path: String?, executable: URL = DataRoot.executable) -> String {
        if let path, !path.isEmpty { return path }
        if let env = ProcessInfo.processInfo.environment["EMONET_CASCADE"], !env.isEmpty { return env }
        return defaultFrontalFacePath(executable: executable)
    }

    /// Reads and parses a cascade file; errors name the file.
    public static func load(path: String?, executable: URL = DataRoot.executable) throws -> HaarCascade {
        let resolved = resolve(path, executable: executable)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory)
            let defaulted = path == nil && ProcessInfo.processInfo.environment["EMONET_CASCADE"] == nil
            let reason = !exists ? (defaulted ? "no such file, and no \(Bundled.frontalFaceDefault.relativePath) beside emonet "
                                                + "(<prefix>/share/emonet/ or the checkout); pass --cascade or set $EMONET_CASCADE"
                                              : "no such file")
                                 : (isDirectory.boolValue ? "is a directory" : "permission denied")
            throw CascadeError.unreadableFile(path: resolved, reason: reason)
        }
        do {
            return try HaarCascade(xml: [UInt8](data))
        } catch let error as CascadeError {
            throw CascadeError.inFile(path: resolved, error)
        }
    }
}
