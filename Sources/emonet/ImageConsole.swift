// How the image commands (`detect`, `classify`) report on the console: one heading line per image,
// and with --json the whole run's reports as one pretty JSON document. One place, so that both
// commands (and detect's two searches) print alike.
import Foundation
import Imaging

enum ImageConsole {
    /// "photo.jpg: 640x480, 2 faces".
    static func heading(path: String, image: RGBImage, faces: Int) -> String {
        "\(path): \(image.width)x\(image.height), \(faces) face\(faces == 1 ? "" : "s")"
    }

    /// Prints `reports` as indented JSON with sorted keys and unescaped slashes (the --json format).
    static func printJSON<Reports: Encodable>(_ reports: Reports) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(reports), as: UTF8.self))
    }
}
