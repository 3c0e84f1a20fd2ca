// The live finder's full scan at several angles and poses (`emonet classify --poses multi`): the
// multi-pose search (FaceDetection.MultiPoseDetector) on the same scaled-down frame as `findFaces(in:)`,
// with the same parameters, so its upright faces are exactly `findFaces(in:)`'s. MultiPoseDetector's
// defaults scan turned and profile frames at half a 640-wide frame; the live finder's frame already is
// that size (320 px wide), so here they are scanned at the frame's own size (`rotatedScale` and
// `profileScale` 1): faces from 24 px there in every scan, 48 px in a 640x480 frame.
import FaceDetection
import Foundation
import Imaging

/// A face found by a multi-pose full scan, in frame pixels.
public struct TurnedFace: Sendable, Equatable {
    /// The face's box before turning (same centre and size as the turned box), rounded to pixels as
    /// `findFaces(in:)` rounds its boxes: an upright face's box is `findFaces(in:)`'s box.
    public var box: Rect
    /// Degrees, clockwise on screen: `box` turned by this much about its centre holds the face.
    public var angle: Double
    public var pose: FacePose
    public var neighbors: Int
}

extension TurnedFace {
    /// An upright frontal face at `box` (a frontal scan's box, or a whole image taken as a face); other
    /// modules get turned faces from `findTurnedFaces(in:search:)`. (In an extension, so that the module
    /// keeps the memberwise initialiser.)
    public init(upright box: Rect) {
        self.init(box: box, angle: 0, pose: .frontal, neighbors: 0)
    }
}

extension CascadeFaceFinder {
    /// The multi-pose parameters of a full scan: this finder's (scaled-down frame's) parameters for every
    /// scan, turned and profile frames at the scaled-down frame's size.
    public var multiPoseParameters: MultiPoseParameters {
        MultiPoseParameters(frontal: parameters, rotatedScale: poseScale, profileScale: poseScale)
    }

    /// Every face of `image` at the angles and poses `search` scans, one per face (a full scan). With
    /// `verified`, each scan's candidates must pass this finder's verifier before they are merged.
    /// `scans`: the scans to run (MultiPoseDetector.scanCount; nil: all).
    public func findTurnedFaces(in image: GrayImage, search: MultiPoseDetector, verified: Bool = false,
                                scans: [Int]? = nil) -> [TurnedFace] {
        let (small, sx, sy) = scaledDown(image)
        func face(_ d: PoseDetection) -> TurnedFace {
            // The upright twin's corner in the small frame: exact for boxes of the upright scan (integer
            // corners), so they are scaled up exactly as findFaces(in:) scales its boxes.
            let x = d.box.centerX - d.box.width / 2, y = d.box.centerY - d.box.height / 2
            let box = Rect(x: Int((x * sx).rounded()), y: Int((y * sy).rounded()),
                           width: Int((d.box.width * sx).rounded()), height: Int((d.box.height * sy).rounded()))
            return TurnedFace(box: box, angle: d.angle, pose: d.pose, neighbors: d.neighbors)
        }
        guard verified, verifier != nil else {
            return search.detect(small, parameters: multiPoseParameters, scans: scans) { [Bool](repeating: true, count: $0.count) }.map(face)
        }
        return search.detect(small, parameters: multiPoseParameters, scans: scans) { candidates in
            let faces = candidates.map(face)
            return self.accepts(faces.map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) }, in: image)
        }.map(face)
    }
}

// MARK: - The live path's searches (FaceFinding)

extension CascadeFaceFinder {
    /// Angles a lost track is looked for at, either side of its own: a head that tilts between two frames
    /// stays one track.
    static let trackAngleStep = 15.0
    /// The largest angle a track is searched at (the multi-pose scans reach about ±50°).
    static let maximumTrackAngle = 60.0

