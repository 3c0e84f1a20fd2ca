// cv::groupRectangles (without level weights), step for step: rectangles are partitioned into
// classes with cv::partition and SimilarRects(eps) (union-find in OpenCV's visiting order, so
// classes are numbered by first appearance), each class with more than `minNeighbors` members is
// averaged (sums times a float 1/n, rounded half-to-even), and a class lying inside a larger one
// that has more members (more than max(3, n)) or when it has fewer than 3 is dropped.
import Imaging

public enum RectangleGrouping {
    /// OpenCV's SimilarRects: every edge within eps·(mean of the smaller width and height)/2.
    @inline(__always)
    static func similar(_ a: Rect, _ b: Rect, eps: Double) -> Bool {
        let delta = eps * Double(min(a.width, b.width) + min(a.height, b.height)) * 0.5
        return Double(abs(a.x - b.x)) <= delta && Double(abs(a.y - b.y)) <= delta
            && Double(abs(a.x + a.width - b.x - b.width)) <= delta
            && Double(abs(a.y + a.height - b.y - b.height)) <= delta
    }

    /// cv::partition with SimilarRects: a class label per rectangle, numbered by first appearance.
    static func partition(_ rects: [Rect], eps: Double) -> (labels: [Int], classCount: Int) {
        let n = rects.count
        var parent = [Int](repeating: -1, count: n)
        var rank = [Int](repeating: 0, count: n)
        for i in 0..<n {
            var root = i
            while parent[root] >= 0 { root = parent[root] }
            for j in 0..<n where i != j && similar(rects[i], rects[j], eps: eps) {
                var root2 = j
                while parent[root2] >= 0 { root2 = parent[root2] }
                if root2 != root {
                    if rank[root] > rank[root2] {
                        parent[root2] = root
                    } else {
                        parent[root] = root2
                        rank[root2] += rank[root] == rank[root2] ? 1 : 0
                        root = root2
                    }
                    // Compress both paths to the new root.
                    var k = j
                    while parent[k] >= 0 { let next = parent[k]; parent[k] = root; k = next }
                    k = i
                    while parent[k] >= 0 { let next = parent[k]; parent[k] = root; k = next }
                }
            }
        }
        var labels = [Int](repeating: 0, count: n)
        var classOfRoot = [Int](repeating: -1, count: n)
        var classes = 0
        for i in 0..<n {
            var root = i
            while parent[root] >= 0 { root = parent[root] }
            if classOfRoot[root] < 0 { classOfRoot[root] = classes; classes += 1 }
            labels[i] = classOfRoot[root]
        }
        return (labels, classes)
    }

    /// Groups raw detections as cv::groupRectangles(rects, minNeighbors, eps) does.
    /// With `minNeighbors <= 0` the input comes back unchanged, each with 1 neighbour (OpenCV).
    public static func group(_ rects: [Rect], minNeighbors: Int, eps: Double = 0.2) -> [Detection] {
        guard minNeighbors > 0 && !rects.isEmpty else {
            return rects.map { Detection(box: $0, neighbors: 1) }
        }
        let (labels, classCount) = partition(rects, eps: eps)
        var sums = [Rect](repeating: Rect(x: 0, y: 0, width: 0, height: 0), count: classCount)
        var counts = [Int](repeating: 0, count: classCount)
        for (i, r) in rects.enumerated() {
            let c = labels[i]
            sums[c].x += r.x; sums[c].y += r.y; sums[c].width += r.width; sums[c].height += r.height
            counts[c] += 1
        }
        let averaged: [Rect] = (0..<classCount).map { c in
            let s = 1 / Float(counts[c])
            let r = sums[c]
            return Rect(x: roundEven(Float(r.x) * s), y: roundEven(Float(r.y) * s),
                        width: roundEven(Float(r.width) * s), height: roundEven(Float(r.height) * s))
        }
        var out: [Detection] = []
        for i in 0..<classCount {
            let r1 = averaged[i], n1 = counts[i]
            if n1 <= minNeighbors { continue }
            var swallowed = false
            for j in 0..<classCount where j != i {
                let n2 = counts[j]
                if n2 <= minNeighbors { continue }
                let r2 = averaged[j]
                let dx = roundEven(Double(r2.width) * eps), dy = roundEven(Double(r2.height) * eps)
                if r1.x >= r2.x - dx && r1.y >= r2.y - dy && r1.x + r1.width <= r2.x + r2.width + dx
                    && r1.y + r1.height <= r2.y + r2.height + dy && (n2 > max(3, n1) || n1 < 3) {
                    swallowed = true
                    break
                }
            }
            if !swallowed { out.append(Detection(box: r1, neighbors: n1)) }
        }
        return out
    }
}
