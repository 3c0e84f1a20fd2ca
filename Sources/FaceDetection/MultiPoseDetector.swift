// Faces at an angle and in profile, with the ordinary cascade scan (FaceDetector.detect) as the only
// scanner. One search is a set of scans:
//   - frontal at 0°, on the frame as given: exactly `FaceDetector.detect` with `parameters.frontal`;
//   - frontal at each of `angles`: the frame turned the other way (ImageRotation, bilinear, onto a
//     canvas that holds it all) and scaled by `rotatedScale`, so a face tilted by that angle stands
//     upright; only windows centred on the turned frame's outline are scanned (at ±45° more than half the
//     canvas is fill); boxes are mapped back as turned boxes;
//   - profile (when a profile cascade is given): the frame scaled by `profileScale`, and its mirror
//     (the cascade knows one side; the mirror shows it the other), boxes mirrored back.
// All detections are then merged into one box per face: strongest first (most neighbours), a detection
// whose centre lies inside a kept face's turned box (or the other way round) is that face; the kept face
// keeps the strongest detection's box, angle and pose (a neighbour-weighted mean of the members' angles
// was tried: it pulled upright faces 4-10° off 0, towards the ±15° scans). A face seen by one turned or
// profile scan alone needs more neighbours than usual (`loneNeighborFactor`): on ../shared media most
// false boxes were such lone, weak detections, while real tilted faces are also seen at the next angle.
// Scans are independent; with `threads` > 1 they are handed out in order (the upright scan, the largest,
// first) and the merge runs in scan order, so results do not depend on the thread count.
import Dispatch
import Foundation
import Imaging

/// How to search for faces at several angles and poses; the defaults were measured (docs/faces.md).
public struct MultiPoseParameters: Sendable, Equatable {
    /// The upright frontal scan at full resolution (its results are `FaceDetector.detect`'s). Its
    /// `threads` is the number of scans run at once.
    public var frontal: DetectionParameters
    /// In-plane angles (degrees, clockwise on screen: the face's tilt) scanned besides 0. Default ±30, ±45:
    /// faces tilted up to about 15° are the upright scan's (it found 80% of them at 15° on ../shared
    /// photos; adding ±15° scans found 90% for 1.5x the turned scans' cost), the rest up to ~52°
    /// are within 15° of a turned scan.
    public var angles: [Double]
    /// Size of the turned frames relative to the frame (default 0.5): a quarter of the pixels, so the
    /// smallest tilted face found is twice the cascade window (48 px with the 24 px frontal cascade).
    public var rotatedScale: Double
    /// Size of the frames the profile cascade scans relative to the frame (default 0.5: its window is
    /// 20 px, so profiles from 40 px are found). At 0.4 and 0.35 it lost the turned faces of ../shared
    /// photos that it finds at 0.5 (../shared has no true profile to measure with; see docs/faces.md).
    public var profileScale: Double
    /// Pyramid step of the turned and profile scans, when coarser than the frontal one (default 1.2:
    /// 0.57x the windows of 1.1; recall on turned photos was the same within one face of 20).
    public var turnedScaleFactor: Double
    /// Two detections are one face when the centre of one lies inside the other's turned box shrunk to
    /// this fraction of its size (default 1: the whole box). A small box on a larger face's chin or
    /// cheek, which a turned scan can find beside the face, is part of that face.
    public var mergeDistance: Double
    /// A face that only one turned or profile scan found (no other scan's detection merged into it) is
    /// kept only with more than `loneNeighborFactor` x `frontal.minNeighbors` neighbours (default 1).
    /// Faces of the upright scan are never dropped (one may be reported through a stronger turned detection of it).
    public var loneNeighborFactor: Double

    public init(frontal: DetectionParameters = DetectionParameters(), angles: [Double] = [-45, -30, 30, 45],
                rotatedScale: Double = 0.5, profileScale: Double = 0.5, turnedScaleFactor: Double = 1.2,
                mergeDistance: Double = 1, loneNeighborFactor: Double = 1) {
        self.frontal = frontal
        self.angles = angles
        self.rotatedScale = rotatedScale
        self.profileScale = profileScale
        self.turnedScaleFactor = turnedScaleFactor
        self.mergeDistance = mergeDistance
        self.loneNeighborFactor = loneNeighborFactor
    }
}

