// What every benchmark needs, written once: its error, timing runs and their median, the photos of a
// media folder, child processes, and its JSON results, which are written as every output of the project
// is (SafeOutput's AtomicFile: staged beside the target, flushed, renamed), so an interrupted or failing
// bench leaves its previous results whole. A bench replaces its own earlier results and nothing else.
import Dispatch
import Foundation
import Imaging
import SafeOutput

/// A benchmark that cannot run or whose reference disagrees: one line for the user.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

// MARK: - Timing

/// Seconds `body` took.
func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// `repeats` timings of `body` in seconds, after `warmup` untimed runs.
func timedRuns(repeats: Int, warmup: Int, _ body: () -> Void) -> [Double] {
    for _ in 0..<warmup { body() }
    return (0..<repeats).map { _ in seconds(body) }
}

/// The median (the mean of the middle two for an even count).
func median(_ values: [Double]) -> Double {
    let s = values.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

// MARK: - Inputs

/// The .jpg and .png photos of `folder`, sorted by name.
func listPhotos(in folder: String) throws -> [String] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        .filter { $0.hasSuffix(".jpg") || $0.hasSuffix(".png") }
    guard !names.isEmpty else { throw BenchError("no .jpg/.png photos in \(folder)") }
    return names
}

/// `image` scaled to fit 640x480 with its shape kept (the benches' photo size for recall).
func fittedTo640x480(_ image: GrayImage) -> GrayImage {
    let s = min(640 / Double(image.width), 480 / Double(image.height))
    return image.resizedBilinear(width: max(1, Int((Double(image.width) * s).rounded())),
                                 height: max(1, Int((Double(image.height) * s).rounded())))
}

// MARK: - Child processes

/// Runs `executable` with `arguments` and returns its standard output; a non-zero exit is an error naming
/// the command. `standardError` nil: the child's errors go to ours.
@discardableResult
func runChild(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
              standardError: Any? = nil) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    if let environment { process.environment = environment }
    let pipe = Pipe()
    process.standardOutput = pipe
    if let standardError { process.standardError = standardError }
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw BenchError("\(URL(fileURLWithPath: executable).lastPathComponent) \(arguments.prefix(3).joined(separator: " ")) failed with status \(process.terminationStatus)")
    }
    return data
}

/// The environment that makes a child see the emulated V4L2 camera (Tests/V4L2Emulator, preloaded) at
/// `device`, streaming the raw YUYV 640x480 `frames` at 30 fps.
func emulatedCameraEnvironment(library: String, device: String, frames: String) -> [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["LD_PRELOAD"] = library
    environment["EMONET_EMU_DEVICE"] = device
    environment["EMONET_EMU_FRAMES"] = frames
    environment["EMONET_EMU_SIZE"] = "640x480"
    environment["EMONET_EMU_FPS"] = "30"
    return environment
}

// MARK: - Results

/// A bench's report with its own file: the file starts with the bench's `format` name and the report's
/// `version` (what `BenchResults.checkReplaceable` reads), then the report's fields, all at the top level.
protocol BenchReport: Encodable {
    static var format: String { get }
    /// Raised when the report's fields change meaning.
    static var version: Int { get }
}

extension BenchReport {
    static var version: Int { 1 }
}

/// Encodes a report with its format and version beside its own fields.
private struct HeadedReport<Report: BenchReport>: Encodable {
    var report: Report
    private enum Keys: String, CodingKey { case format, version }

    func encode(to encoder: Encoder) throws {
        var header = encoder.container(keyedBy: Keys.self)
        try header.encode(Report.format, forKey: .format)
        try header.encode(Report.version, forKey: .version)
        try report.encode(to: encoder)
    }
}

/// A bench's JSON results file.
enum BenchResults {
    /// Writes `report`, headed by its format and version, as `write(_:to:format:)` does, replacing only an
    /// earlier report of the same format.
    static func write<Report: BenchReport>(report: Report, to path: String) throws {
        try write(HeadedReport(report: report), to: path, format: Report.format)
    }

    /// Writes `value` as pretty-printed JSON with sorted keys to `path` (its folder created), atomically.
    /// An existing file is replaced only when it is this bench's own: with `format`, a JSON object whose
    /// "format" is `format`; without, the bench's fixed file under bench-results/ (pass no user path then).
    static func write<T: Encodable>(_ value: T, to path: String, format: String? = nil) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(value)
        if let format { try checkReplaceable(path, format: format) }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicFile.write(json, to: path)
    }

    /// Throws unless `path` is free or holds an earlier result of `format` (benches with --out check this
    /// before any work, so a wrong --out costs nothing).
    static func checkReplaceable(_ path: String, format: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        let existing = (try? Data(contentsOf: URL(fileURLWithPath: path)))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        guard existing?["format"] as? String == format else {
            throw BenchError("\(path) exists and is not an earlier \(format) result; it was not replaced (choose another --out)")
        }
    }
}
