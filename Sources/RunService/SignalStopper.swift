// SIGINT and SIGTERM during a run: the first one calls `stop` (the run then ends within PipelineRun.stopGrace),
// a second one exits at once with status 130. Installed by PipelineRun.start, removed by PipelineRun.close;
// a batch of concurrent runs (`emonet replay --jobs`) installs one for all of them instead.
import Dispatch
import Foundation

public final class SignalStopper: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    public init(stop: @escaping () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [self] in
                lock.lock()
                count += 1
                let first = count == 1
                lock.unlock()
                if first {
                    RunMessages.say("stopping…")
                    stop()
                } else {
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    public var fired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }

    public func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