/// One face found by a multi-pose search.
public struct PoseDetection: Sendable, Equatable {
    /// The face's box in frame pixels, turned by the face's tilt.
    public var box: RotatedBox
    public var pose: FacePose
    /// Raw windows grouped into the strongest detection of this face (in its scan's pixels).
    public var neighbors: Int
    /// How many scans' detections were merged into this face (1 when only one scan saw it).
    public var support: Int
    /// The face's tilt in degrees, clockwise on screen.
    public var angle: Double { box.angle }

    public init(box: RotatedBox, pose: FacePose, neighbors: Int, support: Int = 1) {
        self.box = box
        self.pose = pose
        self.neighbors = neighbors
        self.support = support
    }
}

/// Searches frames for frontal faces at several in-plane angles and for profiles.
public struct MultiPoseDetector: Sendable {
    /// The profile face cascade: the bundled copy in assets/cascades/, else Debian's `opencv-data` one.
    public static var defaultProfileCascadePath: String {
        CascadeLocator.bundledPath(.profileFace) ?? "/usr/share/opencv4/haarcascades/haarcascade_profileface.xml"
    }

    public let frontal: FaceDetector
    /// The profile cascade's detector (nil: no profile scans).
    public let profile: FaceDetector?
    /// Which way the faces the profile cascade finds on the unmirrored frame look. OpenCV's
    /// haarcascade_profileface.xml finds faces turned towards the image's left (measured on the Pexels clip).
    public let profileLooks: FacePose

    public init(frontal: FaceDetector, profile: FaceDetector?, profileLooks: FacePose = .left) {
        precondition(profileLooks != .frontal, "profileLooks is .left or .right")
        self.frontal = frontal
        self.profile = profile
        self.profileLooks = profileLooks
    }

    /// One scan of a search.
    enum Scan: Equatable {
        case upright
        case turned(Double)
        case profile(mirrored: Bool)
    }

    /// The scans a search runs, in merge order.
    func scans(_ parameters: MultiPoseParameters) -> [Scan] {
        var scans: [Scan] = [.upright]
        scans += parameters.angles.filter { $0 != 0 }.map { .turned($0) }
        if profile != nil { scans += [.profile(mirrored: false), .profile(mirrored: true)] }
        return scans
    }

    /// Every face in `image` at the scanned angles and poses, one detection per face.
    public func detect(_ image: GrayImage, parameters: MultiPoseParameters = MultiPoseParameters()) -> [PoseDetection] {
        merge(candidates(image, parameters: parameters), parameters: parameters)
    }

    /// As `detect(_:parameters:)`, keeping only the candidates `keep` accepts before they are merged (one call
    /// with every scan's candidates; one flag each). Checking before merging matters: a false box that a turned
    /// scan holds more strongly than the real face would otherwise swallow that face in the merge.
    /// How many scans a search with `parameters` runs: the upright scan (index 0), each turned angle, the profiles.
    public func scanCount(_ parameters: MultiPoseParameters) -> Int { scans(parameters).count }

    /// As `detect(_:parameters:keeping:)` with only the scans at `selected` indices (0 is the upright scan;
    /// see `scanCount`), e.g. the upright scan and one other per call, taking turns across a video's frames.
    public func detect(_ image: GrayImage, parameters: MultiPoseParameters = MultiPoseParameters(), scans selected: [Int]? = nil,
                       keeping keep: ([PoseDetection]) -> [Bool]) -> [PoseDetection] {
        let scans = candidates(image, parameters: parameters, selected: selected)
        let flags = keep(scans.flatMap { $0 })
        precondition(flags.count == scans.reduce(0) { $0 + $1.count }, "one flag per candidate")
        var k = 0
        let kept = scans.map { scan in
            scan.filter { _ in
                defer { k += 1 }
                return flags[k]
            }
        }
        return merge(kept, parameters: parameters)
    }

