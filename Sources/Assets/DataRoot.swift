// Where emonet's data lives (the shipped model and the run-time assets): the one place that knows the
// installed and the checkout layouts, found from the executable's own location so that neither the working
// directory nor a system package decides it.
//   installed  <prefix>/bin/emonet                        → <prefix>/share/emonet/{models,assets}
//   checkout   <repo>/.build*/<triple>/<config>/emonet     → <repo>/{models,assets}  (the folder holding
//              Package.swift above the .build* folder the executable was built into; test bundles too)
// Paths inside a root are the same in both: "models/emonet.safetensors", "assets/cascades/<name>.xml".
import Foundation

/// Finds the folders that hold emonet's data for a given executable.
public enum DataRoot {
    /// The shipped emotion model inside a data root (and in a checkout's working directory).
    public static let shippedModel = "models/emonet.safetensors"
    /// The shipped face verifier (the false-face check after the cascade) inside a data root.
    public static let shippedVerifier = "models/face-verifier.safetensors"

    /// The installed data folder, relative to the executable's folder.
    public static let installedRelativePath = "../share/emonet"

    /// The running executable, symlinks resolved (/proc/self/exe on Linux).
    public static var executable: URL {
        #if os(Linux)
        return URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        #else
        return URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        #endif
    }

    /// The data roots for an executable at `executable`, most specific first: the installed
    /// `<exe dir>/../share/emonet` when that folder exists, then the checkout whose `.build*` folder holds the
    /// executable (the folder above it with a Package.swift). Empty when neither layout fits.
    public static func candidates(executable: URL) -> [URL] {
        let fileManager = FileManager.default
        let folder = executable.deletingLastPathComponent()
        var roots: [URL] = []
        let installed = folder.appendingPathComponent(installedRelativePath).standardizedFileURL
        var isDirectory: ObjCBool = false
        if fileManager.fileExists(atPath: installed.path, isDirectory: &isDirectory), isDirectory.boolValue {
            roots.append(installed)
        }
        var url = folder
        while url.path != "/" && !url.path.isEmpty {
            if url.lastPathComponent.hasPrefix(".build") {
                let checkout = url.deletingLastPathComponent()
                if fileManager.fileExists(atPath: checkout.appendingPathComponent("Package.swift").path) {
                    roots.append(checkout)
                }
                break
            }
            url.deleteLastPathComponent()
        }
        return roots
    }

    /// The first data root of `executable` that holds `relativePath` (e.g. "assets/cascades/x.xml"), as a
    /// path; nil when none does.
    public static func find(_ relativePath: String, executable: URL = DataRoot.executable) -> String? {
        for root in candidates(executable: executable) {
            let path = root.appendingPathComponent(relativePath).path
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return nil
    }
}
