// What the sanitizer runs (`make test-tsan`, `make test-asan`) change for tests that drive child processes.
import XCTest

public enum Sanitizers {
    /// Under ThreadSanitizer a child emonet never sees SIGINT or SIGTERM: its handlers are libdispatch signal
    /// sources, and with TSan's signal interception in the way they never fire (the instrumented `emonet live`
    /// kept running for ten minutes after Ctrl-C; the release and ASan builds stop at once). `make test-tsan`
    /// sets EMONET_TSAN=1 and the tests that stop a child with a signal are skipped there; they run in
    /// `make test` and `make test-asan`.
    public static func skipIfSignalsAreNotDelivered() throws {
        if ProcessInfo.processInfo.environment["EMONET_TSAN"] == "1" {
            throw XCTSkip("under ThreadSanitizer signals do not reach the child's DispatchSource handlers")
        }
    }
}
