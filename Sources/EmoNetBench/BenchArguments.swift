// The benchmarks' `--key value` arguments, read in order: `next()` is the next key, `value()` the word
// after it (a key without one is an error naming it).
struct BenchArguments {
    private let words: [String]
    private var k = -1

    init(_ words: [String]) { self.words = words }

    /// The next key, or nil at the end.
    mutating func next() -> String? {
        k += 1
        return k < words.count ? words[k] : nil
    }

    /// The value of the key just read.
    mutating func value() throws -> String {
        k += 1
        guard k < words.count else { throw PipelineBenchError("\(words[k - 1]) needs a value") }
        return words[k]
    }
}
