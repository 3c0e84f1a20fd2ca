// Seed corpora for the fuzz targets: small valid inputs made here (a tiny model, FER-2013 rows, a
// YUV4MPEG2 clip, PNG and JPEG images) or taken from Debian's opencv-data (cascades). Sessions are
// recorded by `make fuzz` with `emonet live --input` from the y4m seed, then joined into one input.
// Besides valid files, each target gets files whose headers lie (issue 17): a cascade nested deeper
// than the reader's limit and one with values near Int.max, a y4m header declaring a huge frame, a
// gzip CSV without its trailer, a session.json with settings out of range, PNG and JPEG headers
// declaring huge images, and safetensors offsets and architectures beyond the file.
import CZlib
import Emotion
import Foundation
import ImageIO
import Imaging
import NeuralNet
import Session

enum FuzzSeeds {
    static func write(_ target: FuzzTarget, into directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func save(_ name: String, _ bytes: [UInt8]) {
            FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
        }
        switch target {
        case .cascade:
            // The smaller cascades of each kind (HAAR stumps, HAAR trees, LBP); the big frontal-face one
            // is covered by the tests, and libFuzzer's length limit would cut it anyway.
            for path in ["haarcascades/haarcascade_licence_plate_rus_16stages.xml", "haarcascades/haarcascade_russian_plate_number.xml",
                         "lbpcascades/lbpcascade_frontalface_improved.xml", "lbpcascades/lbpcascade_profileface.xml"] {
                let full = "/usr/share/opencv4/" + path
                guard let data = FileManager.default.contents(atPath: full) else {
                    throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: full])
                }
                save((path as NSString).lastPathComponent, [UInt8](data))
            }
            let depth = 8000  // 56 KB, under make fuzz's -max_len
            save("deep.xml", Array(("<opencv_storage>" + String(repeating: "<_>", count: depth) + String(repeating: "</_>", count: depth)
                                    + "</opencv_storage>").utf8))
            save("huge-values.xml", Array(tinyCascade(rect: "9223372036854775807 0 4 2 -1.", leaf: "-9223372036854775808",
                                                      threshold: "1e300", categories: "9223372036854775807").utf8))
            save("tiny.xml", Array(tinyCascade(rect: "0 0 4 2 -1.", leaf: "-1", threshold: "0.0", categories: "0").utf8))
        case .model:
            var config = TrainingConfig()
            config.architecture = "tiny"
            config.epochs = 1
            config.batchSize = 7
            let data = FERDataset(pixels: (0..<(7 * 2304)).map { UInt8($0 % 251) }, labels: (0..<7).map(UInt8.init),
                                  splits: Array(repeating: .training, count: 7))
            let trainer = try Trainer(config: config, train: data, validation: data)
            save("tiny.safetensors", trainer.modelFile().encoded())
            // Files that lie, small enough for make fuzz's -max_len (the tiny model is 300 KB): data_offsets
            // far past the end, and an architecture of 134 million weights over no tensors at all.
            let metadata = ["format": ModelFile.format, "format_version": ModelFile.formatVersion,
                            "architecture": "{\"inputShape\":[1,48,48],\"layers\":[{\"type\":\"conv2d\",\"name\":\"c1\",\"inputChannels\":1,"
                                + "\"outputChannels\":2048,\"kernelSize\":8},{\"type\":\"conv2d\",\"name\":\"c2\",\"inputChannels\":2048,"
                                + "\"outputChannels\":4096,\"kernelSize\":4}]}"]
            save("huge-architecture.safetensors", SafeTensors(metadata: metadata).encoded())
            let header = Array("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,1099511627792]}}".utf8)
            var lying: [UInt8] = []
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { lying.append(contentsOf: $0) }
            save("lying-offsets.safetensors", lying + header + [UInt8](repeating: 0, count: 16))
        case .csv:
            let rows = (0..<3).map { i in
                "\(i * 3),\((0..<2304).map { String(($0 * 7 + i) % 256) }.joined(separator: " ")),\(["Training", "PublicTest", "PrivateTest"][i])"
            }
            save("three-rows.csv", Array(("emotion,pixels,Usage\n" + rows.joined(separator: "\n") + "\n").utf8))
            save("quoted.csv", Array(("emotion,pixels,Usage\r\n3,\"\((0..<2304).map { _ in "128" }.joined(separator: " "))\",Training\r\n").utf8))
            // gzip, whole and without its trailer (the reader must notice), and a line with no end.
            let gz = try gzip(Array(("emotion,pixels,Usage\n" + rows.joined(separator: "\n") + "\n").utf8), in: directory)
            save("three-rows.csv.gz", gz)
            save("no-trailer.csv.gz", Array(gz.dropLast(8)))
            save("no-line-end.csv", Array("emotion,pixels,Usage\n".utf8) + [UInt8](repeating: 0x37, count: 60_000))
        case .y4m:
            var clip = Array("YUV4MPEG2 W16 H16 F30:1 Ip A1:1 C420jpeg\n".utf8)
            for f in 0..<3 {
                clip += Array("FRAME\n".utf8)
                clip += (0..<(16 * 16 + 2 * 8 * 8)).map { UInt8(truncatingIfNeeded: $0 * 3 + f * 40) }
            }
            save("clip.y4m", clip)
            save("huge-frame.y4m", Array("YUV4MPEG2 W16384 H16384 F30:1 C444\nFRAME\nabc".utf8))
        case .session:
            // The recording is made by `make fuzz` (of the y4m seed); here, a manifest edited out of range.
            var manifest = SessionManifest(softwareVersion: "fuzz", source: .init(description: "seed", width: 16, height: 16, framesPerSecond: 30),
                                           model: FileFingerprint(path: "m", sha256: nil), cascade: FileFingerprint(path: "c", sha256: nil),
                                           settings: SessionSettings(detectEvery: 0, smoothing: 5, matchThreshold: 0, maxMissedFrames: -1,
                                                                     detector: "seed"),
                                           jpegQuality: 85)
            manifest.state = .completed
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let index = Array("EMONETFI".utf8) + [1, 0, 0, 0, 40, 0, 0, 0]
            save("out-of-range.session", Array(try encoder.encode(manifest)) + sessionSeparator + index + sessionSeparator + sessionSeparator)
        case .image:
            let rgb = RGBImage(width: 32, height: 24, pixels: (0..<(32 * 24 * 3)).map { UInt8(truncatingIfNeeded: $0 * 5) })
            save("gradient.png", try PNG.encode(rgb))
            save("gradient.jpg", try JPEG.encode(rgb))
            save("gray.png", try PNG.encode(GrayImage(width: 16, height: 16, pixels: (0..<256).map(UInt8.init))))
            // Headers declaring 16000x16000 over the data of a 32x24 image (the PNG's IHDR checksum fixed up).
            var png = try PNG.encode(rgb)
            for offset in [16, 20] { png[offset..<(offset + 4)] = [0, 0, 0x3E, 0x80] }
            let crc = png[12..<29].withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
            png[29..<33] = [UInt8(crc >> 24), UInt8(truncatingIfNeeded: crc >> 16), UInt8(truncatingIfNeeded: crc >> 8), UInt8(truncatingIfNeeded: crc)]
            save("huge.png", png)
            var jpeg = try JPEG.encode(rgb)
            if let sof = (0..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) {
                for offset in [sof + 5, sof + 7] { jpeg[offset] = 0x3E; jpeg[offset + 1] = 0x80 }
                save("huge.jpg", jpeg)
            }
        }
    }

    /// A one-stump HAAR cascade in a 4x4 window with the given values.
    static func tinyCascade(rect: String, leaf: String, threshold: String, categories: String) -> String {
        """
        <?xml version="1.0"?>
        <opencv_storage><cascade type_id="opencv-cascade-classifier"><stageType>BOOST</stageType>
        <featureType>HAAR</featureType><height>4</height><width>4</width>
        <featureParams><maxCatCount>\(categories)</maxCatCount></featureParams><stageNum>1</stageNum>
        <stages><_><maxWeakCount>1</maxWeakCount><stageThreshold>\(threshold)</stageThreshold>
        <weakClassifiers><_><internalNodes>0 \(leaf) 0 0.4</internalNodes><leafValues>-1.0 1.0</leafValues></_></weakClassifiers></_></stages>
        <features><_><rects><_>\(rect)</_><_>0 0 4 1 2.</_></rects><tilted>0</tilted></_></features>
        </cascade></opencv_storage>
        """
    }

    /// `bytes` gzip-compressed (through a file: zlib's gz* functions write the gzip header and trailer).
    static func gzip(_ bytes: [UInt8], in directory: String) throws -> [UInt8] {
        let path = directory + "/.gzip-\(getpid()).tmp"
        defer { try? FileManager.default.removeItem(atPath: path) }
        guard let file = gzopen(path, "wb") else { throw CocoaError(.fileWriteUnknown) }
        _ = bytes.withUnsafeBytes { gzwrite(file, $0.baseAddress, UInt32($0.count)) }
        gzclose(file)
        return [UInt8](FileManager.default.contents(atPath: path) ?? Data())
    }
}
