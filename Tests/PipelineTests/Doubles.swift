// Test doubles for the pipeline: a scripted frame source, a face finder that returns scripted boxes,
// and a classifier that returns fixed probabilities and counts its batches.
import Foundation
import Imaging
import Pipeline
import TestSupport

/// Frames 0..<count of a tiny image, optionally paced at `fps`, optionally failing after `failAfter`.
final class ScriptedSource: FrameSource, @unchecked Sendable {
    let failAfter: Int?
    private let ticker: FrameTicker
    private(set) var closed = false

    struct Failure: Error, CustomStringConvertible { var description: String { "scripted source failed" } }

    init(count: Int, fps: Double = 0, failAfter: Int? = nil) {
        ticker = FrameTicker(count: count, fps: fps)
        self.failAfter = failAfter
    }

    var description: String { "scripted source" }
    var width: Int { 8 }
    var height: Int { 8 }
    var framesPerSecond: Double { ticker.fps }

    func nextFrame() throws -> Frame? {
        guard let index = ticker.take() else { return nil }
        if let failAfter, index >= failAfter { throw Failure() }
        ticker.wait(for: index)
        return Frame(index: index, time: Double(index) / max(ticker.fps, 1), image: RGBImage(width: 8, height: 8))
    }

    func cancel() { ticker.cancel() }

    func close() { closed = true }
}

/// Returns `boxes(frameCall)` for full detections and records which calls were full or regional.
final class ScriptedFinder: FaceFinding, @unchecked Sendable {
    var boxes: (Int) -> [Rect]
    var delay: Double
    private(set) var calls: [(full: Bool, regions: [Rect])] = []

    init(delay: Double = 0, boxes: @escaping (Int) -> [Rect]) {
        self.boxes = boxes
        self.delay = delay
    }

    func findFaces(in image: GrayImage) -> [Rect] {
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
        calls.append((true, []))
        return boxes(calls.count - 1)
    }

    func findFaces(in image: GrayImage, around regions: [Rect]) -> [Rect] {
        calls.append((false, regions))
        return boxes(calls.count - 1)
    }
}

/// Gives every face `probabilities`, or `perFace(k)` for the k-th face of a batch (`whenMirrored`, if set,
/// for a face asked for mirrored); counts batches and records the mirror flags of each.
final class FixedClassifier: FaceClassifying, @unchecked Sendable {
    var perFace: (Int) -> [Float]
    var whenMirrored: [Float]?
    private(set) var batchSizes: [Int] = []
    private(set) var mirrorFlags: [[Bool]] = []

    init(perFace: @escaping (Int) -> [Float] = { _ in [0.1, 0.0, 0.0, 0.7, 0.1, 0.0, 0.1] }) {
        self.perFace = perFace
    }

    func classify(_ image: GrayImage, faces: [Rect], mirrored: [Bool]) throws -> [[Float]] {
        batchSizes.append(faces.count)
        mirrorFlags.append(mirrored)
        return faces.indices.map { k in mirrored[k] ? whenMirrored ?? perFace(k) : perFace(k) }
    }
}

/// `count` frames, then a source that never returns (it ignores cancel(), like a read() on a stalled pipe)
/// until `release()`; after that it reports one more frame, which must be dropped.
final class StalledSource: FrameSource, @unchecked Sendable {
    let count: Int
    private let lock = NSLock()
    private var next = 0
    private let released = DispatchSemaphore(value: 0)
    private(set) var closed = false

    init(count: Int) { self.count = count }

    var description: String { "stalled source" }
    var width: Int { 8 }
    var height: Int { 8 }
    var framesPerSecond: Double { 0 }

    func nextFrame() throws -> Frame? {
        lock.lock()
        let index = next
        next += 1
        lock.unlock()
        if index >= count { released.wait() }
        return Frame(index: index, time: Double(index), image: RGBImage(width: 8, height: 8))
    }

    func cancel() {}
    func close() { closed = true }
    func release() { released.signal() }
}

