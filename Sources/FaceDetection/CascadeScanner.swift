// Scans one pyramid level with a flattened cascade, visiting windows exactly as OpenCV's
// CascadeClassifierInvoker does: rows y = 0, step, 2·step, ...; within a row x advances by `step`,
// and by 2·step after a window rejected at stage 0 (OpenCV's `if (result == 0) x += yStep`).
// A window with too little contrast (OpenCV's setWindow: area/σ-norm >= 0.1) is skipped without
// that extra step. The skip makes which windows are evaluated data-dependent, so the scan must
// follow this order to find OpenCV's windows.
//
// For stump-based Haar cascades (the frontal face ones) the first stages of a whole row are
// computed eight windows at a time by RowPrefilter, then the row is walked in the same order.
// The hot loops read the integral planes through raw pointers; offsets were checked on load to stay
// inside the window, and windows stay inside the level (x < positionsX, y < positionsY).

struct CascadeScanner {
    let cascade: FlatCascade
    /// Use RowPrefilter for stump-based Haar cascades. Results are identical either way (tests
    /// compare the two); debug builds default to the scalar path because unoptimised SIMD code is
    /// some fifty times slower there.
    var vectorPrefilter: Bool = CascadeScanner.vectorPrefilterByDefault

    #if DEBUG
    static let vectorPrefilterByDefault = false
    #else
    static let vectorPrefilterByDefault = true
    #endif

    /// Appends the (x, y) of every accepted window of `level`, in scan order.
    /// `columns`: for the row at y, the window indices k (x = k·step) to visit (nil: the whole row);
    /// each row's walk starts at its first index.
    func scan(level: PyramidLevel, planes: UnsafePointer<UInt32>, rows: Range<Int>? = nil,
              columns: ((_ y: Int) -> Range<Int>)? = nil, into hits: inout [(x: Int32, y: Int32)]) {
        let step = level.step
        let yRange = rows ?? 0..<level.positionsY
        var y = yRange.lowerBound
        // Rows are multiples of the step, as in OpenCV (its stripes are multiples of the step too).
        if y % step != 0 { y += step - y % step }
        if vectorPrefilter && cascade.featureType == .haar && cascade.isStumpBased && !cascade.needsTilted
            && level.positionsX > 0 {
            scanWithPrefilter(level: level, planes: planes, firstRow: y, endRow: yRange.upperBound, columns: columns, into: &hits)
            return
        }
        let count = (level.positionsX + step - 1) / step
        while y < yRange.upperBound {
            let ks = columns.map { $0(y).clamped(to: 0..<count) } ?? 0..<count
            var x = ks.lowerBound * step
            let end = min(level.positionsX, ks.upperBound * step)
            let row = planes + y * cascade.stride
            while x < end {
                let result = evaluate(row + x)
                if result > 0 { hits.append((Int32(x), Int32(y))) }
                x += result == 0 ? 2 * step : step
            }
            y += step
        }
    }

    /// The same scan with the first stages computed eight windows at a time (RowPrefilter).
    private func scanWithPrefilter(level: PyramidLevel, planes: UnsafePointer<UInt32>, firstRow: Int, endRow: Int,
                                   columns: ((_ y: Int) -> Range<Int>)?, into hits: inout [(x: Int32, y: Int32)]) {
        let step = level.step
        let count = (level.positionsX + step - 1) / step
        let prefilter = RowPrefilter(cascade: cascade)
        let covered = prefilter.stageCount
        var reached = [Int64](repeating: 0, count: count + 8)
        var factors = [Float](repeating: 0, count: count + 8)
        reached.withUnsafeMutableBufferPointer { st in
        factors.withUnsafeMutableBufferPointer { fa in
            var y = firstRow
            while y < endRow {
                let row = planes + y * cascade.stride
                let ks = columns.map { $0(y).clamped(to: 0..<count) } ?? 0..<count
                guard !ks.isEmpty else { y += step; continue }
                // Lane i of the pre-pass is window first + i.
                let first = ks.lowerBound
                prefilter.run(row: row + first * step, step: step, count: ks.count, reached: st.baseAddress!, factor: fa.baseAddress!)
                var k = first
                while k < ks.upperBound {
                    let s = Int(st[k - first])
                    let f = fa[k - first]
                    let result: Int
                    if f == 0 {
                        result = -1            // low contrast: no extra skip
                    } else if s < covered {
                        result = -s
                    } else {
                        result = haarStumps(row + k * step, f, fromStage: covered)
                    }
                    if result > 0 { hits.append((Int32(k * step), Int32(y))) }
                    k += result == 0 ? 2 : 1
                }
                y += step
            }
        }
        }
    }

    /// OpenCV's runAt: -1 when the window is skipped (low contrast), -stage when rejected at
    /// `stage` (0 for the first), 1 when accepted by every stage.
    @inline(__always)
    func evaluate(_ p: UnsafePointer<UInt32>) -> Int {
        switch cascade.featureType {
        case .haar:
            guard let factor = varianceNormFactor(p) else { return -1 }
            return cascade.isStumpBased ? haarStumps(p, factor, fromStage: 0) : haarTrees(p, factor)
        case .lbp:
            return lbpTrees(p)
        }
    }

    /// 1/σ·area of the window's inner rectangle as float, or nil when OpenCV's setWindow rejects it.
    @inline(__always)
    func varianceNormFactor(_ p: UnsafePointer<UInt32>) -> Float? {
        let (a, b, c, d) = cascade.normOffsets
        let sum = Int32(bitPattern: p[a] &- p[b] &- p[c] &+ p[d])
        let q = p + cascade.planeSize
        let squares = q[a] &- q[b] &- q[c] &+ q[d]
        let area = cascade.normArea
        var nf = area * Double(squares) - Double(sum) * Double(sum)
        guard nf > 0 else { return nil }
        nf = nf.squareRoot()
        let factor = Float(1.0 / nf)
        return area * Double(factor) < 1e-1 ? factor : nil
    }

