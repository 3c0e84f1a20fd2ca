// The one palette of everything the project draws: a colour per emotion (the overlay's face boxes, label
// plates and probability bars, and the charts' timelines, so a timeline reads like the live window),
// distinct colours for unnamed chart series, and the greys of chart text and lines. The emotion colours
// stay distinguishable from each other and readable with black text on top.
import Frames
import Imaging

public enum Palette {
    /// The colour of an emotion, wherever it is drawn.
    public static func color(for label: EmotionLabel) -> RGBColor {
        switch label {
        case .angry: RGBColor(red: 230, green: 40, blue: 40)
        case .disgust: RGBColor(red: 120, green: 200, blue: 40)
        case .fear: RGBColor(red: 170, green: 80, blue: 230)
        case .happy: RGBColor(red: 255, green: 210, blue: 0)
        case .sad: RGBColor(red: 40, green: 120, blue: 255)
        case .surprise: RGBColor(red: 255, green: 130, blue: 0)
        case .neutral: RGBColor(red: 200, green: 200, blue: 200)
        }
    }

    /// Distinct colours for unnamed series, in order (Tableau 10).
    public static let categorical: [RGBColor] = [
        RGBColor(red: 31, green: 119, blue: 180), RGBColor(red: 255, green: 127, blue: 14),
        RGBColor(red: 44, green: 160, blue: 44), RGBColor(red: 214, green: 39, blue: 40),
        RGBColor(red: 148, green: 103, blue: 189), RGBColor(red: 140, green: 86, blue: 75),
        RGBColor(red: 227, green: 119, blue: 194), RGBColor(red: 127, green: 127, blue: 127),
        RGBColor(red: 188, green: 189, blue: 34), RGBColor(red: 23, green: 190, blue: 207),
    ]

    /// The k-th categorical colour (wrapping around).
    public static func color(_ k: Int) -> RGBColor { categorical[((k % categorical.count) + categorical.count) % categorical.count] }
}

extension RGBColor {
    /// The overlay's plates and letterbox.
    public static let black = RGBColor(red: 0, green: 0, blue: 0)
    /// Chart text, axes, grid lines and captions.
    public static let ink = RGBColor(red: 20, green: 20, blue: 20)
    public static let axis = RGBColor(red: 60, green: 60, blue: 60)
    public static let grid = RGBColor(red: 225, green: 225, blue: 225)
    public static let caption = RGBColor(red: 90, green: 90, blue: 90)
}
