// The detector: pyramid → scan → group, with OpenCV's detectMultiScale semantics (see
// PyramidSchedule, CascadeScanner, RectangleGrouping). Raw windows are gathered in OpenCV's
// single-thread order (level, then row, then column) whatever the thread count, so grouping — and
// hence the output — is identical for any `threads`.
//
// Threads share out whole pyramid levels (greedy by window count, largest first); each thread owns
// its scratch planes for the whole call, so nothing is allocated per level, and planes and the
// flattened cascade are kept for the next call (ScanResources).
import Dispatch
import Imaging

/// Finds objects (faces, with the default cascade) in gray images.
public struct FaceDetector: Sendable {
    public let cascade: HaarCascade
    private let resources = ScanResources()

    public init(cascade: HaarCascade) {
        self.cascade = cascade
    }

    /// Detects objects in `image` and groups overlapping windows, as `detectMultiScale` does.
    /// Like OpenCV (clipObjects), boxes are clipped to the image after grouping: a window whose
    /// size was rounded up can reach a pixel or two past the border.
    public func detect(_ image: GrayImage, parameters: DetectionParameters = DetectionParameters()) -> [Detection] {
        detect(image, parameters: parameters, centresIn: nil)
    }

    /// As `detect(_:parameters:)`, scanning only the windows whose centres lie in `region` (nil: all of them).
    /// Each row is walked from the first window inside, so which windows a stage-0 rejection skips can differ
    /// from the whole-image scan; the upright scan, which must be OpenCV's, passes nil.
    public func detect(_ image: GrayImage, parameters: DetectionParameters, centresIn region: WindowRegion?) -> [Detection] {
        let grouped = RectangleGrouping.group(rawWindows(image, parameters: parameters, vectorPrefilter: CascadeScanner.vectorPrefilterByDefault,
                                                         centresIn: region),
                                              minNeighbors: parameters.minNeighbors)
        return grouped.compactMap { d in
            let box = d.box.clamped(width: image.width, height: image.height)
            return box.area > 0 ? Detection(box: box, neighbors: d.neighbors) : nil
        }
    }

    /// Every accepted window before grouping, in OpenCV's single-thread order, not clipped.
    public func rawWindows(_ image: GrayImage, parameters: DetectionParameters = DetectionParameters()) -> [Rect] {
        rawWindows(image, parameters: parameters, vectorPrefilter: CascadeScanner.vectorPrefilterByDefault)
    }

