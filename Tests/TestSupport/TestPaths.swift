// Where tests find the repository and the optional ../shared data; tests that need
// ../shared call `sharedFile` and are skipped with a clear message when it is absent.
import Foundation
import XCTest

public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
                return url
            }
        }
        fatalError("TestPaths: no Package.swift above \(#filePath)")
    }()

    /// `../shared` beside the checkout, or `$EMONET_SHARED` when set.
    public static var sharedRoot: URL {
        if let env = ProcessInfo.processInfo.environment["EMONET_SHARED"] { return URL(fileURLWithPath: env) }
        return repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// A file under ../shared, or an XCTSkip naming it when it is not there (a user's fresh clone).
    public static func sharedFile(_ relativePath: String) throws -> URL {
        let url = sharedRoot.appendingPathComponent(relativePath)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("needs \(url.path) (../shared is only present on the developers' machines)")
        }
        return url
    }

    /// The frontal face cascade emonet ships (assets/cascades/, OpenCV's file byte for byte): tests need no
    /// opencv-data for it.
    public static var frontalFaceCascade: String {
        repositoryRoot.appendingPathComponent("assets/cascades/haarcascade_frontalface_default.xml").path
    }

    /// A fresh empty temporary directory, removed by the caller's tearDown if it wants.
    public static func temporaryDirectory(_ name: String = "emonet-test") -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(name)-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `text` (UTF-8) to the file `name` in `directory`, replacing it, and returns its path.
    @discardableResult
    public static func write(_ text: String, named name: String, in directory: URL) -> String {
        let path = directory.appendingPathComponent(name).path
        FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }
}