    /// A full scan: the multi-pose search when there is one (its candidates verified before they are
    /// merged), else the upright scan with its faces verified.
    public func locateFaces(in image: GrayImage) -> [FoundFace] {
        if let poseSearch {
            return findTurnedFaces(in: image, search: poseSearch, verified: true).map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) }
        }
        return verified(findFaces(in: image).map { FoundFace(box: $0) }, in: image)
    }

    /// The `fullScan`-th full scan of a video (0, 1, 2, ...): the upright scan and, taking turns, one of the
    /// multi-pose search's other scans (each turned angle, each profile side), so every full scan costs about
    /// two upright scans and a face at any angle or pose is looked for within `scanCount - 1` full scans
    /// (with detect-every 5 at 30 fps, 6 full scans: one second). A still image gets every scan
    /// (`locateFaces(in:)`).
    public func locateFaces(in image: GrayImage, fullScan: Int) -> [FoundFace] {
        guard let poseSearch else { return locateFaces(in: image) }
        let others = poseSearch.scanCount(multiPoseParameters) - 1
        let scans = others > 0 ? [0, 1 + fullScan % others] : [0]
        return findTurnedFaces(in: image, search: poseSearch, verified: true, scans: scans)
            .map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) }
    }

    /// The upright scan alone, verified (the multi-pose search's other scans run between full scans).
    public func locateUprightFaces(in image: GrayImage) -> [FoundFace] {
        guard let poseSearch else { return locateFaces(in: image) }
        return findTurnedFaces(in: image, search: poseSearch, verified: true, scans: [0])
            .map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) }
    }

    /// One of the multi-pose search's other scans, in turn, verified.
    public func locateFaces(in image: GrayImage, poseScan: Int) -> [FoundFace] {
        guard let poseSearch else { return [] }
        let others = poseSearch.scanCount(multiPoseParameters) - 1
        guard others > 0 else { return [] }
        return findTurnedFaces(in: image, search: poseSearch, verified: true, scans: [1 + poseScan % others])
            .map { FoundFace(box: $0.box, angle: $0.angle, pose: $0.pose) }
    }

    /// Between full scans. Upright frontal tracks are searched as `findFaces(in:around:)` searches them; with
    /// a multi-pose search, every other track is searched in a patch turned upright at its own angle (with
    /// its pose's cascade), then at the angles either side, and an upright track the upright search lost
    /// is looked for at ±`trackAngleStep` too.
    public func locateFaces(in image: GrayImage, around tracked: [FoundFace]) -> [FoundFace] {
        guard let poseSearch else {
            return findFaces(in: image, around: tracked.map(\.box)).map { FoundFace(box: $0) }
        }
        let isUpright: (FoundFace) -> Bool = { $0.angle == 0 && $0.pose == .frontal }
        let upright = tracked.filter(isUpright)
        var found = upright.isEmpty ? [] : findFaces(in: image, around: upright.map(\.box)).map { FoundFace(box: $0) }
        let lost = upright.filter { t in !found.contains { $0.box.iou(t.box) > 0.3 } }
        let turned = tracked.filter { !isUpright($0) }
        guard !(lost.isEmpty && turned.isEmpty) else { return found }
        let (small, sx, sy) = scaledDown(image)
        let fill = small.meanValue
        let step = Self.trackAngleStep
        for face in turned + lost {
            // The angle that holds the face best (most neighbours) of its own and those either side.
            let angles = isUpright(face) ? [-step, step] : [face.angle, face.angle - step, face.angle + step]
            let hits = angles.filter { abs($0) <= Self.maximumTrackAngle }.compactMap {
                findTurned(face, at: $0, in: small, fill: fill, sx: sx, sy: sy, search: poseSearch)
            }
            if let best = hits.max(by: { $0.neighbors < $1.neighbors }), !found.contains(where: { $0.box.iou(best.face.box) > 0.5 }) {
                found.append(best.face)
            }
        }
        return found
    }

    /// `face` looked for near its box in the patch of the scaled-down frame turned upright at `angle`,
    /// with its pose's cascade (the profile cascade on the patch or its mirror), at sizes near its own.
    func findTurned(_ face: FoundFace, at angle: Double, in small: GrayImage, fill: UInt8, sx: Double, sy: Double,
                    search: MultiPoseDetector) -> (face: FoundFace, neighbors: Int)? {
        let b = scaleDown(face.box, sx, sy)
        guard b.width > 0, b.height > 0 else { return nil }
        let cx = Double(b.x) + Double(b.width) / 2, cy = Double(b.y) + Double(b.height) / 2
        let side = Int((Double(max(b.width, b.height)) * (1 + 2 * regionMargin)).rounded(.up))
        let detector: FaceDetector
        var mirrored = false
        switch face.pose {
        case .frontal: detector = search.frontal
        case .left, .right:
            guard let profile = search.profile else { return nil }
            detector = profile
            mirrored = face.pose != search.profileLooks
        }
        guard side >= detector.cascade.windowWidth, side >= detector.cascade.windowHeight else { return nil }
        var patch = small.uprightPatch(centerX: cx, centerY: cy, width: side, height: side, degrees: angle, fill: fill)
        if mirrored { patch = patch.mirrored() }
        var p = regionParameters
        p.threads = 1
        let low = Int((Double(b.width) / regionSizeRange).rounded(.down)), high = Int((Double(b.width) * regionSizeRange).rounded(.up))
        p.minSize = PixelSize(max(p.minSize.width, low))
        p.maxSize = PixelSize(high)
        guard let best = detector.detect(patch, parameters: p).max(by: { $0.neighbors < $1.neighbors }) else { return nil }
        // The hit's centre, from the patch (turned upright) back into the frame.
        var u = Double(best.box.x) + Double(best.box.width) / 2 - Double(side) / 2
        if mirrored { u = -u }
        let v = Double(best.box.y) + Double(best.box.height) / 2 - Double(side) / 2
        let r = angle * .pi / 180, c = cos(r), s = sin(r)
        let x = cx + u * c - v * s, y = cy + u * s + v * c
        let w = Double(best.box.width), h = Double(best.box.height)
        let box = Rect(x: Int(((x - w / 2) * sx).rounded()), y: Int(((y - h / 2) * sy).rounded()),
                       width: Int((w * sx).rounded()), height: Int((h * sy).rounded()))
        return (FoundFace(box: box, angle: angle, pose: face.pose), best.neighbors)
    }

    /// The faces the verifier accepts (all of them without a verifier).
    public func verified(_ faces: [FoundFace], in image: GrayImage) -> [FoundFace] {
        zip(faces, accepts(faces, in: image)).filter(\.1).map(\.0)
    }

    /// Whether the verifier accepts each face (all true without a verifier).
    func accepts(_ faces: [FoundFace], in image: GrayImage) -> [Bool] {
        guard let verifier, !faces.isEmpty else { return [Bool](repeating: true, count: faces.count) }
        verifierLock.lock()
        defer { verifierLock.unlock() }
        return verifier.accepts(image, boxes: faces.map(\.box), angles: faces.map(\.angle))
    }
}