    /// `rawWindows` with the scan path chosen explicitly (tests compare both).
    func rawWindows(_ image: GrayImage, parameters: DetectionParameters, vectorPrefilter: Bool,
                    centresIn region: WindowRegion? = nil) -> [Rect] {
        let levels = PyramidSchedule.levels(imageWidth: image.width, imageHeight: image.height,
                                            windowWidth: cascade.windowWidth, windowHeight: cascade.windowHeight,
                                            parameters: parameters)
        guard !levels.isEmpty else { return [] }
        let rowLimits = FaceDetector.rowLimits(levels)
        let maxWidth = levels.map(\.width).max()!, maxHeight = levels.map(\.height).max()!
        let layout = ScanResources.Layout(maxWidth: maxWidth, maxHeight: maxHeight)
        let flat = resources.flat(cascade, layout: layout)
        let scanner = CascadeScanner(cascade: flat, vectorPrefilter: vectorPrefilter)
        let threads = max(1, min(parameters.threads, levels.count))
        let assignment = FaceDetector.shareOut(levels, rowLimits: rowLimits, among: threads)

        let results = WorkerResults(count: threads)
        let work: (Int) -> Void = { worker in
            let planes = resources.takePlanes(layout, tilted: flat.needsTilted)
            defer { resources.giveBack(planes) }
            var hits: [(level: Int, x: Int32, y: Int32)] = []
            var levelHits: [(x: Int32, y: Int32)] = []
            for li in assignment[worker] {
                let level = levels[li]
                planes.load(image, width: level.width, height: level.height)
                levelHits.removeAll(keepingCapacity: true)
                let columns = region.map { FaceDetector.columns(of: level, inside: $0) }
                planes.planes.withUnsafeBufferPointer { p in
                    scanner.scan(level: level, planes: p.baseAddress!, rows: 0..<rowLimits[li], columns: columns, into: &levelHits)
                }
                for h in levelHits { hits.append((li, h.x, h.y)) }
            }
            results.store(hits, at: worker)
        }
        if threads == 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: threads, execute: work)
        }
        // Level-major, then scan order within a level: OpenCV's order with one thread.
        let all = results.all.sorted { a, b in
            a.level != b.level ? a.level < b.level : (a.y != b.y ? a.y < b.y : a.x < b.x)
        }
        return all.map { h in
            let b = levels[h.level].box(x: Int(h.x), y: Int(h.y))
            return Rect(x: b.x, y: b.y, width: b.width, height: b.height)
        }
    }

    /// For `level`'s row at y, the window indices k (x = k·step) whose windows' centres, in image pixels, lie in `region`.
    static func columns(of level: PyramidLevel, inside region: WindowRegion) -> (Int) -> Range<Int> {
        let scale = Double(level.scale), pitch = Double(level.step) * scale
        let halfWidth = Double(level.windowWidth) / 2, halfHeight = Double(level.windowHeight) / 2
        return { y in
            guard let span = region.span(atY: Double(y) * scale + halfHeight) else { return 0..<0 }
            let first = max(0, Int(((span.lowerBound - halfWidth) / pitch).rounded(.up)))
            let last = Int(((span.upperBound - halfWidth) / pitch).rounded(.down))
            return first <= last ? first..<(last + 1) : 0..<0
        }
    }

    /// OpenCV scans each level in `nstripes = ceil(positionsX(level 0) / 32)` stripes of
    /// `max((positionsY / step + nstripes - 1) / nstripes, 1) * step` rows and stops at
    /// `min(nstripes * stripe, positionsY)`, which can leave out the last row of a level
    /// (when positionsY is odd and a multiple of the stripes); we stop at the same row.
    static func rowLimits(_ levels: [PyramidLevel]) -> [Int] {
        let stripes = max(1, Int((Double(levels[0].positionsX) / 32).rounded(.up)))
        return levels.map { l in
            let stripe = max((l.positionsY / l.step + stripes - 1) / stripes, 1) * l.step
            return min(stripes * stripe, l.positionsY)
        }
    }

    /// Greedy longest-first assignment of levels to workers by window count.
    static func shareOut(_ levels: [PyramidLevel], rowLimits: [Int], among workers: Int) -> [[Int]] {
        let cost = levels.indices.map { i -> Int in
            let l = levels[i]
            return ((l.positionsX + l.step - 1) / l.step) * ((rowLimits[i] + l.step - 1) / l.step) + 1
        }
        var loads = [Int](repeating: 0, count: workers)
        var assignment = [[Int]](repeating: [], count: workers)
        for i in levels.indices.sorted(by: { cost[$0] > cost[$1] }) {
            let w = loads.indices.min { loads[$0] < loads[$1] }!
            assignment[w].append(i)
            loads[w] += cost[i]
        }
        return assignment.map { $0.sorted() }
    }
}

/// Per-worker result slots written from concurrentPerform (each worker writes only its own slot).
private final class WorkerResults: @unchecked Sendable {
    private var slots: [[(level: Int, x: Int32, y: Int32)]]
    private let lock = DispatchSemaphore(value: 1)
    init(count: Int) { slots = Array(repeating: [], count: count) }
    func store(_ hits: [(level: Int, x: Int32, y: Int32)], at index: Int) {
        lock.wait(); slots[index] = hits; lock.signal()
    }
    var all: [(level: Int, x: Int32, y: Int32)] { slots.flatMap { $0 } }
}
