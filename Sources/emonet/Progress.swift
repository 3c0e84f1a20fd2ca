// Progress on stderr: a redrawn bar on a terminal, a plain line every few seconds otherwise
// (so `nohup … > log` stays readable).
import Foundation

final class ProgressBar {
    let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw = Date.distantPast
    private let interval: TimeInterval

    init(plainInterval: TimeInterval = 30) {
        interval = plainInterval
    }

    /// Draws `fraction` done with a label before and details after; `force` draws regardless of rate.
    func update(_ label: String, fraction: Double, detail: String, force: Bool = false) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= (isTerminal ? 0.2 : interval) else { return }
        lastDraw = now
        let f = min(max(fraction, 0), 1)
        if isTerminal {
            let width = 28, filled = Int(f * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data("\r\u{1B}[K\(label) \(bar) \(String(format: "%3.0f%%", f * 100)) \(detail)".utf8))
        } else {
            FileHandle.standardError.write(Data("\(label) \(String(format: "%3.0f%%", f * 100)) \(detail)\n".utf8))
        }
    }

    /// Ends the bar's line (on a terminal) so the next message starts clean.
    func finish() {
        if isTerminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "--" }
        let s = Int(seconds.rounded())
        if s >= 3600 { return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60) }
        if s >= 60 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return "\(s)s"
    }
}

/// A line on stderr.
func note(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}
