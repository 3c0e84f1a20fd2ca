// Where cascade files live on disk: the one place that knows Debian's default path, and the thin
// file-reading helper around the pure HaarCascade(xml:) parser. Other commands reuse both.
import Foundation

/// Finds and loads cascade files.
public enum CascadeLocator {
    /// Debian's `opencv-data` frontal face cascade (installed by `make deps`).
    public static let defaultFrontalFacePath = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"

    /// The path to use: the given one, else `$EMONET_CASCADE`, else the Debian default.
    public static func resolve(_ path: String?) -> String {
        if let path, !path.isEmpty { return path }
        if let env = ProcessInfo.processInfo.environment["EMONET_CASCADE"], !env.isEmpty { return env }
        return defaultFrontalFacePath
    }

    /// Reads and parses a cascade file; errors name the file.
    public static func load(path: String?) throws -> HaarCascade {
        let resolved = resolve(path)
        guard let data = FileManager.default.contents(atPath: resolved) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory)
            let reason = !exists ? (path == nil ? "no such file (install Debian's opencv-data, or pass --cascade)" : "no such file")
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
