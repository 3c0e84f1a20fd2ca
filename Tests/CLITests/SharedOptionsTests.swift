// Options shared by several commands mean the same in each, end to end: `classify` finds the faces
// `live` finds in the same picture (both use the live path's detector defaults), and out-of-range values
// are refused with their allowed range by every command that takes them.
import Foundation
import TestSupport
import XCTest

final class SharedOptionsTests: XCTestCase {
    typealias Run = CommandRun

    func emonet(_ arguments: [String]) throws -> Run {
        try BuiltCommand.run(BuiltCommand.process(try BuiltCommand.emonet(), arguments,
                                                  environment: BuiltCommand.headlessEnvironment))
    }

    /// [x, y, width, height] of each face in a JSON object's "faces".
    func boxes(_ object: [String: Any]) -> [[Int]] {
        ((object["faces"] as? [[String: Any]]) ?? []).map { face in ["x", "y", "width", "height"].map { face[$0] as? Int ?? -1 } }
    }

    func testClassifyFindsTheFacesLiveFindsInTheSamePicture() throws {
        // A PNG, so that libpng (classify) and FFmpeg (live --input) decode the same pixels.
        let picture = try TestPaths.sharedFile("media/skimage_astronaut.png").path
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg") else { throw XCTSkip("needs ffmpeg") }
        let classify = try emonet(["classify", "--json", picture])
        XCTAssertEqual(classify.status, 0, classify.stderr)
        let report = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(classify.stdout.utf8)) as? [[String: Any]])?.first)
        let size = "\(report["width"] as? Int ?? 0)x\(report["height"] as? Int ?? 0)"
        let live = try emonet(["live", "--input", picture, "--size", size, "--no-window"])
        XCTAssertEqual(live.status, 0, live.stderr)
        let firstFrame = try XCTUnwrap(try JSONSerialization.jsonObject(
            with: Data(try XCTUnwrap(live.stdout.split(separator: "\n").first).utf8)) as? [String: Any])
        XCTAssertFalse(boxes(report).isEmpty, "the astronaut's face is found")
        XCTAssertEqual(boxes(report), boxes(firstFrame), "classify and live (first frame, a full scan) agree")
    }

    func testDetectWithoutOptionsIsOpenCVsDetectMultiScaleWithItsDefaults() throws {
        // The fixture holds OpenCV 4.10's boxes (scripts/opencv_fixtures.py); its 1.1/3/no-min-size run is
        // detectMultiScale's defaults, which `emonet detect` must keep whatever the product path uses.
        let fixture = TestPaths.repositoryRoot.appendingPathComponent("Tests/FaceDetectionTests/Fixtures/opencv_boxes.json")
        let root = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: fixture)) as? [String: Any])
        var compared = 0
        for image in root["images"] as? [[String: Any]] ?? [] {
            let name = try XCTUnwrap(image["image"] as? String)
            guard let picture = try? TestPaths.sharedFile("media/\(name)") else { continue }
            let runs = image["runs"] as? [[String: Any]] ?? []
            let defaults = try XCTUnwrap(runs.first {
                $0["cascade"] as? String == "haarcascade_frontalface_default.xml" && $0["scaleFactor"] as? Double == 1.1
                    && $0["minNeighbors"] as? Int == 3 && $0["minSize"] as? Int == 0
            })
            let run = try emonet(["detect", "--json", picture.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            let report = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])?.first)
            let ours = ((report["faces"] as? [[String: Any]]) ?? []).map { face in
                ["x", "y", "width", "height", "neighbors"].map { face[$0] as? Int ?? -1 }
            }
            XCTAssertEqual(ours, defaults["boxes"] as? [[Int]], name)
            compared += 1
        }
        if compared == 0 { throw XCTSkip("needs the ../shared/media photos") }
    }

    func testTheDataOptionsAreOneDeclarationInTrainAverageAndEval() throws {
        func dataHelp(_ command: String) throws -> String {
            let run = try emonet([command, "--help"])
            XCTAssertEqual(run.status, 0, run.stderr)
            return run.optionHelp("--data <data>")
        }
        let train = try dataHelp("train")
        XCTAssertFalse(train.isEmpty, "train has --data")
        XCTAssertEqual(try dataHelp("average"), train, "one declaration, one help text")
        XCTAssertEqual(try dataHelp("eval"), train, "one declaration, one help text")
    }

    func testOutOfRangeDetectorAndPipelineValuesNameTheirRange() throws {
        let cases: [([String], String)] = [
            (["detect", "--scale-factor", "1.0001", "x.png"], "--scale-factor must be in 1.01...10.0 (found 1.0001)"),
            (["classify", "--scale-factor", "11", "x.png"], "--scale-factor must be in 1.01...10.0 (found 11.0)"),
            (["live", "--scale-factor", "inf"], "--scale-factor must be in 1.01...10.0 (found inf)"),
            (["classify", "--min-neighbors=-1", "x.png"], "--min-neighbors must be in 0...100 (found -1)"),
            (["detect", "--min-size", "100000", "x.png"], "--min-size must be in 0...8192 (found 100000)"),
            (["detect", "--threads", "0", "x.png"], "--threads must be in 1...64 (found 0)"),
            (["live", "--detect-every", "0"], "--detect-every must be in 1...1000 (found 0)"),
            (["replay", "clip.mp4", "--smoothing", "5"], "--smoothing must be a number in (0, 1] or 'off' (found '5')"),
            (["replay", "clip.mp4", "--min-neighbors", "1000"], "--min-neighbors must be in 0...100 (found 1000)"),
            (["train", "--data", "d.csv", "--out", "m.safetensors", "--workers", "0"], "--workers must be in 1...256 (found 0)"),
            (["average", "a.safetensors", "--data", "d.csv", "--out", "m.safetensors", "--workers", "300"], "--workers must be in 1...256 (found 300)"),
            (["eval", "--data", "d.csv", "--workers", "0"], "--workers must be in 1...256 (found 0)"),
        ]
        for (arguments, message) in cases {
            let run = try emonet(arguments)
            XCTAssertNotEqual(run.status, 0, "\(arguments)")
            XCTAssertTrue(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
    }
}
