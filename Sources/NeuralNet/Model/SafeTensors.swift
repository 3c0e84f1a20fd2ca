// The safetensors container (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {string: string}},
// then the raw little-endian tensor bytes. Readable by PyTorch/numpy tools.
//
// `decode` trusts nothing: header length, JSON, dtype (F32 only), shapes, offsets (inside the data,
// matching the shape, not overlapping) and finiteness are all checked, and every error names the
// file and the tensor. Encoding is deterministic (names sorted), so a round trip is byte-exact.
import Foundation
import SafeOutput

public struct SafeTensors {
    public var tensors: [String: Tensor]
    public var metadata: [String: String]

    public init(tensors: [String: Tensor] = [:], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.metadata = metadata
    }

    /// The file's bytes: header padded with spaces to a multiple of 8, then tensors in name order.
    public func encoded() -> [UInt8] {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            header[name] = ["dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + t.count * 4]] as [String: Any]
            offset += t.count * 4
        }
        var json = Array(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        while (json.count + 8) % 8 != 0 { json.append(0x20) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        for name in names {
            let t = tensors[name]!
            for i in 0..<t.count { withUnsafeBytes(of: t[i].bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        return bytes
    }

    /// Parses and checks a file's bytes; `file` names it in errors.
    public static func decode(_ bytes: [UInt8], file: String) throws -> SafeTensors {
        func bad(_ reason: String) -> NeuralNetError { .badFile(file: file, reason: reason) }
        guard bytes.count >= 8 else { throw bad("too short for a safetensors file (\(bytes.count) bytes, need at least 8)") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard headerLength >= 2, headerLength <= UInt64(bytes.count - 8) else {
            throw bad("header length \(headerLength) does not fit in a \(bytes.count)-byte file (truncated or not safetensors)")
        }
        let dataStart = 8 + Int(headerLength)
        let headerObject: Any
        do {
            headerObject = try JSONSerialization.jsonObject(with: Data(bytes[8..<dataStart]))
        } catch {
            throw bad("header is not valid JSON")
        }
        guard let header = headerObject as? [String: Any] else { throw bad("header is not a JSON object") }
        var metadata: [String: String] = [:]
        if let m = header["__metadata__"] {
            guard let dict = m as? [String: String] else { throw bad("__metadata__ must map strings to strings") }
            metadata = dict
        }
        let dataLength = bytes.count - dataStart
        var ranges: [(Int, Int, String)] = []
        var tensors: [String: Tensor] = [:]
        for (name, value) in header where name != "__metadata__" {
            func badTensor(_ reason: String) -> NeuralNetError { .tensorMismatch(file: file, tensor: name, reason: reason) }
            guard let entry = value as? [String: Any] else { throw badTensor("has no {dtype, shape, data_offsets} entry") }
            guard let dtype = entry["dtype"] as? String else { throw badTensor("has no dtype") }
            guard dtype == "F32" else { throw badTensor("has dtype \(dtype), expected F32") }
            guard let shapeAny = entry["shape"] as? [Any], let shape = shapeAny.map({ ($0 as? NSNumber)?.intValue }) as? [Int],
                  shape.allSatisfy({ $0 >= 0 }), shape.count <= 8 else {
                throw badTensor("has no valid shape (a list of non-negative integers)")
            }
            guard let offsetsAny = entry["data_offsets"] as? [Any], offsetsAny.count == 2,
                  let begin = (offsetsAny[0] as? NSNumber)?.intValue, let end = (offsetsAny[1] as? NSNumber)?.intValue else {
                throw badTensor("has no valid data_offsets [begin, end]")
            }
            var elements = 1
            for d in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: d)
                guard !overflow, product <= dataLength / 4 + 1 else { throw badTensor("shape \(shape) is larger than the file") }
                elements = product
            }
            guard begin >= 0, end >= begin, end <= dataLength else {
                throw badTensor("data_offsets [\(begin), \(end)] fall outside the \(dataLength) data bytes (truncated file?)")
            }
            guard end - begin == elements * 4 else {
                throw badTensor("holds \(end - begin) bytes but shape \(shape) needs \(elements * 4)")
            }
            let t = Tensor(shape: shape)
            bytes.withUnsafeBufferPointer { raw in
                let base = UnsafeRawPointer(raw.baseAddress! + dataStart + begin)
                for i in 0..<elements {
                    t[i] = Float(bitPattern: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
                }
            }
            guard t.isFinite else { throw badTensor("contains NaN or infinite values") }
            tensors[name] = t
            ranges.append((begin, end, name))
        }
        ranges.sort { $0.0 < $1.0 }
        for (a, b) in zip(ranges, ranges.dropFirst()) where b.0 < a.1 {
            throw NeuralNetError.tensorMismatch(file: file, tensor: b.2, reason: "overlaps tensor '\(a.2)'")
        }
        return SafeTensors(tensors: tensors, metadata: metadata)
    }

    public static func read(path: String) throws -> SafeTensors {
        guard let data = FileManager.default.contents(atPath: path) else {
            let exists = FileManager.default.fileExists(atPath: path)
            throw NeuralNetError.badFile(file: path, reason: exists ? "cannot be read (permissions?)" : "no such file")
        }
        return try decode(Array(data), file: path)
    }

    /// Writes atomically (a temporary file beside `path`, flushed, then renamed over it), so a crash or a
    /// full disk never leaves half a file and the previous file stays whole.
    public func write(path: String) throws {
        do {
            try AtomicFile.write(encoded(), to: path)
        } catch let OutputError.unwritable(_, reason) {
            throw NeuralNetError.badFile(file: path, reason: "cannot be written: \(reason)")
        }
    }
}
