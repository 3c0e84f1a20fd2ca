// One colour per emotion, used for face boxes, label plates and probability bars, chosen to stay
// distinguishable from each other and readable with black text on top.
import Emotion

/// An 8-bit RGB colour.
public struct OverlayColor: Sendable, Equatable {
    public var red: UInt8
    public var green: UInt8
    public var blue: UInt8

    public init(_ red: UInt8, _ green: UInt8, _ blue: UInt8) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

public enum EmotionPalette {
    public static func color(for label: EmotionLabel) -> OverlayColor {
        switch label {
        case .angry: OverlayColor(230, 40, 40)
        case .disgust: OverlayColor(120, 200, 40)
        case .fear: OverlayColor(170, 80, 230)
        case .happy: OverlayColor(255, 210, 0)
        case .sad: OverlayColor(40, 120, 255)
        case .surprise: OverlayColor(255, 130, 0)
        case .neutral: OverlayColor(200, 200, 200)
        }
    }
}
