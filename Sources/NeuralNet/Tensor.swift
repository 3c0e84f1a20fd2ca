// The one memory layout of the engine: contiguous float32, row-major, NCHW for images
// (batch, channels, height, width) and NC for vectors.
//
// `Tensor` is a reference type on purpose: every layer owns its output and gradient buffers and
// reuses them from call to call, so the live path allocates nothing once shapes are stable.
// A tensor returned by `forward` stays valid until that layer's next `forward`.

/// A contiguous float32 buffer with a shape; storage grows but never shrinks.
public final class Tensor {
    public private(set) var shape: [Int]
    public private(set) var count: Int
    private var capacity: Int
    /// The elements; `count` of them are meaningful.
    public private(set) var data: UnsafeMutablePointer<Float>

    /// A zero-filled tensor.
    public init(shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in \(shape)")
        self.shape = shape
        self.count = shape.reduce(1, *)
        self.capacity = max(count, 1)
        self.data = .allocate(capacity: capacity)
        data.initialize(repeating: 0, count: capacity)
    }

    /// A tensor holding `values` (row-major) with the given shape.
    public convenience init(shape: [Int], values: [Float]) {
        self.init(shape: shape)
        precondition(values.count == count, "Tensor: \(values.count) values for shape \(shape)")
        values.withUnsafeBufferPointer { data.update(from: $0.baseAddress!, count: count) }
    }

    deinit { data.deallocate() }

    /// Gives the tensor a new shape, reusing its storage when it is large enough.
    /// Contents are kept up to the old count when storage is reused, and are zero when it grows.
    public func reshape(_ newShape: [Int]) {
        if newShape == shape { return }
        let newCount = newShape.reduce(1, *)
        if newCount > capacity {
            data.deallocate()
            capacity = newCount
            data = .allocate(capacity: capacity)
            data.initialize(repeating: 0, count: capacity)
        }
        shape = newShape
        count = newCount
    }

    // Shape-by-dimensions forms used on hot paths: an array literal such as `[n, c, h, w]` is a heap
    // allocation, so these compare with the current shape first and only build an array on a change.

    /// `reshape([n, c, h, w])` without allocating when the shape is unchanged.
    public func reshape(_ n: Int, _ c: Int, _ h: Int, _ w: Int) {
        if shape.count == 4 && shape[0] == n && shape[1] == c && shape[2] == h && shape[3] == w { return }
        reshape([n, c, h, w])
    }

    /// `reshape([n, k])` without allocating when the shape is unchanged.
    public func reshape(_ n: Int, _ k: Int) {
        if shape.count == 2 && shape[0] == n && shape[1] == k { return }
        reshape([n, k])
    }

    /// `reshape([n])` without allocating when the shape is unchanged.
    public func reshape(_ n: Int) {
        if shape.count == 1 && shape[0] == n { return }
        reshape([n])
    }

    /// The elements as an array (a copy).
    public var values: [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: data, count: count) }

    /// Sets every element to zero.
    public func zero() { data.update(repeating: 0, count: count) }

    /// Takes the shape and contents of `other`.
    public func copy(from other: Tensor) {
        reshape(other.shape)
        data.update(from: other.data, count: count)
    }

    /// A new tensor with the same shape and contents.
    public func clone() -> Tensor {
        let t = Tensor(shape: shape)
        t.data.update(from: data, count: count)
        return t
    }

    /// Size of the first dimension (the batch), 0 for a scalar.
    public var batchSize: Int { shape.first ?? 0 }

    /// Elements per batch item.
    public var itemCount: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    @inlinable public subscript(index: Int) -> Float {
        get { data[index] }
        set { data[index] = newValue }
    }

    /// True when every element is finite.
    public var isFinite: Bool {
        for i in 0..<count where !data[i].isFinite { return false }
        return true
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