    /// Every scan's detections mapped to frame pixels, in scan order, before merging.
    /// `selected`: the indices of the scans to run (nil: all); the others give no detections.
    func candidates(_ image: GrayImage, parameters: MultiPoseParameters, selected: [Int]? = nil) -> [[PoseDetection]] {
        let scans = self.scans(parameters)
        let chosen = selected.map { $0.filter(scans.indices.contains) } ?? Array(scans.indices)
        let threads = max(1, min(parameters.frontal.threads, chosen.count))
        let slots = ScanSlots(count: scans.count)
        let fill = image.meanValue
        if threads == 1 {
            for i in chosen {
                slots.store(run(scans[i], on: image, fill: fill, parameters: parameters, threads: 1), at: i)
            }
        } else {
            // Scans are handed out in order (the full-resolution upright scan, the largest, first).
            let next = ScanCounter()
            DispatchQueue.concurrentPerform(iterations: threads) { _ in
                while let k = next.take(below: chosen.count) {
                    slots.store(run(scans[chosen[k]], on: image, fill: fill, parameters: parameters, threads: 1), at: chosen[k])
                }
            }
        }
        return slots.all
    }

    /// Runs one scan and maps its boxes to frame pixels.
    func run(_ scan: Scan, on image: GrayImage, fill: UInt8, parameters: MultiPoseParameters, threads: Int) -> [PoseDetection] {
        guard image.width > 0 && image.height > 0 else { return [] }
        switch scan {
        case .upright:
            var p = parameters.frontal
            p.threads = threads
            return frontal.detect(image, parameters: p).map { PoseDetection(box: RotatedBox($0.box), pose: .frontal, neighbors: $0.neighbors) }
        case let .turned(angle):
            // Turning the content by -angle stands a face tilted by `angle` upright.
            let rotation = ImageRotation(sourceWidth: image.width, sourceHeight: image.height,
                                         degrees: -angle, scale: parameters.rotatedScale)
            let canvas = rotation.apply(to: image, fill: fill)
            // Only windows centred on the frame itself: a face centred in the fill is dropped below anyway.
            let w = Double(image.width), h = Double(image.height)
            let outline = WindowRegion(corners: [(0, 0), (w, 0), (w, h), (0, h)].map { rotation.canvasPoint(x: $0.0, y: $0.1) })
            let found = frontal.detect(canvas, parameters: scaled(parameters.frontal, by: parameters.rotatedScale, threads: threads, parameters: parameters),
                                       centresIn: outline)
            return found.compactMap { d in
                let c = rotation.sourcePoint(x: Double(d.box.x) + Double(d.box.width) / 2,
                                             y: Double(d.box.y) + Double(d.box.height) / 2)
                guard c.x >= 0 && c.y >= 0 && c.x < Double(image.width) && c.y < Double(image.height) else { return nil }
                let box = RotatedBox(centerX: c.x, centerY: c.y, width: Double(d.box.width) / parameters.rotatedScale,
                                     height: Double(d.box.height) / parameters.rotatedScale, angle: angle)
                return PoseDetection(box: box, pose: .frontal, neighbors: d.neighbors)
            }
        case let .profile(mirrored):
            guard let profile else { return [] }
            let scale = parameters.profileScale
            let rotation = ImageRotation(sourceWidth: image.width, sourceHeight: image.height, degrees: 0, scale: scale)
            var frame = scale == 1 ? image : rotation.apply(to: image, fill: fill)
            if mirrored { frame = frame.mirrored() }
            let pose: FacePose = mirrored ? (profileLooks == .left ? .right : .left) : profileLooks
            let found = profile.detect(frame, parameters: scaled(parameters.frontal, by: scale, threads: threads, parameters: parameters))
            return found.map { d in
                var cx = Double(d.box.x) + Double(d.box.width) / 2
                if mirrored { cx = Double(frame.width) - cx }
                let c = rotation.sourcePoint(x: cx, y: Double(d.box.y) + Double(d.box.height) / 2)
                let box = RotatedBox(centerX: c.x, centerY: c.y, width: Double(d.box.width) / scale,
                                     height: Double(d.box.height) / scale, angle: 0)
                return PoseDetection(box: box, pose: pose, neighbors: d.neighbors)
            }
        }
    }

