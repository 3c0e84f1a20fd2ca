// The benchmarks' `--key value` arguments, read against a table of the keys a bench takes: each value is
// checked and handed to the bench (`text`, `number(in:)`), a `flag` takes none. A key the table lacks or a
// missing value is one error naming the key; the list of keys in it comes from the table itself.
enum BenchArguments {
    /// How one key is read.
    struct Option {
        fileprivate let takesValue: Bool
        fileprivate let apply: (_ key: String, _ value: String) throws -> Void

        /// A key with a word after it.
        static func text(_ set: @escaping (String) throws -> Void) -> Option {
            Option(takesValue: true) { try set($1) }
        }

        /// A key with a number in `range` after it (anything else is an error naming the key and the range).
        static func number<Number: LosslessStringConvertible & Comparable>(in range: ClosedRange<Number>,
                                                                          _ set: @escaping (Number) -> Void) -> Option {
            Option(takesValue: true) { key, text in
                guard let number = Number(text), range.contains(number) else {
                    throw BenchError("\(key) needs a number in \(range) (found '\(text)')")
                }
                set(number)
            }
        }

        /// A key alone.
        static func flag(_ set: @escaping () -> Void) -> Option {
            Option(takesValue: false) { _, _ in set() }
        }
    }

    /// Reads `words` in order, each key through its entry in `options`.
    static func read(_ words: [String], _ options: [String: Option]) throws {
        var k = 0
        while k < words.count {
            let key = words[k]
            guard let option = options[key] else {
                throw BenchError("unknown option \(key) (options: \(options.keys.sorted().joined(separator: " ")))")
            }
            if option.takesValue {
                guard k + 1 < words.count else { throw BenchError("\(key) needs a value") }
                try option.apply(key, words[k + 1])
                k += 2
            } else {
                try option.apply(key, "")
                k += 1
            }
        }
    }
}
