// Seed corpora for the fuzz targets: small valid inputs made here (a tiny model, FER-2013 rows, a
// YUV4MPEG2 clip, PNG and JPEG images) or taken from Debian's opencv-data (cascades). Sessions are
// recorded by `make fuzz` with `emonet live --input` from the y4m seed, then joined into one input.
import Emotion
import Foundation
import ImageIO
import Imaging
import NeuralNet

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
        case .model:
            var config = TrainingConfig()
            config.architecture = "tiny"
            config.epochs = 1
            config.batchSize = 7
            let data = FERDataset(pixels: (0..<(7 * 2304)).map { UInt8($0 % 251) }, labels: (0..<7).map(UInt8.init),
                                  splits: Array(repeating: .training, count: 7))
            let trainer = try Trainer(config: config, train: data, validation: data)
            save("tiny.safetensors", trainer.modelFile().encoded())
        case .csv:
            let rows = (0..<3).map { i in
                "\(i * 3),\((0..<2304).map { String(($0 * 7 + i) % 256) }.joined(separator: " ")),\(["Training", "PublicTest", "PrivateTest"][i])"
            }
            save("three-rows.csv", Array(("emotion,pixels,Usage\n" + rows.joined(separator: "\n") + "\n").utf8))
            save("quoted.csv", Array(("emotion,pixels,Usage\r\n3,\"\((0..<2304).map { _ in "128" }.joined(separator: " "))\",Training\r\n").utf8))
        case .y4m:
            var clip = Array("YUV4MPEG2 W16 H16 F30:1 Ip A1:1 C420jpeg\n".utf8)
            for f in 0..<3 {
                clip += Array("FRAME\n".utf8)
                clip += (0..<(16 * 16 + 2 * 8 * 8)).map { UInt8(truncatingIfNeeded: $0 * 3 + f * 40) }
            }
            save("clip.y4m", clip)
        case .session:
            break  // made by `make fuzz` (a recording of the y4m seed)
        case .image:
            let rgb = RGBImage(width: 32, height: 24, pixels: (0..<(32 * 24 * 3)).map { UInt8(truncatingIfNeeded: $0 * 5) })
            save("gradient.png", try PNG.encode(rgb))
            save("gradient.jpg", try JPEG.encode(rgb))
            save("gray.png", try PNG.encode(GrayImage(width: 16, height: 16, pixels: (0..<256).map(UInt8.init))))
        }
    }
}
