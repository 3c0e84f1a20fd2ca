// FER+ (Microsoft's re-labelling of FER-2013): a CSV line-aligned with fer2013.csv,
// `Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF`, ten
// annotators' votes per image. Read into per-image distributions over FER-2013's seven classes
// (contempt, unknown and not-a-face votes dropped), to blend into the training targets.

/// FER+ votes as distributions over the seven FER-2013 classes, one per row of the FER-2013 file.
public struct FERPlusVotes: Sendable {
    static let header = "Usage,Image name,neutral,happiness,surprise,sadness,anger,disgust,fear,contempt,unknown,NF"
    /// For each of the 10 vote columns, its EmotionLabel index, or nil for a column that is dropped.
    static let columnLabels: [Int?] = [6, 3, 5, 4, 0, 1, 2, nil, nil, nil]

    /// `count * 7` values in EmotionLabel order, each row summing to 1, or all zero when the row has no
    /// vote for any of the seven classes (then the FER-2013 label alone is the target).
    public var distributions: [Float]
    public var splits: [FERSplit]

    public var count: Int { splits.count }

    /// The row's distribution, or nil when it has no usable vote.
    public func distribution(_ row: Int) -> ArraySlice<Float>? {
        let d = distributions[row * 7..<(row + 1) * 7]
        return d.contains(where: { $0 > 0 }) ? d : nil
    }

    /// Reads a FER+ CSV (plain or gzip), keeping the rows of `splits` (all when nil) so that it stays
    /// aligned with `FERDataset.read` of the same splits. Every row must have the 12 fields and whole,
    /// non-negative votes; a bad one stops the read with its line number and the reason.
    public static func read(path: String, splits wanted: Set<FERSplit>? = nil) throws -> FERPlusVotes {
        let reader = try LineReader.csv(path: path, header: header)
        var votes = FERPlusVotes(distributions: [], splits: [])
        votes.distributions.reserveCapacity(36_000 * 7)
        while let line = try reader.next() {
            func bad(_ reason: String) -> DatasetError { .malformedRow(file: path, line: reader.lineNumber, reason: reason) }
            let fields = line.split(separator: 0x2C, omittingEmptySubsequences: false)
            guard fields.count == 12 else { throw bad("\(fields.count) comma-separated fields, expected 12 (\(header))") }
            let usage = String(decoding: fields[0], as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let split = FERSplit(rawValue: usage) else {
                throw bad("Usage '\(usage.prefix(20))' is not Training, PublicTest or PrivateTest")
            }
            var row = [Float](repeating: 0, count: 7)
            for (column, label) in columnLabels.enumerated() {
                let text = String(decoding: fields[column + 2], as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard let count = Int(text), count >= 0, count <= 1000 else {
                    throw bad("vote count '\(text.prefix(20))' in column \(column + 3) is not a whole number 0-1000")
                }
                if let label { row[label] += Float(count) }
            }
            guard wanted?.contains(split) ?? true else { continue }
            let total = row.reduce(0, +)
            if total > 0 { for c in 0..<7 { row[c] /= total } }
            votes.distributions.append(contentsOf: row)
            votes.splits.append(split)
        }
        guard votes.count > 0 else { throw DatasetError.noRows(file: path, splits: wanted) }
        return votes
    }

    /// Blends these votes into `dataset`'s targets: `weight` of the FER+ distribution plus `1 - weight` of
    /// the FER-2013 label (rows without a usable vote keep their label alone). The two files must be
    /// line-aligned: same row count, same split on every row (line numbers in errors count the kept rows).
    public func softTargets(for dataset: FERDataset, weight: Float, file: String) throws -> [Float] {
        guard count == dataset.count else {
            throw DatasetError.malformedRow(file: file, line: min(count, dataset.count) + 2,
                                            reason: "\(count) rows of votes for \(dataset.count) FER-2013 rows; the files must be line-aligned")
        }
        var targets = [Float](repeating: 0, count: count * 7)
        for i in 0..<count {
            guard splits[i] == dataset.splits[i] else {
                throw DatasetError.malformedRow(file: file, line: i + 2,
                                                reason: "Usage \(splits[i].rawValue) where the FER-2013 row says \(dataset.splits[i].rawValue); the files must be line-aligned")
            }
            let label = Int(dataset.labels[i])
            if let d = distribution(i) {
                for c in 0..<7 { targets[i * 7 + c] = weight * d[d.startIndex + c] }
                targets[i * 7 + label] += 1 - weight
            } else {
                targets[i * 7 + label] = 1
            }
        }
        return targets
    }
}
