// SIGINT and SIGTERM during a run: the first one calls `stop` (the run then ends within PipelineRun.stopGrace),
// a second one exits at once with status 130. Installed by PipelineRun.start, removed by PipelineRun.close.
import Dispatch
import Foundation

final class SignalStopper: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let lock = NSLock()
    private var count = 0

    init(stop: @escaping () -> Void) {
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

    var fired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return count > 0
    }

    func cancel() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
