// A recorded session as a FrameSource, so a replay runs the live path on exactly the stored frames:
// same frame indices, timestamps and (JPEG-decoded) pixels as the live run processed.
// Invariants: frames come in recorded order; a damaged record ends the stream with SessionError.damaged
// naming the record (the frames before it were delivered); an interrupted recording (incomplete last
// record) simply ends; with `paced` frames are released at their recorded times.
import Foundation
import Frames
import ImageIO
import Imaging

public final class SessionSource: FrameSource, @unchecked Sendable {
    public let directory: String
    public let manifest: SessionManifest
    private let reader: FrameStoreReader
    private let paced: Bool
    private let cancellation = CancellationFlag()
    private var start: (wall: Double, time: Double)?
    /// Frames delivered so far.
    public private(set) var framesRead = 0

    /// Opens the session in `directory`; `paced` releases frames at their recorded times (--realtime).
    public init(directory: String, paced: Bool = false) throws {
        self.directory = directory
        manifest = try SessionManifest.read(directory: directory)
        reader = try FrameStoreReader(directory: directory)
        self.paced = paced
    }

    /// Whether `path` looks like a session directory (holds session.json).
    public static func isSession(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
            && FileManager.default.fileExists(atPath: (path as NSString).appendingPathComponent(SessionFiles.manifest))
    }

    public var description: String {
        String(format: "session %@ (%dx%d, %@, recorded from %@)", directory, width, height,
               manifest.state.rawValue, manifest.source.description)
    }
    public var width: Int { manifest.source.width }
    public var height: Int { manifest.source.height }
    public var framesPerSecond: Double { manifest.source.framesPerSecond }
    /// Frames the index lists (the replay's progress total), counted from the index file's size.
    public var frameCountEstimate: Int {
        let path = (directory as NSString).appendingPathComponent(SessionFiles.index)
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return max(0, (size - 16) / FrameRecord.size)
    }

    public func nextFrame() throws -> Frame? {
        if cancellation.isRaised { return nil }
        guard let (record, jpeg) = try reader.next() else { return nil }
        let image: RGBImage
        do {
            image = try JPEG.decode(jpeg)
        } catch {
            throw SessionError.damaged(directory, frame: reader.recordsRead - 1, reason: "JPEG does not decode")
        }
        guard image.width == record.width, image.height == record.height else {
            throw SessionError.damaged(directory, frame: reader.recordsRead - 1,
                                       reason: "image is \(image.width)x\(image.height), index says \(record.width)x\(record.height)")
        }
        if paced {
            let now = MonotonicClock.now()
            if start == nil { start = (now, record.time) }
            let wait = start!.wall + (record.time - start!.time) - now
            if wait > 0 { Thread.sleep(forTimeInterval: min(wait, 5)) }
        }
        framesRead += 1
        return Frame(index: record.frameIndex, time: record.time, image: image, jpeg: jpeg)
    }

    public func cancel() { cancellation.raise() }

    public func close() { reader.close() }
}
