// The emotion networks, as data. VGG-style: blocks of (3x3 conv → batch norm → ReLU) x2 then 2x2
// max pooling, then a small dense head. Named presets let a config (and the model card) say
// exactly which network was trained; the file itself stores the full description.
import NeuralNet

public enum Architectures {
    /// Preset names and one-line descriptions, for help text.
    public static let presets: [(name: String, summary: String)] = [
        ("vgg3", "blocks 32/64/128, dense 256 (about 87 M multiply-adds)"),
        ("vgg4", "blocks 32/64/128/256, dense 256 (about 119 M multiply-adds)"),
        ("vgg4s", "one 32 conv at full size, then blocks 64/128/256, dense 256 (about 97 M multiply-adds)"),
        ("vgg4-wide", "blocks 40/80/160/320, dense 256 (about 186 M multiply-adds)"),
        ("tiny", "blocks 8/16, dense 32: for tests and smoke runs"),
    ]

    public static func named(_ name: String, classes: Int = 7) -> ModelSpec? {
        switch name {
        case "vgg3": return vgg(widths: [32, 64, 128], hidden: 256, dropout: 0.4, classes: classes)
        case "vgg4": return vgg(widths: [32, 64, 128, 256], hidden: 256, dropout: 0.4, classes: classes)
        case "vgg4s":
            return vgg(widths: [32, 64, 128, 256], hidden: 256, dropout: 0.4, classes: classes, convsPerBlock: [1, 2, 2, 2])
        case "vgg4-wide": return vgg(widths: [40, 80, 160, 320], hidden: 256, dropout: 0.4, classes: classes)
        case "tiny": return vgg(widths: [8, 16], hidden: 32, dropout: 0, classes: classes, convsPerBlock: [1, 1])
        default: return nil
        }
    }

    /// A VGG-style network on 48x48x1 input.
    public static func vgg(widths: [Int], hidden: Int, dropout: Float, classes: Int = 7, convsPerBlock: [Int]? = nil,
                           side: Int = 48) -> ModelSpec {
        var layers: [LayerSpec] = []
        var channels = 1
        for (b, width) in widths.enumerated() {
            for c in 1...(convsPerBlock?[b] ?? 2) {
                let id = "block\(b + 1).\(c)"
                layers += [.conv("\(id).conv", channels, width), .batchNorm("\(id).bn", width), .relu("\(id).relu")]
                channels = width
            }
            layers.append(.maxPool("block\(b + 1).pool"))
        }
        layers.append(.flatten("flatten"))
        if dropout > 0 { layers.append(.dropout("head.dropout1", dropout)) }
        // Batch norm in the head too: without it the hidden dense layer's units can all be pushed
        // negative early in training, ReLU then zeroes every one and the network outputs a constant.
        layers += [.dense("head.fc1", hidden, bias: false), .batchNorm("head.bn", hidden), .relu("head.relu")]
        if dropout > 0 { layers.append(.dropout("head.dropout2", dropout)) }
        layers.append(.dense("head.fc2", classes))
        return ModelSpec(inputShape: [1, side, side], layers: layers)
    }
}
