// The JSON Lines form of a FrameResult, as printed by `emonet live` headless and written to logs:
// {"frame":N,"time":S,"latency_ms":L,"faces":[{"track":ID,"x":..,"y":..,"width":..,"height":..,
//   "angle":A,"pose":"frontal","label":"happy","confidence":P,"probabilities":{"angry":P,...}}]}
// x, y, width, height are the face's box before turning; the face is that box turned `angle` degrees
// clockwise about its centre (0 for an upright face); pose is frontal, left or right.
// Keys in a fixed order, probabilities in EmotionLabel order, numbers rounded to 4 decimals.
import Foundation

extension FrameResult {
    /// One line of JSON (no trailing newline).
    public var jsonLine: String {
        var s = "{\"frame\":\(frameIndex),\"time\":\(Self.number(time)),\"latency_ms\":\(Self.number(latency * 1000, digits: 2)),\"faces\":["
        for (k, face) in faces.enumerated() {
            if k > 0 { s += "," }
            s += "{\"track\":\(face.track),\"x\":\(face.box.x),\"y\":\(face.box.y),"
            s += "\"width\":\(face.box.width),\"height\":\(face.box.height),"
            s += "\"angle\":\(Self.number(face.angle)),\"pose\":\"\(face.pose.rawValue)\","
            s += "\"label\":\"\(face.label)\",\"confidence\":\(Self.number(Double(face.confidence))),\"probabilities\":{"
            for (j, name) in EmotionLabel.names.enumerated() {
                if j > 0 { s += "," }
                s += "\"\(name)\":\(Self.number(Double(face.probabilities[j])))"
            }
            s += "}}"
        }
        s += "]}"
        return s
    }

    static func number(_ value: Double, digits: Int = 4) -> String {
        guard value.isFinite else { return "null" }
        var text = String(format: "%.\(digits)f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text == "-0" ? "0" : text
    }
}
