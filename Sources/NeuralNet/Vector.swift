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

    /// Σ p[0..<n] and Σ p[0..<n]² with vector partial sums, returned in Double.
    @inline(__always) static func sumAndSquares(_ p: UnsafePointer<Float>, _ n: Int) -> (Double, Double) {
        var s = V(), q = V()
        var i = 0
        while i + width <= n {
            let v = load(p, i)
            s += v
            q += v * v
            i += width
        }
        var sum = Double(s.sum()), squares = Double(q.sum())
        while i < n {
            sum += Double(p[i])
            squares += Double(p[i]) * Double(p[i])
            i += 1
        }
        return (sum, squares)
    }

    /// Σ a[i] and Σ a[i]·b[i] over 0..<n, in Double.
    @inline(__always) static func sumAndDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> (Double, Double) {
        var s = V(), d = V()
        var i = 0
        while i + width <= n {
            let v = load(a, i)
            s += v
            d += v * load(b, i)
            i += width
        }
        var sum = Double(s.sum()), dot = Double(d.sum())
        while i < n {
            sum += Double(a[i])
            dot += Double(a[i]) * Double(b[i])
            i += 1
        }
        return (sum, dot)
    }
}
