// A trained network prepared for inference only: what the live path, `classify` and `eval` run.
//
// Built once from a `Sequential`, it is a snapshot: later changes to that model's weights are not
// seen. Each convolution is fused with the batch norm and ReLU that follow it: the batch norm's
// scale and shift are folded into the convolution's weights and bias, and bias and ReLU are one
// pass over the GEMM's output. 2x2/2 max pooling runs as one vector pass (AVX-512 where the CPU has
// it) without the argmax that training keeps. Every other layer runs as in the model, on its own
// copy. On vgg4s at batch 1 this is about a third faster than the layer-by-layer forward
// (`EmoNetBench layers`). Outputs match `Sequential.forward(training: false)` to float rounding
// (folding reorders a few products). On AVX-512 CPUs each convolution runs EmoNet's own GEMM
// (Sources/CBLAS/gemm.c) on weights packed once, with bias and ReLU on its accumulators; the 3x3 ones with 8+
// input channels on even maps run by Winograd (Winograd.swift) on that GEMM.
// With `.int8` precision the convolutions after the first run on bytes (Int8Inference.swift).
// Not thread-safe: one instance per thread; instances share nothing.
import CBLAS
import Foundation

public final class InferenceNetwork {
    public let spec: ModelSpec
    /// Threads the batch is split over.
    public var workers: Int
    private let steps: [Step]

    public let precision: InferencePrecision
    private enum Step {
        case conv(FusedConv)
        case maxPool2x2(Tensor)
        case layer(Layer)
        case quantize(QuantizeStep)
        case int8Conv(QuantizedConv)
        case maxPool2x2Bytes(ByteTensor)
    }

    /// With `.int8`, every convolution that has a scale in the calibration and takes a ReLU's output runs
    /// on bytes; the others run in float32.
    public init(_ model: Sequential, workers: Int = 1, precision: InferencePrecision = .float32) {
        spec = model.spec
        self.workers = workers
        self.precision = precision
        _ = Gemm.loaded
        // Layers that run unchanged get their own copies, so this network shares no buffers with `model`.
        // `model` was built from this spec, which therefore validates: makeLayers cannot throw here.
        let copies = try! Sequential.makeLayers(model.spec, seed: 0, initialize: false)
        let source = Dictionary(uniqueKeysWithValues: model.namedTensors.map { ($0.name, $0.tensor) })
        for layer in copies {
            for p in layer.parameters { p.value.copy(from: source[p.name]!) }
            for (name, t) in layer.buffers { t.copy(from: source[name]!) }
        }
        var steps: [Step] = []
        var i = 0
        while i < copies.count {
            if let conv = copies[i] as? Conv2D {
                var batchNorm: BatchNorm2D?
                var relu = false
                if i + 1 < copies.count, let bn = copies[i + 1] as? BatchNorm2D, bn.channels == conv.outputChannels {
                    batchNorm = bn
                    i += 1
                }
                if i + 1 < copies.count, copies[i + 1] is ReLU {
                    relu = true
                    i += 1
                }
                steps.append(.conv(FusedConv(conv, batchNorm: batchNorm, relu: relu)))
            } else if let pool = copies[i] as? MaxPool2D, pool.kernelSize == 2, pool.stride == 2 {
                steps.append(.maxPool2x2(Tensor(shape: [0])))
            } else {
                steps.append(.layer(copies[i]))
            }
            i += 1
        }
        // Which convolutions take a non-negative input (a ReLU's output, maybe pooled): the int8-able ones.
        var nonNegative = false
        for step in steps {
            switch step {
            case .conv(let conv):
                conv.takesNonNegativeInput = nonNegative
                nonNegative = conv.relu
            case .layer(let layer): nonNegative = layer is ReLU
            default: break
            }
        }
        if case .int8(let calibration) = precision {
            self.steps = Self.quantized(steps, scales: calibration.activationScales)
        } else {
            self.steps = steps
        }
    }

