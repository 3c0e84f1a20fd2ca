// Builds a HaarCascade from OpenCV's new cascade XML format:
//   <opencv_storage><cascade type_id="opencv-cascade-classifier">
//     <stageType>BOOST <featureType>HAAR|LBP <height> <width> <featureParams><maxCatCount>
//     <stages><_> <stageThreshold> <weakClassifiers><_> <internalNodes> <leafValues> ...
//     <features><_> <rects><_>x y w h weight</_>... <tilted>  (HAAR)  |  <rect>x y w h</rect> (LBP)
// Numbers are read the way OpenCV's FileStorage reads them (reals as double, then narrowed to
// float), so thresholds compare bit-for-bit like OpenCV's. Every check failure names the element.

enum CascadeXMLReader {
    static func read(_ bytes: [UInt8]) throws -> HaarCascade {
        let root: XMLElement
        do {
            root = try XMLParser.parse(bytes)
        } catch let e as XMLSyntaxError {
            throw CascadeError.malformedXML(line: e.line, element: e.element, message: e.message)
        }
        guard let top = root.children.first else {
            throw CascadeError.invalidElement(element: root.name, line: root.line,
                                              expected: "a <cascade> element inside <\(root.name)>")
        }
        if top.attributes["type_id"] == "opencv-haar-classifier" {
            throw CascadeError.unsupported(element: top.name, line: top.line,
                what: "old-format (opencv-haar-classifier) cascade; use a file from OpenCV's data/haarcascades (new format)")
        }
        return try readCascade(top)
    }

    // MARK: - Fields

    private static func required(_ parent: XMLElement, _ name: String) throws -> XMLElement {
        guard let child = parent.child(name) else {
            throw CascadeError.invalidElement(element: parent.name, line: parent.line, expected: "a <\(name)> child")
        }
        return child
    }

    /// Each child of `parent`'s required <name>, read by `read`; an empty list is an error that
    /// says what was expected (`"at least one stage"`).
    private static func requiredList<T>(_ parent: XMLElement, _ name: String, expected: String,
                                        _ read: (XMLElement) throws -> T) throws -> [T] {
        let list = try required(parent, name)
        let items = try list.children.map(read)
        guard !items.isEmpty else {
            throw CascadeError.invalidElement(element: name, line: list.line, expected: expected)
        }
        return items
    }

    /// The element's text split at XML's whitespace (space, tab, CR and LF: ASCII, so its UTF-8 bytes are
    /// searched directly; `Character.isWhitespace`'s Unicode tables were a tenth of a replay's start-up).
    private static func tokens(_ e: XMLElement) -> [Substring] {
        let text = e.text, bytes = text.utf8
        var out: [Substring] = []
        var start: String.Index?
        var i = bytes.startIndex
        while i != bytes.endIndex {
            let b = bytes[i]
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D {
                if let s = start { out.append(text[s..<i]) }
                start = nil
            } else if start == nil {
                start = i
            }
            i = bytes.index(after: i)
        }
        if let s = start { out.append(text[s..<bytes.endIndex]) }
        return out
    }

    private static func integer(_ e: XMLElement, _ what: String) throws -> Int {
        let t = tokens(e)
        guard t.count == 1, let v = Int(t[0]) else {
            throw CascadeError.invalidElement(element: e.name, line: e.line, expected: "\(what) (an integer), found '\(e.text.prefix(40))'")
        }
        return v
    }

    private static func real(_ token: Substring, in e: XMLElement) throws -> Double {
        guard let v = Double(token), v.isFinite else {
            throw CascadeError.invalidElement(element: e.name, line: e.line, expected: "a number, found '\(token.prefix(40))'")
        }
        return v
    }

    /// A number that the detector stores as a Float: finite once narrowed (1e300 is a Double, not a Float).
    private static func float(_ token: Substring, in e: XMLElement) throws -> Float {
        let v = Float(try real(token, in: e))
        guard v.isFinite else {
            throw CascadeError.invalidElement(element: e.name, line: e.line,
                                              expected: "a number within ±\(Float.greatestFiniteMagnitude), found '\(token.prefix(40))'")
        }
        return v
    }

    /// A rectangle coordinate or size: checked against the window before any sum is formed, so
    /// values near Int.max cannot overflow the inside-the-window tests.
    private static func coordinate(_ token: Substring, in e: XMLElement, of element: String, width: Int, height: Int) throws -> Int {
        let v = try intToken(token, in: e)
        guard v >= 0 && v <= max(width, height) else {
            throw CascadeError.invalidElement(element: element, line: e.line,
                                              expected: "a rectangle inside the \(width)x\(height) window, found a coordinate of \(v)")
        }
        return v
    }

