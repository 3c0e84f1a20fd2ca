// `emonet curves`: redraw the training curves of a run from its epoch log.
import ArgumentParser
import Emotion
import Foundation

struct Curves: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw training curves (loss and accuracy per epoch) from a training log to a PNG.")

    @Argument(help: "The epoch log written by `emonet train` (<out>.log.json).")
    var log: String

    @Option(name: .shortAndLong, help: "PNG to write (default: the log's name with .curves.png).")
    var out: String?

    @OptionGroup var output: OutputOptions

    func run() throws {
        try CLIErrors.reporting {
            let path = out ?? (log.hasSuffix(".log.json") ? String(log.dropLast(".log.json".count)) : log) + ".curves.png"
            try OutputPlan(inputs: [log], force: output.force).check([path])
            guard let data = FileManager.default.contents(atPath: log) else {
                throw CLIMessage("\(log): cannot be read")
            }
            guard let history = try? JSONDecoder().decode([EpochRecord].self, from: data) else {
                throw CLIMessage("\(log): not a training log (expected a JSON list of epoch records)")
            }
            guard !history.isEmpty else { throw CLIMessage("\(log): has no epochs yet") }
            try ChartFiles.writeTrainingCurves(history, title: URL(fileURLWithPath: log).lastPathComponent, path: path)
            print("\(path): \(history.count) epochs")
        }
    }
}
