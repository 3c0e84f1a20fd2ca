// Model files: exact round trips, and every kind of bad file refused with a message that names
// the file, the tensor or field, and what was expected.
import Foundation
import NeuralNet
import TestSupport
import XCTest

final class ModelFileTests: XCTestCase {
    let spec = ModelSpec(inputShape: [1, 8, 8], layers: [
        .conv("conv1", 1, 4), .batchNorm("bn1", 4), .relu("relu1"), .maxPool("pool1"),
        .flatten("flatten"), .dropout("drop", 0.2), .dense("fc", 3),
    ])

    func model() throws -> Sequential {
        let m = try Sequential(spec: spec, seed: 3)
        m.forward(Tensor(shape: [2, 1, 8, 8], values: (0..<128).map { Float($0 % 7) }), training: true)  // moves running stats
        return m
    }

    func testRoundTripIsExactAndBytesAreStable() throws {
        let original = try model()
        let bytes = ModelFile(model: original, metadata: ["note": "hello"]).encoded()
        let file = try ModelFile.decode(bytes, file: "mem.safetensors")
        XCTAssertEqual(file.spec, spec)
        XCTAssertEqual(file.metadata["note"], "hello")
        let restored = try file.instantiate()
        for ((name, a), (_, b)) in zip(original.namedTensors, restored.namedTensors) {
            XCTAssertEqual(a.values, b.values, "tensor \(name) changed in the round trip")
        }
        XCTAssertEqual(ModelFile(model: restored, metadata: ["note": "hello"]).encoded(), bytes, "re-encoding is not byte-identical")
        let x = Tensor(shape: [1, 1, 8, 8], values: (0..<64).map { Float($0) / 64 })
        XCTAssertEqual(original.forward(x, training: false).values, restored.forward(x, training: false).values)
    }

    func testWritesAtomicallyToDisk() throws {
        let dir = TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try ModelFile(model: model()).write(path: path)
        XCTAssertNoThrow(try ModelFile.read(path: path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["m.safetensors"], "temporary files left behind")
    }

    /// Decoding `bytes` must fail with a message containing every fragment.
    func assertRejected(_ bytes: [UInt8], _ fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try ModelFile.decode(bytes, file: "bad.safetensors")
            XCTFail("accepted a bad file (expected: \(fragments))", file: file, line: line)
        } catch {
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            print("  rejected: \(message)")
            XCTAssertTrue(message.contains("bad.safetensors"), "message does not name the file: \(message)", file: file, line: line)
            for f in fragments { XCTAssertTrue(message.contains(f), "'\(message)' lacks '\(f)'", file: file, line: line) }
        }
    }

