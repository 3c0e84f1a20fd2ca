// SIMD helpers for elementwise loops over float buffers: 16 lanes at a time, scalar tail.

@usableFromInline
enum Vector {
    typealias V = SIMD16<Float>
    static let width = 16

    @inline(__always) static func load(_ p: UnsafePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> V {
        UnsafeRawPointer(p + i).loadUnaligned(as: V.self)
    }

    @inline(__always) static func store(_ v: V, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: V.self)
    }

    /// Calls `vector(i)` for each full 16-element step of `range`, then `scalar(i)` for the rest.
    @inline(__always) static func apply(_ range: Range<Int>, vector: (Int) -> Void, scalar: (Int) -> Void) {
        var i = range.lowerBound
        while i + width <= range.upperBound {
            vector(i)
            i += width
        }
        while i < range.upperBound {
            scalar(i)
            i += 1
        }
    }
}
