// The cascades emonet ships in assets/cascades/ are found from the executable's own location: in a checkout
// (the folder with Package.swift above the .build* folder it was built into) and installed
// (<prefix>/bin/emonet with <prefix>/share/emonet/assets/), without Debian's opencv-data; --cascade and
// $EMONET_CASCADE still win.
import Assets
import FaceDetection
import Foundation
import TestSupport
import XCTest

final class AssetLocationTests: XCTestCase {
    let checkout = TestPaths.repositoryRoot
    var temporary: URL!

    override func setUp() { temporary = TestPaths.temporaryDirectory("emonet-assets") }
    override func tearDown() { try? FileManager.default.removeItem(at: temporary) }

    /// An executable path inside this checkout's build folder (it need not exist: only its place counts).
    var checkoutExecutable: URL {
        checkout.appendingPathComponent(".build-anything/x86_64-unknown-linux-gnu/release/emonet")
    }

    func testACheckoutBuildFindsTheBundledCascadeInsteadOfOpenCVData() throws {
        let path = CascadeLocator.resolve(nil, executable: checkoutExecutable)
        XCTAssertEqual(path, checkout.appendingPathComponent("assets/cascades/haarcascade_frontalface_default.xml").path)
        XCTAssertNotEqual(path, CascadeLocator.debianFrontalFacePath)
        let cascade = try CascadeLocator.load(path: nil, executable: checkoutExecutable)
        XCTAssertEqual(cascade.windowWidth, 24)
        XCTAssertEqual(cascade.stages.count, 25)
    }

    func testEveryBundledCascadeLoadsFromTheCheckout() throws {
        for bundled in CascadeLocator.Bundled.allCases {
            let path = try XCTUnwrap(CascadeLocator.bundledPath(bundled, executable: checkoutExecutable), "\(bundled.rawValue) is not in assets/cascades")
            let cascade = try CascadeLocator.load(path: path)
            XCTAssertGreaterThan(cascade.stages.count, 10, bundled.rawValue)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            XCTAssertTrue(text.prefix(4000).contains("Intel License Agreement"), "\(bundled.rawValue) lost its licence header")
        }
    }

    func testTheInstalledLayoutIsFoundBesideTheExecutable() throws {
        // <prefix>/bin/emonet and <prefix>/share/emonet/assets/cascades/, no checkout anywhere above.
        let prefix = temporary.appendingPathComponent("usr-local")
        let cascades = prefix.appendingPathComponent("share/emonet/assets/cascades")
        try FileManager.default.createDirectory(at: cascades, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: prefix.appendingPathComponent("bin"), withIntermediateDirectories: true)
        let source = checkout.appendingPathComponent("assets/cascades/haarcascade_profileface.xml")
        try FileManager.default.copyItem(at: source, to: cascades.appendingPathComponent("haarcascade_profileface.xml"))
        let executable = prefix.appendingPathComponent("bin/emonet")

        XCTAssertEqual(DataRoot.candidates(executable: executable).map(\.path), [prefix.appendingPathComponent("share/emonet").path])
        let found = try XCTUnwrap(CascadeLocator.bundledPath(.profileFace, executable: executable))
        XCTAssertEqual(found, cascades.appendingPathComponent("haarcascade_profileface.xml").path)
        XCTAssertEqual(try CascadeLocator.load(path: found).windowWidth, 20)
        // Only what is installed is found: the frontal cascade was not copied, so the default falls back.
        XCTAssertNil(CascadeLocator.bundledPath(.frontalFaceDefault, executable: executable))
        XCTAssertEqual(CascadeLocator.defaultFrontalFacePath(executable: executable), CascadeLocator.debianFrontalFacePath)
    }

    func testAnExecutableOutsideBothLayoutsHasNoDataRoot() {
        let executable = temporary.appendingPathComponent("bin/emonet")
        XCTAssertEqual(DataRoot.candidates(executable: executable), [])
        XCTAssertNil(DataRoot.find("assets/cascades/haarcascade_frontalface_default.xml", executable: executable))
    }

    func testTheCommandLineAndTheEnvironmentStillWin() {
        XCTAssertEqual(CascadeLocator.resolve("given.xml", executable: checkoutExecutable), "given.xml")
        setenv("EMONET_CASCADE", "/from/environment.xml", 1)
        defer { unsetenv("EMONET_CASCADE") }
        XCTAssertEqual(CascadeLocator.resolve(nil, executable: checkoutExecutable), "/from/environment.xml")
        XCTAssertEqual(CascadeLocator.resolve("given.xml", executable: checkoutExecutable), "given.xml")
    }
}
