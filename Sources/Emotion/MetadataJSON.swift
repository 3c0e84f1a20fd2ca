// The JSON of a model or checkpoint file's metadata values (labels, input, training facts, history):
// compact, keys sorted, written one way for training, averaging and the CLI. Numbers that JSON cannot
// hold (a diverged run's nan or inf loss) are written as the strings "nan", "inf", "-inf" rather than
// trapping: `emonet train` stops a diverged run before it writes anything, but library callers may not.
import Foundation

public enum MetadataJSON {
    /// `value` as compact JSON with sorted keys.
    public static func string<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        // Cannot throw: with non-finite numbers written as strings, the metadata types (structs, arrays and
        // string-keyed dictionaries of numbers and strings) always encode.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