    /// The float steps with each int8-able convolution replaced by its int8 twin, bytes kept between
    /// int8 convolutions (through max pooling) and floats converted to bytes before the first of a run.
    private static func quantized(_ steps: [Step], scales: [String: Float]) -> [Step] {
        let int8 = steps.map { if case .conv(let conv) = $0 { return conv.takesNonNegativeInput && scales[conv.name] != nil } else { return false } }
        var result: [Step] = []
        var bytes = false
        for (i, step) in steps.enumerated() {
            switch step {
            case .conv(let conv) where int8[i]:
                let scale = scales[conv.name]!
                if !bytes { result.append(.quantize(QuantizeStep(scale: scale))) }
                // Bytes out when the next layer other than max pooling is an int8 convolution.
                let next = steps.indices.dropFirst(i + 1).first { if case .maxPool2x2 = steps[$0] { return false } else { return true } }
                var outputScale: Float?
                if conv.relu, let j = next, int8[j], case .conv(let following) = steps[j] { outputScale = scales[following.name] }
                result.append(.int8Conv(QuantizedConv(inputChannels: conv.inputChannels, outputChannels: conv.outputChannels,
                                                      kernelSize: conv.kernelSize, stride: conv.stride, padding: conv.padding,
                                                      relu: conv.relu, weights: conv.weights, bias: conv.bias,
                                                      inputScale: scale, outputScale: outputScale)))
                bytes = outputScale != nil
            case .maxPool2x2 where bytes: result.append(.maxPool2x2Bytes(ByteTensor()))
            default: result.append(step)
            }
        }
        return result
    }

    /// How many convolutions run on bytes (0 at float32 precision).
    public var int8Convolutions: Int {
        steps.filter { if case .int8Conv = $0 { return true } else { return false } }.count
    }

    /// Runs the network on a batch [N, C, H, W]; the result is valid until the next call.
    public func forward(_ input: Tensor) -> Tensor { forward(input, observe: nil) }

    /// As `forward(_:)`, handing `observe` the name and input of each float32 convolution that could run
    /// in int8 (for calibration).
    func forward(_ input: Tensor, observe: ((String, Tensor) -> Void)?) -> Tensor {
        let options = PassOptions(training: false, workers: workers)
        var x = input
        var q: ByteTensor! = nil  // the bytes between int8 steps (the planner puts a producer before each reader)
        for step in steps {
            switch step {
            case .conv(let conv):
                if conv.takesNonNegativeInput { observe?(conv.name, x) }
                x = conv.forward(x, workers: workers)
            case .maxPool2x2(let output):
                let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
                output.reshape(n, c, h / 2, w / 2)
                emonet_maxpool2x2(x.data, Int32(n * c), Int32(h), Int32(w), output.data)
                x = output
            case .layer(let layer): x = layer.forward(x, options)
            case .quantize(let quantize): q = quantize.forward(x)
            case .int8Conv(let conv):
                let (floats, bytes) = conv.forward(q, workers: workers)
                if let floats { x = floats }
                if let bytes { q = bytes }
            case .maxPool2x2Bytes(let output):
                let (n, c, h, w) = (q.n, q.c, q.h, q.w)
                output.reshape(n, c, h / 2, w / 2)
                emonet_maxpool2x2_u8(q.data, Int32(n * c), Int32(h), Int32(w), output.data)
                q = output
            }
        }
        return x
    }
}

/// Convolution → batch norm → ReLU as one step: folded weights W' = s·W, bias b' = s·(b − μ) + β
/// with s = γ / √(σ² + ε) per output channel; im2col, then one GEMM per image. With EmoNet's own GEMM
/// (AVX-512 CPUs) the folded weights are packed once per layout and bias and ReLU are applied on the
/// GEMM's accumulators; elsewhere OpenBLAS's sgemm and one pass for bias and ReLU.
private final class FusedConv {
    let name: String
    let inputChannels: Int, outputChannels: Int, kernelSize: Int, stride: Int, padding: Int
    let relu: Bool
    /// Whether its input is a ReLU's output (maybe max-pooled), so int8 may run it on bytes.
    var takesNonNegativeInput = false
    /// Folded weights [Cout, K] and bias [Cout].
    let weights: Tensor
    let bias: Tensor
    let output = Tensor(shape: [0])
    private var columns: [Tensor] = []
    /// The folded weights packed for `emonet_sgemm_packed`, by layout (0, 1), made on first use.
    private var packed: [Tensor?] = [nil, nil]
    /// Whether this network runs our GEMM: decided once, when it is built.
    private let ownGemm = emonet_gemm_uses_own()
    /// The folded filters for Winograd (Winograd.swift), by tile, made on first use for a layer of a shape it
    /// suits; and its per-worker scratch.
    private var winograd: [Int: Winograd.Filters] = [:]
    private var winogradScratch: [Tensor] = []

