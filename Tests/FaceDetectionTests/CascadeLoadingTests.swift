// Loading OpenCV's cascade files, and errors that name the element and what was expected.
import FaceDetection
import XCTest

final class CascadeLoadingTests: XCTestCase {
    func testLoadsTheDebianCascades() throws {
        let face = try cascadeFile("haarcascade_frontalface_default.xml")
        XCTAssertEqual(face.featureType, .haar)
        XCTAssertEqual(face.windowWidth, 24)
        XCTAssertEqual(face.stages.count, 25)
        XCTAssertEqual(face.stages[0].trees.count, 9)
        XCTAssertEqual(face.stages[0].threshold, Float(-5.0425500869750977))
        XCTAssertTrue(face.isStumpBased)
        XCTAssertFalse(face.hasTiltedFeatures)
        XCTAssertEqual(face.haarFeatures.count, 2913)
        let eyes = try cascadeFile("haarcascade_eye_tree_eyeglasses.xml")
        XCTAssertTrue(eyes.hasTiltedFeatures)
        XCTAssertFalse(eyes.isStumpBased)
        let lbp = try cascadeFile("lbpcascade_frontalface_improved.xml")
        XCTAssertEqual(lbp.featureType, .lbp)
        XCTAssertEqual(lbp.categoryCount, 256)
        XCTAssertEqual(lbp.windowWidth, 45)
        XCTAssertEqual(lbp.stages[0].trees[0].nodes[0].subset.count, 8)
    }

    func message(_ xml: String) -> String {
        do {
            _ = try HaarCascade(xml: xml)
            return "no error"
        } catch {
            return error.localizedDescription
        }
    }

    func testMalformedXMLNamesTheElementAndLine() {
        XCTAssertEqual(message("<opencv_storage><cascade>\n<stageType>BOOST</stageType>\n</opencv_storage>"),
                       "malformed XML at line 3 in <cascade>: mismatched end tag </opencv_storage>, expected </cascade>")
        XCTAssertEqual(message("<opencv_storage><cascade><width>24</wid"),
                       "malformed XML at line 1 in <width>: mismatched end tag </wid>, expected </width>")
        XCTAssertEqual(message(""), "malformed XML at line 1: no root element (empty document)")
        XCTAssertTrue(message("<a><b x=1/></a>").contains("expected a quoted value for attribute x"))
    }

    func testInvalidCascadesNameWhatWasExpected() {
        let valid = tinyCascadeXML(stageThreshold: 0, stumps: [(["0 0 4 2 -1.", "0 0 4 1 2."], 0.4, -1, 1)])
        XCTAssertEqual(message(valid), "no error")
        XCTAssertEqual(message(valid.replacingOccurrences(of: "<featureType>HAAR</featureType>", with: "<featureType>HOG</featureType>")),
                       "unsupported cascade: <featureType> (line 4): feature type 'HOG', expected HAAR or LBP")
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<height>4</height>", with: "")).hasPrefix(
            "invalid cascade: <cascade> (line 3): expected a <height> child"))
        XCTAssertTrue(message(valid.replacingOccurrences(of: "0 0 4 2 -1.", with: "0 0 5 2 -1.")).contains(
            "<rects>") && message(valid.replacingOccurrences(of: "0 0 4 2 -1.", with: "0 0 5 2 -1.")).contains("inside the 4x4 window"))
        XCTAssertTrue(message(valid.replacingOccurrences(of: "0 -1 0 0.4", with: "0 -1 7 0.4")).contains(
            "<internalNodes>") )
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<leafValues>-1.0 1.0</leafValues>", with: "<leafValues>-1.0</leafValues>"))
            .contains("expected 2 leaves for 1 nodes, found 1"))
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<stageThreshold>0.0</stageThreshold>", with: "<stageThreshold>abc</stageThreshold>"))
            .contains("<stageThreshold>"))
        XCTAssertTrue(message("<opencv_storage><haar type_id=\"opencv-haar-classifier\"></haar></opencv_storage>")
            .contains("old-format"))
    }

    func testADeeplyNestedFileIsAnErrorNamingTheLimitNotAStackOverflow() throws {
        // 100,000 levels once overflowed the recursive reader's stack (SIGSEGV).
        let depth = 100_000
        let xml = "<opencv_storage>" + String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth) + "</opencv_storage>"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("deep-\(getpid()).xml").path
        try Data(xml.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try CascadeLocator.load(path: path)) { error in
            XCTAssertEqual(error.localizedDescription,
                           "\(path): malformed XML at line 1 in <a>: elements nested more than 64 levels deep (a cascade nests 6)")
        }
        // The limit leaves room for any real cascade, and a document just inside it still parses.
        let within = "<r>" + String(repeating: "<a>", count: 62) + String(repeating: "</a>", count: 62) + "</r>"
        XCTAssertFalse(message(within).contains("nested"), message(within))
    }

    func testValuesThatWouldOverflowOrBecomeInfiniteAreRefusedWithTheirRange() {
        let valid = tinyCascadeXML(stageThreshold: 0, stumps: [(["0 0 4 2 -1.", "0 0 4 1 2."], 0.4, -1, 1)])
        // x + w overflowed Int (a trap) before the inside-the-window test could fail.
        XCTAssertTrue(message(valid.replacingOccurrences(of: "0 0 4 2 -1.", with: "9223372036854775807 0 1 2 -1."))
            .contains("expected a rectangle inside the 4x4 window, found a coordinate of 9223372036854775807"))
        // A leaf index of Int.min has no negation (a trap).
        XCTAssertTrue(message(valid.replacingOccurrences(of: "0 -1 0 0.4", with: "0 -9223372036854775808 0 0.4"))
            .contains("child -9223372036854775808 of node 0"))
        // Doubles beyond Float's range became infinite thresholds and weights.
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<stageThreshold>0.0</stageThreshold>", with: "<stageThreshold>1e300</stageThreshold>"))
            .contains("<stageThreshold>") && message(valid.replacingOccurrences(of: "<stageThreshold>0.0</stageThreshold>", with: "<stageThreshold>1e300</stageThreshold>")).contains("expected a number within"))
        XCTAssertTrue(message(valid.replacingOccurrences(of: "0 0 4 1 2.", with: "0 0 4 1 1e39")).contains("expected a number within"))
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<leafValues>-1.0 1.0</leafValues>", with: "<leafValues>-1.0 -1e308</leafValues>"))
            .contains("<leafValues>"))
        // The category count sizes every node's mask: (count + 31) / 32 overflowed at Int.max.
        XCTAssertTrue(message(valid.replacingOccurrences(of: "<maxCatCount>0</maxCatCount>", with: "<maxCatCount>9223372036854775807</maxCatCount>"))
            .contains("expected a category count in 0...256, found 9223372036854775807"))
    }

    func testMissingFileNamesThePath() {
        XCTAssertThrowsError(try CascadeLocator.load(path: "/no/such/cascade.xml")) { error in
            XCTAssertEqual(error.localizedDescription, "cannot read cascade /no/such/cascade.xml: no such file")
        }
        XCTAssertEqual(CascadeLocator.resolve("x.xml"), "x.xml")
    }
}
