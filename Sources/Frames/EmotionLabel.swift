// The seven FER-2013 classes, in the dataset's label order (0 angry ... 6 neutral).
// Model files store this order in their metadata; loading checks it against this enum.

/// One of the seven FER-2013 emotions; `rawValue` is the dataset's label index.
public enum EmotionLabel: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case angry = 0, disgust, fear, happy, sad, surprise, neutral

    /// Lower-case names in label order, as written to model files, JSON and CSV.
    public static let names: [String] = allCases.map(\.description)

    public var description: String {
        switch self {
        case .angry: "angry"
        case .disgust: "disgust"
        case .fear: "fear"
        case .happy: "happy"
        case .sad: "sad"
        case .surprise: "surprise"
        case .neutral: "neutral"
        }
    }

    public init?(name: String) {
        guard let index = Self.names.firstIndex(of: name.lowercased()) else { return nil }
        self.init(rawValue: index)
    }
}
