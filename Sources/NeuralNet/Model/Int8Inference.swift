// int8 inference: the parts of `InferenceNetwork` that run convolutions on 8-bit integers.
//
// A convolution whose input is a ReLU's output (directly or through max pooling) takes that input as
// unsigned bytes, q = round(x / s) clamped to 0...255, with one scale s per layer calibrated on real
// images (`Int8Calibration`); its folded weights are signed bytes with one scale per output channel,
// w ≈ qw · sw[o], sw[o] = max|w[o]| / 127. The products are summed exactly in int32 (AVX512-VNNI's
// vpdpbusd, or a portable loop with equal sums), and each output is s · sw[o] · sum + bias[o], ReLU,
// then requantized to bytes with the next convolution's scale, or left as floats for the layers that
// follow the last one. Max pooling commutes with this rounding, so pooled bytes are what pooling the
// floats and then rounding would give. The first convolution (normalised pixels, negative too) and the
// dense head stay float32.
import CBLAS
import Foundation

/// How an `InferenceNetwork` computes.
public enum InferencePrecision: Equatable, Sendable {
    case float32
    /// int8 convolutions with these calibrated activation scales.
    case int8(Int8Calibration)
}

/// The activation scales of a network's int8 convolutions: for each convolution (by layer name) that
/// takes a non-negative input, the value one input step stands for, from a high percentile of that
/// input over calibration images. Stored in a model file's metadata (`metadataKey`).
public struct Int8Calibration: Codable, Equatable, Sendable {
    public static let metadataKey = "int8_calibration"
    public var activationScales: [String: Float]
    /// How many images and which percentile of each input the scales came from.
    public var images: Int
    public var percentile: Double

    public init(activationScales: [String: Float], images: Int, percentile: Double) {
        self.activationScales = activationScales
        self.images = images
        self.percentile = percentile
    }

    /// Runs `model` (float32) over `images` [N, C, H, W], batch by batch, and takes each int8-able
    /// convolution's input scale as its `percentile`-th value / 255. At most `samplesPerLayer` values of
    /// each input are kept (evenly strided) for the percentile.
    public static func calibrate(_ model: Sequential, images: Tensor, batchSize: Int = 64, percentile: Double = 99.99,
                                 samplesPerLayer: Int = 4_000_000) -> Int8Calibration {
        precondition((0...100).contains(percentile), "percentile \(percentile) outside 0...100")
        let network = InferenceNetwork(model, workers: model.workers)
        let n = images.batchSize, item = images.itemCount
        var samples: [String: [Float]] = [:]
        var perBatch: [String: Int] = [:]
        let batch = Tensor(shape: [0])
        var start = 0
        while start < n {
            let count = min(batchSize, n - start)
            batch.reshape([count] + Array(images.shape.dropFirst()))
            batch.data.update(from: images.data + start * item, count: count * item)
            network.forward(batch) { name, input in
                // Keep about samplesPerLayer values over all batches: a stride fixed by the first batch.
                let stride = perBatch[name] ?? max(1, input.count * ((n + batchSize - 1) / batchSize) / samplesPerLayer)
                perBatch[name] = stride
                var kept = samples[name] ?? []
                var i = 0
                while i < input.count { kept.append(input.data[i]); i += stride }
                samples[name] = kept
            }
            start += count
        }
        var scales: [String: Float] = [:]
        for (name, values) in samples {
            let sorted = values.sorted()
            let index = min(sorted.count - 1, Int((Double(sorted.count - 1) * percentile / 100).rounded()))
            let top = sorted.isEmpty ? 0 : sorted[index]
            // A layer whose input is all zeros still needs a usable scale.
            scales[name] = top > 0 && top.isFinite ? top / 255 : 1 / 255
        }
        return Int8Calibration(activationScales: scales, images: n, percentile: percentile)
    }
}

/// A batch of u8 activations [N, C, H, W], grown when a larger batch comes and reused after (its shape
/// is four numbers, not an array, so a forward pass allocates nothing once warm).
final class ByteTensor {
    private(set) var n = 0, c = 0, h = 0, w = 0
    private(set) var data = UnsafeMutablePointer<UInt8>.allocate(capacity: 64)
    private var capacity = 64

    deinit { data.deallocate() }

    var count: Int { n * c * h * w }

    func reshape(_ n: Int, _ c: Int, _ h: Int, _ w: Int) {
        (self.n, self.c, self.h, self.w) = (n, c, h, w)
        let needed = count + 64  // the C kernels may read a vector past a row's end
        if needed > capacity {
            data.deallocate()
            data = .allocate(capacity: needed)
            capacity = needed
        }
    }
}

