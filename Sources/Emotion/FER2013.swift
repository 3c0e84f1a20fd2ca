// The FER-2013 dataset in its standard CSV form: a header `emotion,pixels,Usage`, then one row per
// 48x48 gray face: a label 0-6 (EmotionLabel order), 2,304 space-separated values 0-255 (row-major)
// and the split (Training, PublicTest, PrivateTest). Plain or gzip. Every row is checked; a bad one
// stops the read with its line number and the reason.

/// A FER-2013 split name, as written in the `Usage` column.
public enum FERSplit: String, CaseIterable, Sendable, Codable {
    case training = "Training"
    case publicTest = "PublicTest"
    case privateTest = "PrivateTest"
}

/// Faces, labels and splits, in file order.
public struct FERDataset: Sendable {
    public static let side = 48
    public static let pixelsPerImage = side * side

    /// `count * 2304` gray values, image after image.
    public var pixels: [UInt8]
    public var labels: [UInt8]
    public var splits: [FERSplit]
    /// Optional per-image target distributions (7 each, EmotionLabel order), e.g. from FER+ votes.
    public var softTargets: [Float]?

    public var count: Int { labels.count }

    public init(pixels: [UInt8] = [], labels: [UInt8] = [], splits: [FERSplit] = [], softTargets: [Float]? = nil) {
        self.pixels = pixels
        self.labels = labels
        self.splits = splits
        self.softTargets = softTargets
    }

    /// The rows of the given splits, in file order.
    public func subset(_ wanted: Set<FERSplit>) -> FERDataset {
        var result = FERDataset()
        result.softTargets = softTargets == nil ? nil : []
        for i in 0..<count where wanted.contains(splits[i]) {
            result.pixels.append(contentsOf: pixels[i * Self.pixelsPerImage..<(i + 1) * Self.pixelsPerImage])
            result.labels.append(labels[i])
            result.splits.append(splits[i])
            if let soft = softTargets { result.softTargets!.append(contentsOf: soft[i * 7..<(i + 1) * 7]) }
        }
        return result
    }

    /// The first `n` rows of each label (for quick experiments and tests).
    public func balancedPrefix(perClass n: Int) -> FERDataset {
        var taken = [Int](repeating: 0, count: 7)
        var result = FERDataset()
        result.softTargets = softTargets == nil ? nil : []
        for i in 0..<count where taken[Int(labels[i])] < n {
            taken[Int(labels[i])] += 1
            result.pixels.append(contentsOf: pixels[i * Self.pixelsPerImage..<(i + 1) * Self.pixelsPerImage])
            result.labels.append(labels[i])
            result.splits.append(splits[i])
            if let soft = softTargets { result.softTargets!.append(contentsOf: soft[i * 7..<(i + 1) * 7]) }
        }
        return result
    }

    /// Images per label, in label order.
    public var classCounts: [Int] {
        var counts = [Int](repeating: 0, count: 7)
        for l in labels { counts[Int(l)] += 1 }
        return counts
    }

    // MARK: - Reading

    static let header = "emotion,pixels,Usage"

    /// Reads a whole file (plain or gzip), keeping only the rows of `splits` (all when nil).
    /// `progress` is called now and then with the number of lines read.
    public static func read(path: String, splits wanted: Set<FERSplit>? = nil,
                            progress: ((Int) -> Void)? = nil) throws -> FERDataset {
        let reader = try LineReader.csv(path: path, header: header, ignoringQuotes: true)
        var dataset = FERDataset()
        dataset.pixels.reserveCapacity(36_000 * pixelsPerImage)
        var row = [UInt8](repeating: 0, count: pixelsPerImage)
        while let line = try reader.next() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            let (label, split) = try parseRow(line, into: &row, file: path, line: reader.lineNumber)
            if let progress, reader.lineNumber % 2000 == 0 { progress(reader.lineNumber) }
            guard wanted?.contains(split) ?? true else { continue }
            dataset.pixels.append(contentsOf: row)
            dataset.labels.append(label)
            dataset.splits.append(split)
        }
        guard dataset.count > 0 else { throw DatasetError.noRows(file: path, splits: wanted) }
        return dataset
    }

    /// Parses `label,"v v v ...",Usage` into `row`; returns the label and split.
    static func parseRow(_ line: ArraySlice<UInt8>, into row: inout [UInt8], file: String, line number: Int) throws
        -> (UInt8, FERSplit) {
        func bad(_ reason: String) -> DatasetError { .malformedRow(file: file, line: number, reason: reason) }
        guard let firstComma = line.firstIndex(of: 0x2C), let lastComma = line.lastIndex(of: 0x2C), firstComma < lastComma else {
            throw bad("expected 3 comma-separated fields (emotion,pixels,Usage)")
        }
        let labelText = String(decoding: line[line.startIndex..<firstComma], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        guard let label = UInt8(labelText), label < 7 else {
            throw bad("emotion '\(labelText.prefix(20))' is not a label 0-6")
        }
        var usage = String(decoding: line[(lastComma + 1)...], as: UTF8.self).trimmingCharacters(in: .whitespaces)
        usage = usage.replacingOccurrences(of: "\"", with: "")
        guard let split = FERSplit(rawValue: usage) else {
            throw bad("Usage '\(usage.prefix(20))' is not Training, PublicTest or PrivateTest")
        }
        var count = 0
        var value = -1
        var i = firstComma + 1
        while i < lastComma {
            let c = line[i]
            if c >= 0x30 && c <= 0x39 {
                value = (value < 0 ? 0 : value * 10) + Int(c - 0x30)
                if value > 255 { throw bad("pixel \(count + 1) is larger than 255") }
            } else if c == 0x20 || c == 0x22 || c == 0x09 {
                if value >= 0 {
                    guard count < pixelsPerImage else { throw bad("more than \(pixelsPerImage) pixel values") }
                    row[count] = UInt8(value)
                    count += 1
                    value = -1
                }
            } else {
                throw bad("pixel \(count + 1) contains '\(Character(Unicode.Scalar(c)))', expected digits 0-9")
            }
            i += 1
        }
        if value >= 0 {
            guard count < pixelsPerImage else { throw bad("more than \(pixelsPerImage) pixel values") }
            row[count] = UInt8(value)
            count += 1
        }
        guard count == pixelsPerImage else { throw bad("\(count) pixel values, expected \(pixelsPerImage) (48x48)") }
        return (label, split)
    }
}
