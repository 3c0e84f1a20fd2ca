// A YUV4MPEG2 (.y4m) file as a FrameSource, read natively: the header's size, rate and chroma layout,
// then "FRAME" records converted to RGB24 (BT.601, limited range, as FFmpeg writes them).
// Invariants: the header is fully validated before the first frame; a truncated last frame ends the
// stream with an error naming the file and frame; with `paced` frames are released at the file's rate.
import Foundation
import Frames
import Imaging

public final class Y4MFileSource: FrameSource, @unchecked Sendable {
    public let path: String
    public let width: Int
    public let height: Int
    public let framesPerSecond: Double
    /// "420jpeg", "422", "444", "mono", ...
    public let chroma: String
    /// The header's pixel aspect ("A"): square when absent, unknown (A0:0) or 1:1. Frames are read as
    /// stored, so a file with other pixels is opened through FFmpeg (VideoFile), which makes them square.
    public let hasSquarePixels: Bool

    private let handle: FileHandle
    private let paced: Bool
    private let chromaWidth: Int
    private let chromaHeight: Int
    /// Bytes of one frame's planes (Y, then Cb and Cr).
    private let frameBytes: Int
    private var planes: [UInt8]
    private var ring: FrameBufferRing<RGBImage>?
    private var index = 0
    private var pacer = FramePacer()
    private let cancellation = CancellationFlag()
    private var pending = [UInt8]()  // bytes read past a header line

    /// Opens `path` and reads its header. `paced`: deliver frames at the file's rate, as a camera would.
    /// The largest width or height accepted (16K video is 15360 wide).
    public static let maximumSide = 16_384

