// Colours for chart series and emotions. The emotion colours are the overlay's (Display's
// EmotionPalette), so a timeline reads like the live window; PlotTests check that they stay equal.
import Emotion
import Imaging

public enum SeriesPalette {
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

    /// The colour of an emotion, as the live overlay draws it.
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
}