    private static func intToken(_ token: Substring, in e: XMLElement) throws -> Int {
        guard let v = Int(token) else {
            throw CascadeError.invalidElement(element: e.name, line: e.line, expected: "an integer, found '\(token.prefix(40))'")
        }
        return v
    }

    // MARK: - Cascade

    private static func readCascade(_ c: XMLElement) throws -> HaarCascade {
        let stageType = try required(c, "stageType")
        guard stageType.text.trimmingWhitespace == "BOOST" else {
            throw CascadeError.unsupported(element: "stageType", line: stageType.line,
                                           what: "stage type '\(stageType.text.trimmingWhitespace)', expected BOOST")
        }
        let ft = try required(c, "featureType")
        guard let featureType = HaarCascade.FeatureType(rawValue: ft.text.trimmingWhitespace) else {
            throw CascadeError.unsupported(element: "featureType", line: ft.line,
                                           what: "feature type '\(ft.text.trimmingWhitespace)', expected HAAR or LBP")
        }
        let height = try integer(try required(c, "height"), "the window height")
        let width = try integer(try required(c, "width"), "the window width")
        guard width >= 3 && height >= 3 && width <= 1024 && height <= 1024 else {
            throw CascadeError.invalidElement(element: "width", line: c.line, expected: "a window size between 3 and 1024 pixels")
        }
        var categories = 0
        if let fp = c.child("featureParams"), let mc = fp.child("maxCatCount") {
            categories = try integer(mc, "the category count")
            // LBP codes have 256 values; the count sizes every node's category mask.
            guard (0...256).contains(categories) else {
                throw CascadeError.invalidElement(element: "maxCatCount", line: mc.line, expected: "a category count in 0...256, found \(categories)")
            }
        }
        if featureType == .lbp && categories <= 0 {
            throw CascadeError.invalidElement(element: "maxCatCount", line: c.line, expected: "a positive category count for LBP features")
        }
        let featuresNode = try required(c, "features")
        var haar: [HaarCascade.HaarFeature] = []
        var lbp: [HaarCascade.LBPFeature] = []
        for f in featuresNode.children {
            switch featureType {
            case .haar: haar.append(try readHaarFeature(f, width: width, height: height))
            case .lbp: lbp.append(try readLBPFeature(f, width: width, height: height))
            }
        }
        let featureCount = featureType == .haar ? haar.count : lbp.count
        guard featureCount > 0 else {
            throw CascadeError.invalidElement(element: "features", line: featuresNode.line, expected: "at least one feature")
        }
        let subsetSize = categories > 0 ? (categories + 31) / 32 : 0
        let stages = try requiredList(c, "stages", expected: "at least one stage") {
            try readStage($0, subsetSize: subsetSize, featureCount: featureCount)
        }
        if let n = c.child("stageNum"), let count = Int(n.text.trimmingWhitespace), count != stages.count {
            throw CascadeError.invalidElement(element: "stageNum", line: n.line, expected: "\(stages.count) (the number of <stages> entries), found \(count)")
        }
        return HaarCascade(featureType: featureType, windowWidth: width, windowHeight: height, categoryCount: categories,
                           stages: stages, haarFeatures: haar, lbpFeatures: lbp)
    }

    private static func readStage(_ s: XMLElement, subsetSize: Int, featureCount: Int) throws -> HaarCascade.Stage {
        let thresholdNode = try required(s, "stageThreshold")
        let thresholdTokens = tokens(thresholdNode)
        guard thresholdTokens.count == 1 else {
            throw CascadeError.invalidElement(element: "stageThreshold", line: thresholdNode.line, expected: "one number")
        }
        let threshold = try float(thresholdTokens[0], in: thresholdNode)
        let trees = try requiredList(s, "weakClassifiers", expected: "at least one weak classifier") {
            try readTree($0, subsetSize: subsetSize, featureCount: featureCount)
        }
        return HaarCascade.Stage(threshold: threshold, trees: trees)
    }

