// The process's peak resident memory, for tests that check a reader fails before allocating what a
// lying header declares. The peak only grows, so a test compares it before and after the read.
import Foundation

public enum PeakMemory {
    /// Peak resident set size so far, in bytes (getrusage's ru_maxrss is in KiB on Linux).
    public static func residentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
