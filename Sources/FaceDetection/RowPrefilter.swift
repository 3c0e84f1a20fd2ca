// A vector pre-pass for stump-based Haar cascades (the frontal face cascades): for every window
// position of one scan row it computes, eight positions at a time, the first `stageCount` stages —
// where most windows are rejected — with the same float operations in the same order as the
// scalar path, lane by lane, and stage sums in double; so each lane's outcome is bit-for-bit the
// scalar one. The scanner then walks the row in OpenCV's order (including the skip after a stage-0
// rejection) and finishes only the windows that passed these stages, starting at `stageCount`.
//
// Lanes past the end of the row read into padding at the end of the planes (never used); the
// planes buffer carries that padding (IntegralPlanes.padding).

struct RowPrefilter {
    let cascade: FlatCascade
    /// How many leading stages the vector pass evaluates.
    let stageCount: Int

    init(cascade: FlatCascade, stageCount: Int = 4) {
        self.cascade = cascade
        self.stageCount = min(stageCount, cascade.stages.count)
    }

    /// For the windows at x = k·step, k < count, of the row at `row`, fills `factor[k]` with the
    /// variance-normalisation factor (0 when OpenCV's setWindow refuses the window: low contrast)
    /// and `reached[k]` with the number of leading stages passed (0...stageCount; only meaningful
    /// where the factor is not 0). Both buffers need `count + 8` elements.
    func run(row: UnsafePointer<UInt32>, step: Int, count: Int,
             reached: UnsafeMutablePointer<Int64>, factor: UnsafeMutablePointer<Float>) {
        // Variance normalisation, eight windows at a time with CascadeScanner.varianceNormFactor's
        // double arithmetic (IEEE sqrt and division are exact per lane). A real factor is 1/σ·… > 0,
        // so 0 marks a refused window; lanes past `count` are set to 0 (dead).
        var k = 0
        while k < count {
            let f = step == 1 ? normFactors(row + k, RowPrefilter.load1) : normFactors(row + 2 * k, RowPrefilter.load2)
            UnsafeMutableRawPointer(factor + k).storeBytes(of: f, as: SIMD8<Float>.self)
            k += 8
        }
        for k in count..<(count + 8) { factor[k] = 0 }
        cascade.haarNodes.withUnsafeBufferPointer { nodes in
            k = 0
            while k < count {
                let f = UnsafeRawPointer(factor + k).loadUnaligned(as: SIMD8<Float>.self)
                var alive: SIMDMask<SIMD8<Int64>> = SIMD8<Double>(f) .!= SIMD8<Double>()
                var passedStages = SIMD8<Int64>()
                if any(alive) {
                    let p = row + k * step
                    var n = nodes.baseAddress!
                    for s in 0..<stageCount {
                        let stage = cascade.stages[s]
                        var total = SIMD8<Double>()
                        for _ in 0..<stage.treeCount {
                            let value = step == 1 ? RowPrefilter.values(n, p, f, RowPrefilter.load1)
                                                  : RowPrefilter.values(n, p, f, RowPrefilter.load2)
                            let leaf = SIMD8<Float>(repeating: Float(n.pointee.rightValue))
                                .replacing(with: Float(n.pointee.leftValue), where: value .< n.pointee.threshold)
                            total += SIMD8<Double>(leaf)
                            n += 1
                        }
                        let stagePassed: SIMDMask<SIMD8<Int64>> = total .>= SIMD8<Double>(repeating: Double(stage.threshold))
                        alive = alive .& stagePassed
                        passedStages.replace(with: SIMD8<Int64>(repeating: Int64(s + 1)), where: alive)
                        if !any(alive) { break }
                    }
                }
                UnsafeMutableRawPointer(reached + k).storeBytes(of: passedStages, as: SIMD8<Int64>.self)
                k += 8
            }
        }
    }

    /// The integral values of eight windows one pixel apart (step 1) at `p`.
    @inline(__always)
    static func load1(_ p: UnsafePointer<UInt32>) -> SIMD8<UInt32> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt32>.self)
    }

    /// The same for eight windows two pixels apart (step 2).
    @inline(__always)
    static func load2(_ p: UnsafePointer<UInt32>) -> SIMD8<UInt32> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<UInt32>.self).evenHalf
    }

    /// OpenCV's setWindow for eight windows: nf = area·Σq − (Σs)² in double, factor = float(1/√nf),
    /// refused (0) unless nf > 0 and area·factor < 0.1.
    @inline(__always)
    private func normFactors(_ p: UnsafePointer<UInt32>, _ load: (UnsafePointer<UInt32>) -> SIMD8<UInt32>) -> SIMD8<Float> {
        let (a, b, c, d) = cascade.normOffsets
        let q = p + cascade.planeSize
        let sum = SIMD8<Int32>(truncatingIfNeeded: load(p + a) &- load(p + b) &- load(p + c) &+ load(p + d))
        let squares = load(q + a) &- load(q + b) &- load(q + c) &+ load(q + d)
        let area = SIMD8<Double>(repeating: cascade.normArea)
        let s = SIMD8<Double>(sum)
        let nf = area * SIMD8<Double>(squares) - s * s
        let positive: SIMDMask<SIMD8<Int64>> = nf .> SIMD8<Double>()
        let factor = SIMD8<Float>(1.0 / nf.squareRoot())
        let contrasted: SIMDMask<SIMD8<Int64>> = area * SIMD8<Double>(factor) .< SIMD8<Double>(repeating: 1e-1)
        // Widening a float to double and back is exact, so the kept factors are unchanged.
        return SIMD8<Float>(SIMD8<Double>(factor).replacing(with: 0, where: .!(positive .& contrasted)))
    }

    /// Eight rectangle sums (a − b − c + d, corners as offsets from `p`), one per window `load` reads.
    @inline(__always)
    static func rectSums(_ p: UnsafePointer<UInt32>, _ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32,
                         _ load: (UnsafePointer<UInt32>) -> SIMD8<UInt32>) -> SIMD8<Float> {
        SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: load(p + Int(a)) &- load(p + Int(b)) &- load(p + Int(c)) &+ load(p + Int(d))))
    }

    /// Feature values of the eight windows `load` reads (one or two pixels apart), as
    /// CascadeScanner.haarValue computes each. Always inlined with `load`, like normFactors, so each
    /// step keeps its own straight-line vector code.
    @inline(__always)
    static func values(_ n: UnsafePointer<HaarNode>, _ p: UnsafePointer<UInt32>, _ f: SIMD8<Float>,
                       _ load: (UnsafePointer<UInt32>) -> SIMD8<UInt32>) -> SIMD8<Float> {
        let m = n.pointee
        let a: SIMD8<Float> = m.w0 * rectSums(p, m.o00, m.o01, m.o02, m.o03, load)
        let b: SIMD8<Float> = m.w1 * rectSums(p, m.o10, m.o11, m.o12, m.o13, load)
        var v = a + b
        if m.w2 != 0 { v += m.w2 * rectSums(p, m.o20, m.o21, m.o22, m.o23, load) }
        return v * f
    }
}