    public init(path: String, paced: Bool = true) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CaptureError.unreadableFile(path, reason: FileManager.default.fileExists(atPath: path)
                                              ? "permission denied" : "no such file")
        }
        self.handle = handle
        self.paced = paced
        var reader = LineReader(handle: handle)
        guard let header = reader.line(limit: 1024), header.hasPrefix("YUV4MPEG2 ") else {
            throw CaptureError.unreadableFile(path, reason: "not a YUV4MPEG2 file (no YUV4MPEG2 header)")
        }
        var w = 0, h = 0, fps = 0.0, chroma = "420jpeg", square = true
        for token in header.split(separator: " ").dropFirst() {
            let value = token.dropFirst()
            switch token.first {
            case "W": w = Int(value) ?? 0
            case "H": h = Int(value) ?? 0
            case "F":
                let parts = value.split(separator: ":").compactMap { Double($0) }
                if parts.count == 2, parts[1] > 0 { fps = parts[0] / parts[1] }
            case "C": chroma = String(value)
            case "A":
                let parts = value.split(separator: ":").compactMap { Int($0) }
                square = parts.count != 2 || parts[0] == parts[1] || parts[0] <= 0 || parts[1] <= 0
            default: break
            }
        }
        guard w > 0, h > 0 else { throw CaptureError.unreadableFile(path, reason: "header has no valid W/H: \(header)") }
        // Frame buffers are allocated from W and H: a damaged header once asked for terabytes (found by make fuzz).
        guard w <= Self.maximumSide, h <= Self.maximumSide else {
            throw CaptureError.unreadableFile(path, reason: "frame size \(w)x\(h) is over the \(Self.maximumSide)-pixel limit per side")
        }
        let (cw, ch): (Int, Int)
        switch chroma {
        case "420jpeg", "420paldv", "420mpeg2", "420": (cw, ch) = ((w + 1) / 2, (h + 1) / 2)
        case "422": (cw, ch) = ((w + 1) / 2, h)
        case "444": (cw, ch) = (w, h)
        case "mono": (cw, ch) = (0, 0)
        default:
            throw CaptureError.unreadableFile(path, reason: "chroma layout C\(chroma) is not supported (420, 422, 444, mono are)")
        }
        width = w
        height = h
        framesPerSecond = fps
        self.chroma = chroma
        hasSquarePixels = square
        chromaWidth = cw
        chromaHeight = ch
        frameBytes = w * h + 2 * cw * ch  // at most 3 * 16384², no overflow
        // The buffers are allocated with the first frame, once the file is known to hold one: a header of a
        // few bytes may declare a 16384x16384 frame (1.2 GB of buffers) with nothing behind it.
        planes = []
        ring = nil
        pending = reader.leftover
    }

    deinit { try? handle.close() }

    public var description: String {
        "\(path) (\(width)x\(height) YUV4MPEG2 C\(chroma) @ \(String(format: "%g", framesPerSecond)) fps)"
    }

    public func nextFrame() throws -> Frame? {
        if cancellation.isRaised { return nil }
        var reader = LineReader(handle: handle, leftover: pending)
        guard let marker = reader.line(limit: 4096) else { return nil }  // clean end of file
        guard marker.hasPrefix("FRAME") else {
            throw CaptureError.unreadableFile(path, reason: "frame \(index): expected FRAME, found \(marker.prefix(20))")
        }
        if ring == nil {
            if let available = bytesLeft(after: reader.leftover.count), available < frameBytes {
                throw CaptureError.unreadableFile(path, reason: "frame \(index) is truncated: the header declares \(width)x\(height) frames of \(frameBytes) bytes, the file holds \(available) more")
            }
            planes = [UInt8](repeating: 0, count: frameBytes)
            ring = FrameBufferRing(width: width, height: height, count: FrameBufferRing<RGBImage>.fileSourceCount)
        }
        let got = reader.read(into: &planes)
        pending = reader.leftover
        guard got == planes.count else {
            throw CaptureError.unreadableFile(path, reason: "frame \(index) is truncated (\(got) of \(planes.count) bytes)")
        }
        let image = ring!.fill { out in convertToRGB(out.bindMemory(to: UInt8.self)) }
        let time = pacer.time(ofFrame: index, framesPerSecond: framesPerSecond, paced: paced)
        defer { index += 1 }
        return Frame(index: index, time: time, image: image)
    }

    /// The bytes a regular file still holds past the read position, plus `buffered` already read ahead;
    /// nil for a pipe or device, whose length is not known in advance.
    private func bytesLeft(after buffered: Int) -> Int? {
        var info = stat()
        let fd = handle.fileDescriptor
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let position = lseek(fd, 0, SEEK_CUR)
        guard position >= 0 else { return nil }
        return max(0, Int(info.st_size) - Int(position)) + buffered
    }

    /// Planar Y'CbCr (BT.601 limited range) to interleaved RGB, fixed point with 16 fractional bits.
    private func convertToRGB(_ out: UnsafeMutableBufferPointer<UInt8>) {
        let w = width, h = height, cw = chromaWidth, ch = chromaHeight
        let sx = cw == 0 ? 0 : (cw == w ? 0 : 1), sy = ch == h ? 0 : 1
        planes.withUnsafeBufferPointer { p in
            let y0 = p.baseAddress!, u0 = y0 + w * h, v0 = u0 + cw * ch
            for y in 0..<h {
                for x in 0..<w {
                    let c = (Int(y0[y * w + x]) - 16) * 76309  // 1.164 * 65536
                    var r = c, g = c, b = c
                    if cw > 0 {
                        let k = (y >> sy) * cw + (x >> sx)
                        let u = Int(u0[k]) - 128, v = Int(v0[k]) - 128
                        r += 104597 * v              // 1.596
                        g -= 25675 * u + 53279 * v   // 0.392, 0.813
                        b += 132201 * u              // 2.017
                    }
                    let o = (y * w + x) * 3
                    out[o] = UInt8(clamping: (r + 32768) >> 16)
                    out[o + 1] = UInt8(clamping: (g + 32768) >> 16)
                    out[o + 2] = UInt8(clamping: (b + 32768) >> 16)
                }
            }
        }
    }

    public func cancel() { cancellation.raise() }

    public func close() { try? handle.close() }
}

/// Reads header lines and then raw bytes from a FileHandle without losing what was read ahead.
struct LineReader {
    let handle: FileHandle
    private(set) var leftover: [UInt8]

    init(handle: FileHandle, leftover: [UInt8] = []) {
        self.handle = handle
        self.leftover = leftover
    }

    /// The next line without its newline, or nil at end of file (or a line longer than `limit`).
    mutating func line(limit: Int) -> String? {
        while true {
            if let newline = leftover.firstIndex(of: 0x0A) {
                let text = String(decoding: leftover[..<newline], as: UTF8.self)
                leftover.removeSubrange(...newline)
                return text
            }
            if leftover.count > limit { return nil }
            guard let more = try? handle.read(upToCount: 4096), !more.isEmpty else { return nil }
            leftover.append(contentsOf: more)
        }
    }

    /// Fills `buffer` from the leftover bytes and then the file; returns the number of bytes filled.
    mutating func read(into buffer: inout [UInt8]) -> Int {
        let fromLeftover = min(leftover.count, buffer.count)
        buffer.replaceSubrange(0..<fromLeftover, with: leftover[0..<fromLeftover])
        leftover.removeSubrange(0..<fromLeftover)
        var filled = fromLeftover
        let fd = handle.fileDescriptor
        buffer.withUnsafeMutableBytes { raw in
            while filled < raw.count {
                let n = Foundation.read(fd, raw.baseAddress! + filled, raw.count - filled)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                filled += n
            }
        }
        return filled
    }
}
