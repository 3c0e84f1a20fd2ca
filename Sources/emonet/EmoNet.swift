// The `emonet` command line: one root command, one file per subcommand.
// Subcommands stay thin: parse and validate, call the libraries, print, map errors to one line.
import ArgumentParser
import NeuralNet

@main
struct EmoNet: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "emonet",
        abstract: "Real-time facial emotion detection: camera or video in, boxed and labelled faces out.",
        version: version,
        subcommands: [
            // Keep this list in the order a new user meets the commands.
            Live.self,
            Replay.self,
            Merge.self,
            Devices.self,
            Detect.self,
            Classify.self,
            Train.self,
            Eval.self,
            Average.self,
            Quantize.self,
            Curves.self,
            ModelInfo.self,
        ])

    /// OpenBLAS's environment before anything else runs (Gemm.prepareEnvironment), then the command line.
    static func main() {
        Gemm.prepareEnvironment()
        main(nil)
    }
}