    @inline(__always)
    static func rectSum(_ p: UnsafePointer<UInt32>, _ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Float {
        Float(Int32(bitPattern: p[Int(a)] &- p[Int(b)] &- p[Int(c)] &+ p[Int(d)]))
    }

    /// The Haar node's feature value times the variance factor (OpenCV's float arithmetic).
    @inline(__always)
    static func haarValue(_ n: UnsafePointer<HaarNode>, _ p: UnsafePointer<UInt32>, _ factor: Float) -> Float {
        // OpenCV: ret = w0*s0 + w1*s1; if (w2 != 0) ret += w2*s2.
        var v = n.pointee.w0 * rectSum(p, n.pointee.o00, n.pointee.o01, n.pointee.o02, n.pointee.o03)
            + n.pointee.w1 * rectSum(p, n.pointee.o10, n.pointee.o11, n.pointee.o12, n.pointee.o13)
        if n.pointee.w2 != 0 {
            v += n.pointee.w2 * rectSum(p, n.pointee.o20, n.pointee.o21, n.pointee.o22, n.pointee.o23)
        }
        return v * factor
    }

    /// predictOrderedStump, from stage `first` on (earlier stages known to pass).
    @inline(__always)
    func haarStumps(_ p: UnsafePointer<UInt32>, _ factor: Float, fromStage first: Int) -> Int {
        cascade.haarNodes.withUnsafeBufferPointer { nodes in
            cascade.stages.withUnsafeBufferPointer { stages in
                guard first < stages.count else { return 1 }
                var n = nodes.baseAddress! + stages[first].firstTree   // one node per stump
                for s in first..<stages.count {
                    let stage = stages[s]
                    var total = 0.0
                    for _ in 0..<stage.treeCount {
                        let value = CascadeScanner.haarValue(n, p, factor)
                        total += value < n.pointee.threshold ? n.pointee.leftValue : n.pointee.rightValue
                        n += 1
                    }
                    if total < Double(stage.threshold) { return -s }
                }
                return 1
            }
        }
    }

    /// The stages of trees deeper than one node, as OpenCV's predictOrdered and predictCategorical
    /// share them: each tree is walked from its root, `child(node)` naming the next node (a leaf when
    /// <= 0), and a stage's leaf sum below its threshold rejects. Always inlined, with `child`, into
    /// haarTrees and lbpTrees, so each keeps the one loop it had.
    @inline(__always)
    func treeStages(_ child: (_ node: Int) -> Int32) -> Int {
        cascade.leaves.withUnsafeBufferPointer { leaves in
        cascade.trees.withUnsafeBufferPointer { trees in
            for (s, stage) in cascade.stages.enumerated() {
                var total = 0.0
                for t in stage.firstTree..<(stage.firstTree + stage.treeCount) {
                    let tree = trees[t]
                    var idx: Int32 = 0
                    repeat { idx = child(tree.firstNode + Int(idx)) } while idx > 0
                    total += Double(leaves[tree.firstLeaf - Int(idx)])
                }
                if total < Double(stage.threshold) { return -s }
            }
            return 1
        }
        }
    }

    /// predictOrdered (trees deeper than one node).
    func haarTrees(_ p: UnsafePointer<UInt32>, _ factor: Float) -> Int {
        cascade.haarNodes.withUnsafeBufferPointer { nodes in
            treeStages { node in
                let n = nodes.baseAddress! + node
                let value = CascadeScanner.haarValue(n, p, factor)
                return value < n.pointee.threshold ? n.pointee.leftChild : n.pointee.rightChild
            }
        }
    }

    /// The LBP code of a node at window `p` (OpenCV's LBPEvaluator::OptFeature::calc).
    @inline(__always)
    static func lbpCode(_ n: UnsafePointer<LBPNode>, _ p: UnsafePointer<UInt32>) -> Int {
        let o = n.pointee.offsets
        @inline(__always) func s(_ a: Int32, _ b: Int32, _ c: Int32, _ d: Int32) -> Int32 {
            Int32(bitPattern: p[Int(a)] &- p[Int(b)] &- p[Int(c)] &+ p[Int(d)])
        }
        let center = s(o.5, o.6, o.9, o.10)
        var code = 0
        if s(o.0, o.1, o.4, o.5) >= center { code |= 128 }
        if s(o.1, o.2, o.5, o.6) >= center { code |= 64 }
        if s(o.2, o.3, o.6, o.7) >= center { code |= 32 }
        if s(o.6, o.7, o.10, o.11) >= center { code |= 16 }
        if s(o.10, o.11, o.14, o.15) >= center { code |= 8 }
        if s(o.9, o.10, o.13, o.14) >= center { code |= 4 }
        if s(o.8, o.9, o.12, o.13) >= center { code |= 2 }
        if s(o.4, o.5, o.8, o.9) >= center { code |= 1 }
        return code
    }

    /// predictCategorical[Stump] (stumps are one-node trees; same arithmetic).
    func lbpTrees(_ p: UnsafePointer<UInt32>) -> Int {
        cascade.lbpNodes.withUnsafeBufferPointer { nodes in
        cascade.subsets.withUnsafeBufferPointer { subsets in
            treeStages { node in
                let n = nodes.baseAddress! + node
                let c = CascadeScanner.lbpCode(n, p)
                let word = subsets[Int(n.pointee.subsetStart) + (c >> 5)]
                return (word & (Int32(1) << Int32(c & 31))) != 0 ? n.pointee.leftChild : n.pointee.rightChild
            }
        }
        }
    }
}
