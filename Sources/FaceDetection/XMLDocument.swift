// A small XML reader for OpenCV FileStorage files: elements, attributes, text, comments, the
// <?xml?> prolog and CDATA. No DTDs, namespaces or entities beyond the five predefined ones and
// numeric references. Errors carry the line number and the element being read, so a malformed
// cascade file says where it broke. Kept dependency-free (FoundationXML is not needed for this).
// Elements nest at most `maximumDepth` deep: the reader recurses once per level, and a file nested
// tens of thousands of levels deep would otherwise overflow the stack (OpenCV's cascades nest 6 deep).

/// One XML element: its name, attributes, text content (concatenated) and child elements.
struct XMLElement {
    var name: String
    var attributes: [String: String] = [:]
    var text: String = ""
    var children: [XMLElement] = []
    /// 1-based line of the start tag, for error messages.
    var line: Int = 0

    /// The first child with the given name.
    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
}

/// Why XML text could not be parsed.
struct XMLSyntaxError: Error {
    var line: Int
    var element: String?
    var message: String
}

/// Parses `bytes` (UTF-8 or Latin-1 compatible) into its root element.
struct XMLParser {
    /// The deepest nesting read; deeper documents are refused before the stack could overflow.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1

    init(bytes: [UInt8]) { self.bytes = bytes }

    static func parse(_ bytes: [UInt8]) throws -> XMLElement {
        var parser = XMLParser(bytes: bytes)
        return try parser.parseDocument()
    }

    private mutating func parseDocument() throws -> XMLElement {
        try skipMisc()
        guard index < bytes.count else { throw error(nil, "no root element (empty document)") }
        let root = try parseElement(parent: nil, depth: 1)
        try skipMisc()
        guard index >= bytes.count else { throw error(nil, "content after the root element </\(root.name)>") }
        return root
    }

    // MARK: - Pieces

    private func error(_ element: String?, _ message: String) -> XMLSyntaxError {
        XMLSyntaxError(line: line, element: element, message: message)
    }

    private func peek(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard index + u.count <= bytes.count else { return false }
        return bytes[index..<(index + u.count)].elementsEqual(u)
    }

    private mutating func advance(_ n: Int = 1) {
        for _ in 0..<n where index < bytes.count {
            if bytes[index] == 0x0A { line += 1 }
            index += 1
        }
    }

    private mutating func skipUntil(_ terminator: String, context: String?) throws {
        while index < bytes.count && !peek(terminator) { advance() }
        guard index < bytes.count else { throw error(context, "unterminated construct, expected '\(terminator)'") }
        advance(terminator.utf8.count)
    }

    private mutating func skipSpace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { advance() }
    }

    /// Whitespace, comments, processing instructions and a DOCTYPE between elements.
    private mutating func skipMisc() throws {
        while true {
            skipSpace()
            if peek("<?") { try skipUntil("?>", context: nil) }
            else if peek("<!--") { try skipUntil("-->", context: nil) }
            else if peek("<!DOCTYPE") { try skipUntil(">", context: nil) }
            else { return }
        }
    }

    private static func isNameByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x3A || b >= 0x80
    }

    private mutating func parseName(context: String?) throws -> String {
        let start = index
        while index < bytes.count && XMLParser.isNameByte(bytes[index]) { advance() }
        guard index > start else {
            let found = index < bytes.count ? "'\(Character(Unicode.Scalar(bytes[index])))'" : "end of file"
            throw error(context, "expected a name, found \(found)")
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    private mutating func parseElement(parent: String?, depth: Int) throws -> XMLElement {
        guard peek("<") else { throw error(parent, "expected '<'") }
        guard depth <= XMLParser.maximumDepth else {
            throw error(parent, "elements nested more than \(XMLParser.maximumDepth) levels deep (a cascade nests 6)")
        }
        let startLine = line
        advance()
        var element = XMLElement(name: try parseName(context: parent), line: startLine)
        // Attributes.
        while true {
            skipSpace()
            if peek("/>") { advance(2); return element }
            if peek(">") { advance(); break }
            guard index < bytes.count else { throw error(element.name, "unterminated start tag") }
            let key = try parseName(context: element.name)
            skipSpace()
            guard peek("=") else { throw error(element.name, "expected '=' after attribute \(key)") }
            advance()
            skipSpace()
            guard index < bytes.count, bytes[index] == 0x22 || bytes[index] == 0x27 else {
                throw error(element.name, "expected a quoted value for attribute \(key)")
            }
            let quote = bytes[index]
            advance()
            let start = index
            while index < bytes.count && bytes[index] != quote { advance() }
            guard index < bytes.count else { throw error(element.name, "unterminated value of attribute \(key)") }
            element.attributes[key] = try decodeEntities(bytes[start..<index], context: element.name)
            advance()
        }
        // Content.
        var text: [UInt8] = []
        while true {
            guard index < bytes.count else {
                throw error(element.name, "missing end tag </\(element.name)> (file truncated?)")
            }
            if bytes[index] != 0x3C {
                // A run of character data up to the next markup.
                let start = index
                while index < bytes.count && bytes[index] != 0x3C {
                    if bytes[index] == 0x0A { line += 1 }
                    index += 1
                }
                text.append(contentsOf: bytes[start..<index])
            } else if peek("</") {
                advance(2)
                let name = try parseName(context: element.name)
                guard name == element.name else {
                    throw error(element.name, "mismatched end tag </\(name)>, expected </\(element.name)>")
                }
                skipSpace()
                guard peek(">") else { throw error(element.name, "expected '>' to close </\(name)") }
                advance()
                element.text = try decodeEntities(text[...], context: element.name)
                return element
            } else if peek("<!--") {
                try skipUntil("-->", context: element.name)
            } else if peek("<![CDATA[") {
                advance(9)
                let start = index
                try skipUntil("]]>", context: element.name)
                text.append(contentsOf: bytes[start..<(index - 3)])
            } else if peek("<?") {
                try skipUntil("?>", context: element.name)
            } else {
                element.children.append(try parseElement(parent: element.name, depth: depth + 1))
            }
        }
    }

    private func decodeEntities(_ raw: ArraySlice<UInt8>, context: String) throws -> String {
        guard raw.contains(0x26) else { return String(decoding: raw, as: UTF8.self) }
        var s = String(decoding: raw, as: UTF8.self)
        var out = ""
        while let amp = s.firstIndex(of: "&") {
            out += s[..<amp]
            guard let semi = s[amp...].firstIndex(of: ";") else { throw error(context, "unterminated entity") }
            let name = String(s[s.index(after: amp)..<semi])
            switch name {
            case "lt": out += "<"
            case "gt": out += ">"
            case "amp": out += "&"
            case "quot": out += "\""
            case "apos": out += "'"
            default:
                let value: UInt32?
                if name.hasPrefix("#x") { value = UInt32(name.dropFirst(2), radix: 16) }
                else if name.hasPrefix("#") { value = UInt32(name.dropFirst()) }
                else { value = nil }
                guard let v = value, let scalar = Unicode.Scalar(v) else {
                    throw error(context, "unknown entity &\(name);")
                }
                out.unicodeScalars.append(scalar)
            }
            s = String(s[s.index(after: semi)...])
        }
        return out + s
    }
}