    /// Re-encodes a valid file after editing its header JSON and/or tensors.
    func edited(_ edit: (inout [String: Any]) -> Void, data: ((inout [UInt8]) -> Void)? = nil) throws -> [UInt8] {
        let bytes = ModelFile(model: try model()).encoded()
        let length = Int(bytes[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        var header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + length)])) as! [String: Any]
        var payload = Array(bytes[(8 + length)...])
        edit(&header)
        data?(&payload)
        let json = Array(try JSONSerialization.data(withJSONObject: header))
        var out: [UInt8] = []
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        return out + json + payload
    }

    func testRejectsTruncatedAndGarbageFiles() throws {
        let good = ModelFile(model: try model()).encoded()
        assertRejected([], ["too short"])
        assertRejected(Array(good.prefix(5)), ["too short"])
        assertRejected(Array(good.prefix(200)), ["header length"])
        assertRejected(Array(good.dropLast(8)), ["fall outside"])
        assertRejected([8, 0, 0, 0, 0, 0, 0, 0] + Array("{not js}".utf8), ["not valid JSON"])
        assertRejected(Array(repeating: 0xFF, count: 64), ["header length"])
    }

    func testRejectsWrongDtypeShapeOffsetsAndValues() throws {
        assertRejected(try edited { h in var e = h["conv1.weight"] as! [String: Any]; e["dtype"] = "F16"; h["conv1.weight"] = e },
                       ["conv1.weight", "F16", "expected F32"])
        assertRejected(try edited { h in var e = h["fc.bias"] as! [String: Any]; e["shape"] = [4]; h["fc.bias"] = e },
                       ["fc.bias", "needs"])
        assertRejected(try edited { h in var e = h["fc.bias"] as! [String: Any]; e["data_offsets"] = [0, 99_999]; h["fc.bias"] = e },
                       ["fc.bias", "outside"])
        assertRejected(try edited({ _ in }, data: { payload in
            for i in 0..<4 { payload[i] = [0x00, 0x00, 0xC0, 0x7F][i] }  // a NaN in the first tensor
        }), ["NaN"])
    }

    func testRejectsFilesThatDoNotFitTheArchitecture() throws {
        assertRejected(try edited { h in h["conv1.weight"] = nil }, ["conv1.weight", "missing"])
        assertRejected(try edited { h in
            var e = h["fc.bias"] as! [String: Any]; e["shape"] = [1, 3]; h["fc.bias"] = e
        }, ["fc.bias", "[1, 3]", "[3]"])
        assertRejected(try edited { h in
            var m = h["__metadata__"] as! [String: String]; m["format"] = "something-else"; h["__metadata__"] = m
        }, ["format", "emonet-model"])
        assertRejected(try edited { h in
            var m = h["__metadata__"] as! [String: String]; m["architecture"] = "{\"inputShape\":[1,8,8],\"layers\":[{\"type\":\"conv9d\",\"name\":\"x\"}]}"
            h["__metadata__"] = m
        }, ["architecture", "conv9d"])
        // A tensor the architecture does not name, appended after the others.
        var dataLength = 0
        assertRejected(try edited({ h in
            dataLength = h.values.compactMap { ($0 as? [String: Any])?["data_offsets"] as? [Int] }.map { $0[1] }.max()!
            h["extra.weight"] = ["dtype": "F32", "shape": [3], "data_offsets": [dataLength, dataLength + 12]] as [String: Any]
        }, data: { $0 += [UInt8](repeating: 0, count: 12) }), ["extra.weight", "not part of the architecture"])
    }

    func testArchitectureDescriptionsReportTyposAndBadShapes() {
        func rejects(_ spec: ModelSpec, _ fragment: String) {
            XCTAssertThrowsError(try spec.validate()) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'")
            }
        }
        var conv = LayerSpec.conv("c", 1, 4)
        conv.probability = 0.5
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [conv]), "'probability' does not apply")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [LayerSpec(type: "conv2d", name: "c", inputChannels: 1)]), "missing")
        rejects(ModelSpec(inputShape: [3, 8, 8], layers: [.conv("c", 1, 4)]), "expects [1, H, W]")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.conv("c", 1, 4), .dense("d", 2)]), "flatten")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.relu("a"), .relu("a")]), "used twice")
    }

    func testArchitectureSizesOutOfRangeAreRefusedBeforeAnyLayerTrapsOrAllocates() {
        func rejects(_ spec: ModelSpec, _ fragment: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertThrowsError(try spec.validate(), file: file, line: line) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? ""
                XCTAssertTrue(message.contains(fragment), "'\(message)' lacks '\(fragment)'", file: file, line: line)
            }
        }
        // Each of these reached a layer's precondition (a trap) or overflowed Int.
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.conv("c", 0, 4)]), "inputChannels is 0, expected 1...65536")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.conv("c", 1, 4, kernel: -3)]), "kernelSize is -3, expected 1...64")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.conv("c", 1, 4, stride: 0)]), "stride is 0")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.maxPool("p", 0)]), "kernelSize is 0")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.flatten("f"), .dense("d", 0)]), "outputFeatures is 0")
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.dropout("d", .nan)]), "probability is nan")
        rejects(ModelSpec(inputShape: [1, -8, 8], layers: [.relu("r")]), "inputShape is [1, -8, 8]")
        rejects(ModelSpec(inputShape: [Int.max, Int.max, 2], layers: [.flatten("f"), .dense("d", 2)]), "inputShape")
        // In range one by one, but 4 GB of weights together: refused before allocating.
        rejects(ModelSpec(inputShape: [1, 8, 8], layers: [.conv("c", 65_536, 65_536, kernel: 64)]), "multiply to more than")
        rejects(ModelSpec(inputShape: [4096, 64, 64], layers: [.flatten("f"), .dense("d", 1 << 20)]), "multiply to more than")
    }

    func testAnArchitectureThatNeedsFarMoreWeightsThanTheFileHoldsIsRefusedUnbuilt() throws {
        // 512 MB of conv weights declared by a file of a few hundred bytes.
        assertRejected(try edited { h in
            var m = h["__metadata__"] as! [String: String]
            m["architecture"] = "{\"inputShape\":[1,8,8],\"layers\":[{\"type\":\"conv2d\",\"name\":\"conv1\",\"inputChannels\":1,\"outputChannels\":2048,\"kernelSize\":8},"
                + "{\"type\":\"conv2d\",\"name\":\"conv2\",\"inputChannels\":2048,\"outputChannels\":4096,\"kernelSize\":4,\"padding\":4}]}"
            h["__metadata__"] = m
        }, ["architecture", "needs 134348800 weights but the file holds"])
    }

    func testMultiplyAddsAreCountedPerLayer() throws {
        // conv: 8*8 outputs * 4 channels * 9 taps = 2304; dense: 64 inputs * 3 = 192.
        XCTAssertEqual(try spec.multiplyAdds(), 2304 + 192)
    }
}