    /// The frontal parameters for a frame scaled by `scale`: face sizes scale with it.
    func scaled(_ p: DetectionParameters, by scale: Double, threads: Int, parameters: MultiPoseParameters) -> DetectionParameters {
        var q = p
        q.threads = threads
        q.scaleFactor = max(p.scaleFactor, parameters.turnedScaleFactor)
        if scale != 1 {
            q.minSize = PixelSize(width: Int((Double(p.minSize.width) * scale).rounded()),
                                  height: Int((Double(p.minSize.height) * scale).rounded()))
            if p.maxSize != .zero {
                q.maxSize = PixelSize(width: max(1, Int((Double(p.maxSize.width) * scale).rounded())),
                                      height: max(1, Int((Double(p.maxSize.height) * scale).rounded())))
            }
        }
        return q
    }

    /// One detection per face: strongest first; a weaker detection on a kept face joins it. `scans[0]`
    /// is the upright scan's: each of its faces stays a face (perhaps as a stronger turned detection of it).
    func merge(_ scans: [[PoseDetection]], parameters: MultiPoseParameters) -> [PoseDetection] {
        let candidates = scans.flatMap { $0 }
        let upright = scans.first?.count ?? 0
        // Stable: equal neighbours keep scan order (upright, turned, profiles).
        let order = candidates.indices.sorted { a, b in
            candidates[a].neighbors != candidates[b].neighbors ? candidates[a].neighbors > candidates[b].neighbors : a < b
        }
        var kept: [(face: PoseDetection, index: Int, members: Int)] = []
        for i in order {
            let c = candidates[i]
            if let k = kept.firstIndex(where: { sameFace($0.face.box, c.box, parameters) }) {
                kept[k].members += 1
                // An upright-scan box much larger than the stronger turned one it merges with holds it: the
                // turned box is a part of that face (a cheek, the mouth and chin; seen on the Pexels clip), and
                // the upright one is the face's own box.
                if i < upright && kept[k].index >= upright && c.box.width > Self.partRatio * kept[k].face.box.width {
                    kept[k].face = PoseDetection(box: c.box, pose: c.pose, neighbors: max(c.neighbors, kept[k].face.neighbors))
                    kept[k].index = min(kept[k].index, i)
                }
            } else {
                kept.append((c, i, 1))
            }
        }
        let lone = parameters.loneNeighborFactor * Double(parameters.frontal.minNeighbors)
        return kept.compactMap { face, index, members in
            if index >= upright && members == 1 && Double(face.neighbors) <= lone { return nil }
            var merged = face
            merged.support = members
            return merged
        }
    }

    /// How much wider than the box it merges with a box must be to be taken as the face that box is part of.
    static let partRatio = 1.6

    /// Whether the centre of either box lies inside the other (shrunk to `mergeDistance` of its size).
    func sameFace(_ a: RotatedBox, _ b: RotatedBox, _ parameters: MultiPoseParameters) -> Bool {
        a.contains(x: b.centerX, y: b.centerY, fraction: parameters.mergeDistance)
            || b.contains(x: a.centerX, y: a.centerY, fraction: parameters.mergeDistance)
    }
}

/// Per-scan result slots (each scan writes only its own slot, under a lock).
private final class ScanSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [[PoseDetection]]
    init(count: Int) { slots = Array(repeating: [], count: count) }
    func store(_ detections: [PoseDetection], at index: Int) {
        lock.lock(); slots[index] = detections; lock.unlock()
    }
    var all: [[PoseDetection]] {
        lock.lock(); defer { lock.unlock() }
        return slots
    }
}

/// Hands out scan indices 0, 1, 2, ... to whichever worker asks next.
private final class ScanCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var next = 0
    func take(below count: Int) -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < count else { return nil }
        next += 1
        return next - 1
    }
}