/// Floats to bytes with a layer's input scale: q = round(x / scale) clamped to 0...255.
final class QuantizeStep {
    let inverseScale: Float
    let output = ByteTensor()

    init(scale: Float) { inverseScale = 1 / scale }

    func forward(_ x: Tensor) -> ByteTensor {
        precondition(x.shape.count == 4, "int8 convolutions take [N, C, H, W]")
        output.reshape(x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        emonet_quantize_u8(x.data, x.count, inverseScale, output.data)
        return output
    }
}

/// A folded convolution (weights, bias, ReLU as `FusedConv` has them) on bytes: see the file's header.
final class QuantizedConv {
    let inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int
    let relu: Bool
    /// The packed int8 weights, and per output channel the input scale times that channel's weight scale.
    private let weights: UnsafeMutablePointer<Int8>
    private let scales: [Float]
    private let bias: [Float]
    /// nil: the output is floats; else the bytes' scale for the next convolution's input.
    private let outputScale: Float?
    let floatOutput = Tensor(shape: [0])
    let byteOutput = ByteTensor()
    private var columns: [ByteTensor] = []

    /// `weights` [Cout, K] and `bias` [Cout] folded as FusedConv folds them.
    init(inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int, relu: Bool,
         weights folded: Tensor, bias foldedBias: Tensor, inputScale: Float, outputScale: Float?) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        self.relu = relu
        self.outputScale = outputScale
        let k = inputChannels * kernelSize * kernelSize
        var q = [Int8](repeating: 0, count: outputChannels * k)
        var scales = [Float](repeating: 0, count: outputChannels)
        for o in 0..<outputChannels {
            var largest: Float = 0
            for j in 0..<k { largest = max(largest, abs(folded.data[o * k + j])) }
            let step = largest > 0 ? largest / 127 : 1
            for j in 0..<k { q[o * k + j] = Int8(max(-127, min(127, (folded.data[o * k + j] / step).rounded()))) }
            scales[o] = inputScale * step
        }
        self.scales = scales
        bias = Array(foldedBias.buffer)
        weights = .allocate(capacity: emonet_qpacked_weight_bytes(Int32(outputChannels), Int32(k)))
        emonet_qpack_weights(Int32(outputChannels), Int32(k), q, Int32(k), weights)
    }

    deinit { weights.deallocate() }

    /// The output: floats in `floatOutput` or bytes in `byteOutput`, as built.
    func forward(_ input: ByteTensor, workers: Int) -> (Tensor?, ByteTensor?) {
        let (n, h, w) = (input.n, input.h, input.w)
        precondition(input.c == inputChannels, "input channels \(input.c) != \(inputChannels)")
        let ho = (h + 2 * padding - kernelSize) / stride + 1, wo = (w + 2 * padding - kernelSize) / stride + 1
        let k = inputChannels * kernelSize * kernelSize, p = ho * wo
        let used = min(workers, max(n, 1))
        while columns.count < used { columns.append(ByteTensor()) }
        let columnBytes = emonet_qpacked_column_bytes(Int32(k), Int32(p))
        for c in columns.prefix(used) { c.reshape(1, 1, 1, columnBytes) }
        if outputScale == nil { floatOutput.reshape(n, outputChannels, ho, wo) } else { byteOutput.reshape(n, outputChannels, ho, wo) }
        let x = input.data, weights = weights, relu = relu, m = Int32(outputChannels)
        let yf: UnsafeMutablePointer<Float>? = outputScale == nil ? floatOutput.data : nil
        let yq: UnsafeMutablePointer<UInt8>? = outputScale == nil ? nil : byteOutput.data
        let inverse = outputScale.map { 1 / $0 } ?? 0
        scales.withUnsafeBufferPointer { scales in
            bias.withUnsafeBufferPointer { bias in
                Parallel.chunks(n, workers: used) { range, worker in
                    let cols = columns[worker].data
                    for i in range {
                        emonet_qim2col_packed(x + i * inputChannels * h * w, Int32(inputChannels), Int32(h), Int32(w),
                                              Int32(kernelSize), Int32(stride), Int32(padding), Int32(ho), Int32(wo), cols)
                        let offset = i * outputChannels * p
                        emonet_qgemm(m, Int32(p), Int32(k), weights, cols, scales.baseAddress, bias.baseAddress, relu,
                                     yf.map { $0 + offset }, yq.map { $0 + offset }, inverse, Int32(p))
                    }
                }
            }
        }
        return outputScale == nil ? (floatOutput, nil) : (nil, byteOutput)
    }
}