    init(_ conv: Conv2D, batchNorm: BatchNorm2D?, relu: Bool) {
        name = conv.name
        inputChannels = conv.inputChannels
        outputChannels = conv.outputChannels
        kernelSize = conv.kernelSize
        stride = conv.stride
        padding = conv.padding
        self.relu = relu
        let k = inputChannels * kernelSize * kernelSize
        weights = Tensor(shape: [outputChannels, k])
        bias = Tensor(shape: [outputChannels])
        let w = conv.weight.value.data
        for o in 0..<outputChannels {
            var scale = 1.0, shift = Double(conv.bias?.value[o] ?? 0)
            if let bn = batchNorm {
                scale = Double(bn.weight.value[o]) / (Double(bn.runningVar[o]) + Double(bn.epsilon)).squareRoot()
                shift = scale * (shift - Double(bn.runningMean[o])) + Double(bn.bias.value[o])
            }
            for j in 0..<k { weights.data[o * k + j] = Float(scale * Double(w[o * k + j])) }
            bias.data[o] = Float(shift)
        }
    }

    func forward(_ input: Tensor, workers: Int) -> Tensor {
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        precondition(input.shape[1] == inputChannels, "input channels \(input.shape[1]) != \(inputChannels)")
        let ho = (h + 2 * padding - kernelSize) / stride + 1, wo = (w + 2 * padding - kernelSize) / stride + 1
        let k = inputChannels * kernelSize * kernelSize, p = ho * wo
        output.reshape(n, outputChannels, ho, wo)
        let used = min(workers, max(n, 1))
        let x = input.data, y = output.data
        if let tile = Winograd.tile(kernelSize: kernelSize, stride: stride, padding: padding, inputChannels: inputChannels, h: h, w: w,
                                    ownGemm: ownGemm) {
            let filters = winograd[tile] ?? {
                let made = Winograd.Filters(outputChannels: outputChannels, inputChannels: inputChannels, tile: tile)
                made.update(weights.data)
                winograd[tile] = made
                return made
            }()
            Winograd.convolve(filters, images: n, h: h, w: w, x: x, bias: bias.data, relu: relu, workers: used,
                              scratch: &winogradScratch, y: y)
            return output
        }
        while columns.count < used { columns.append(Tensor(shape: [0])) }
        for c in columns.prefix(used) { c.reshape(k, p) }
        if ownGemm {
            let layout = Int(emonet_packed_layout(Int32(outputChannels), Int32(p)))
            let weightsPacked = packedWeights(layout: layout, k: k).data
            let relu = relu, m = Int32(outputChannels), b = bias.data
            Parallel.chunks(n, workers: used) { range, worker in
                let cols = columns[worker].data
                for i in range {
                    Conv2D.im2col(x + i * inputChannels * h * w, channels: inputChannels, h: h, w: w,
                                  kernelSize: kernelSize, stride: stride, padding: padding, ho: ho, wo: wo, into: cols)
                    emonet_sgemm_packed(Int32(layout), m, Int32(p), Int32(k), weightsPacked, cols, Int32(p),
                                        y + i * outputChannels * p, Int32(p), b, relu)
                }
            }
            return output
        }
        Parallel.chunks(n, workers: used) { range, worker in
            let cols = columns[worker].data
            for i in range {
                let yi = y + i * outputChannels * p
                Conv2D.im2col(x + i * inputChannels * h * w, channels: inputChannels, h: h, w: w, kernelSize: kernelSize,
                              stride: stride, padding: padding, ho: ho, wo: wo, into: cols)
                Gemm.multiply(m: outputChannels, n: p, k: k, a: weights.data, lda: k, b: cols, ldb: p, c: yi, ldc: p)
                for o in 0..<outputChannels {
                    let row = yi + o * p, b = bias.data[o]
                    let bv = Vector.V(repeating: b)
                    if relu {
                        Vector.apply(0..<p) { j in
                            let v = Vector.load(row, j) + bv
                            Vector.store(v.replacing(with: 0, where: v .< 0), row, j)
                        } scalar: { j in row[j] = max(0, row[j] + b) }
                    } else {
                        Vector.apply(0..<p) { j in Vector.store(Vector.load(row, j) + bv, row, j) } scalar: { j in row[j] += b }
                    }
                }
            }
        }
        return output
    }

    /// The folded weights [Cout, K] packed in `layout`, packed the first time it is asked for.
    private func packedWeights(layout: Int, k: Int) -> Tensor {
        if let ready = packed[layout] { return ready }
        let count = emonet_packed_floats(Int32(layout), Int32(outputChannels), Int32(k))
        let tensor = Tensor(shape: [Int(count)])
        emonet_pack_weights(Int32(layout), Int32(outputChannels), Int32(k), weights.data, Int32(k), tensor.data)
        packed[layout] = tensor
        return tensor
    }
}
