// The one clock of the live path: CLOCK_MONOTONIC in seconds, the clock V4L2 drivers stamp buffers with,
// so a camera frame's driver timestamp and the moment its result is ready can be subtracted directly.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum MonotonicClock {
    /// Seconds on CLOCK_MONOTONIC (arbitrary origin, never goes back).
    public static func now() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }
}
