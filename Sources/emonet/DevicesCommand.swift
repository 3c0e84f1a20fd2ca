// `emonet devices`: the video capture devices, each with its card, driver and the native formats,
// sizes and rates it offers (all are converted to RGB24 by libv4lconvert when captured).
import ArgumentParser
import Capture

struct Devices: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices", abstract: "List video capture devices with their formats, sizes and frame rates.")

    @Argument(help: "Device paths to describe (default: every /dev/video*).")
    var paths: [String] = []

    func run() throws {
        try CLIErrors.reporting {
            if !paths.isEmpty {
                // Named devices: each must be describable, so a typo gets its own one-line error.
                for (k, path) in paths.enumerated() {
                    if k > 0 { print("") }
                    print(try VideoDevices.describe(path: path).summary)
                }
                return
            }
            let devices = VideoDevices.survey()
            if devices.isEmpty {
                print("no video devices found (looked at /dev/video*)")
                return
            }
            let blocks = devices.map { device -> String in
                switch device.result {
                case .success(let info): return info.summary
                case .failure(let error): return "\(device.path): \(error.localizedDescription)"
                }
            }
            print(blocks.joined(separator: "\n\n"))
        }
    }
}