    private static func readTree(_ w: XMLElement, subsetSize: Int, featureCount: Int) throws -> HaarCascade.Tree {
        let nodesNode = try required(w, "internalNodes")
        let leavesNode = try required(w, "leafValues")
        let t = tokens(nodesNode)
        let stride = 3 + (subsetSize > 0 ? subsetSize : 1)
        guard !t.isEmpty && t.count % stride == 0 else {
            throw CascadeError.invalidElement(element: "internalNodes", line: nodesNode.line,
                expected: "groups of \(stride) numbers (left right feature \(subsetSize > 0 ? "subset[\(subsetSize)]" : "threshold")), found \(t.count)")
        }
        let leaves = try tokens(leavesNode).map { try float($0, in: leavesNode) }
        let nodeCount = t.count / stride
        guard leaves.count == nodeCount + 1 else {
            throw CascadeError.invalidElement(element: "leafValues", line: leavesNode.line,
                                              expected: "\(nodeCount + 1) leaves for \(nodeCount) nodes, found \(leaves.count)")
        }
        var nodes: [HaarCascade.Node] = []
        for i in 0..<nodeCount {
            let base = i * stride
            let left = try intToken(t[base], in: nodesNode)
            let right = try intToken(t[base + 1], in: nodesNode)
            let feature = try intToken(t[base + 2], in: nodesNode)
            guard feature >= 0 && feature < featureCount else {
                throw CascadeError.invalidElement(element: "internalNodes", line: nodesNode.line,
                                                  expected: "a feature index below \(featureCount), found \(feature)")
            }
            for child in [left, right] {
                let ok = child > 0 ? (child > i && child < nodeCount) : (child >= -nodeCount)  // not -child: Int.min has no negation
                guard ok else {
                    throw CascadeError.invalidElement(element: "internalNodes", line: nodesNode.line,
                        expected: "child \(child) of node \(i) to be a later node (< \(nodeCount)) or a leaf (>= -\(nodeCount))")
                }
            }
            var subset: [Int32] = []
            var threshold: Float = 0
            if subsetSize > 0 {
                for k in 0..<subsetSize {
                    let v = try intToken(t[base + 3 + k], in: nodesNode)
                    guard let v32 = Int32(exactly: v) ?? (v >= 0 && v <= Int(UInt32.max) ? Int32(bitPattern: UInt32(v)) : nil) else {
                        throw CascadeError.invalidElement(element: "internalNodes", line: nodesNode.line, expected: "a 32-bit category mask, found \(v)")
                    }
                    subset.append(v32)
                }
            } else {
                threshold = try float(t[base + 3], in: nodesNode)
            }
            nodes.append(HaarCascade.Node(featureIndex: feature, threshold: threshold, subset: subset, left: left, right: right))
        }
        return HaarCascade.Tree(nodes: nodes, leaves: leaves)
    }

    // MARK: - Features

    private static func readHaarFeature(_ f: XMLElement, width: Int, height: Int) throws -> HaarCascade.HaarFeature {
        let rectsNode = try required(f, "rects")
        var tilted = false
        if let t = f.child("tilted") { tilted = try integer(t, "0 or 1") != 0 }
        var rects: [HaarCascade.WeightedRect] = []
        for r in rectsNode.children {
            let t = tokens(r)
            guard t.count == 5 else {
                throw CascadeError.invalidElement(element: "rects", line: r.line, expected: "'x y width height weight', found \(t.count) numbers")
            }
            let v = try t.prefix(4).map { try coordinate($0, in: r, of: "rects", width: width, height: height) }
            let (x, y, w, h) = (v[0], v[1], v[2], v[3])
            let weight = try float(t[4], in: r)
            let inside = tilted
                ? (w >= 0 && h >= 0 && x - h >= 0 && x + w <= width && y >= 0 && y + w + h <= height)
                : (w >= 0 && h >= 0 && x >= 0 && y >= 0 && x + w <= width && y + h <= height)
            guard inside else {
                throw CascadeError.invalidElement(element: "rects", line: r.line,
                    expected: "a\(tilted ? " tilted" : "") rectangle inside the \(width)x\(height) window, found \(x) \(y) \(w) \(h)")
            }
            rects.append(HaarCascade.WeightedRect(x: x, y: y, width: w, height: h, weight: weight))
        }
        guard (1...3).contains(rects.count) else {
            throw CascadeError.invalidElement(element: "rects", line: rectsNode.line, expected: "1 to 3 rectangles, found \(rects.count)")
        }
        return HaarCascade.HaarFeature(rects: rects, tilted: tilted)
    }

    private static func readLBPFeature(_ f: XMLElement, width: Int, height: Int) throws -> HaarCascade.LBPFeature {
        let r = try required(f, "rect")
        let t = tokens(r)
        guard t.count == 4 else {
            throw CascadeError.invalidElement(element: "rect", line: r.line, expected: "'x y width height', found \(t.count) numbers")
        }
        let v = try t.map { try coordinate($0, in: r, of: "rect", width: width, height: height) }
        let (x, y, w, h) = (v[0], v[1], v[2], v[3])
        guard x >= 0 && y >= 0 && w > 0 && h > 0 && x + 3 * w <= width && y + 3 * h <= height else {
            throw CascadeError.invalidElement(element: "rect", line: r.line,
                                              expected: "a 3x3 cell grid inside the \(width)x\(height) window, found \(x) \(y) \(w) \(h)")
        }
        return HaarCascade.LBPFeature(x: x, y: y, width: w, height: h)
    }
}

extension String {
    var trimmingWhitespace: String {
        String(self.drop(while: { $0.isWhitespace }).reversed().drop(while: { $0.isWhitespace }).reversed())
    }
}
