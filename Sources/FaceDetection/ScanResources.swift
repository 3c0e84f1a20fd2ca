// What a scan needs besides the image, kept between detections: the cascade flattened for a plane
// layout, and the workers' scratch planes. Building the flat cascade on every call took 7% of a
// replay's CPU (one regional search per tracked frame, each with its own crop size); layouts are
// rounded up to multiples of 32 so that crops of similar size share one. Results do not depend on the
// layout: only the row stride of the integral planes changes.
import Foundation

final class ScanResources: @unchecked Sendable {
    /// Layout granularity (elements per row, rows per plane).
    static let granularity = 32
    private static let maxLayouts = 32
    private static let maxSparePlanes = 4

    private let lock = NSLock()
    private var flats: [Layout: FlatCascade] = [:]
    private var spare: [IntegralPlanes] = []

    struct Layout: Hashable {
        var stride: Int
        var rows: Int
        var planeSize: Int { stride * rows }

        /// The layout for levels up to `maxWidth` x `maxHeight` (integral planes are one larger).
        init(maxWidth: Int, maxHeight: Int) {
            let g = ScanResources.granularity
            stride = (maxWidth + 1 + g - 1) / g * g
            rows = (maxHeight + 1 + g - 1) / g * g
        }
    }

    func flat(_ cascade: HaarCascade, layout: Layout) -> FlatCascade {
        lock.lock()
        defer { lock.unlock() }
        if let found = flats[layout] { return found }
        if flats.count >= Self.maxLayouts { flats.removeAll() }
        let made = FlatCascade(cascade, stride: layout.stride, planeSize: layout.planeSize)
        flats[layout] = made
        return made
    }

    /// Scratch planes of this layout: a spare one if there is one, else new.
    func takePlanes(_ layout: Layout, tilted: Bool) -> IntegralPlanes {
        lock.lock()
        if let i = spare.firstIndex(where: { $0.stride == layout.stride && $0.planeSize == layout.planeSize && $0.tilted == tilted }) {
            let planes = spare.remove(at: i)
            lock.unlock()
            return planes
        }
        lock.unlock()
        return IntegralPlanes(stride: layout.stride, rows: layout.rows, tilted: tilted)
    }

    func giveBack(_ planes: IntegralPlanes) {
        lock.lock()
        if spare.count >= Self.maxSparePlanes { spare.removeFirst() }
        spare.append(planes)
        lock.unlock()
    }
}
