// 2-D convolution as im2col + GEMM. Weight [Cout, Cin, kh, kw] (PyTorch's layout), bias [Cout].
// Input [N, Cin, H, W] → output [N, Cout, Ho, Wo], Ho = (H + 2p - kh) / s + 1.
// Large feature maps run one GEMM per image (the image's column matrix stays in cache); small ones
// (P = Ho·Wo under `groupColumns`) put several images' columns side by side and run one GEMM per
// group, staging the output (and, backward, the output gradient) in [Cout, g·P] order: a 256 x 36
// product per image is mostly OpenBLAS's packing of the weights, which a group shares.
// Caches: the input (for backward, where columns are rebuilt rather than stored). Backward skips the
// input gradient (its GEMM and col2im) when the pass does not need it (a model's first layer).
// Images are split over workers; each worker has its own scratch and gradient partials, summed in
// worker order, and groups are cut the same way every time, so results do not depend on timing.
// In training, where our GEMM runs, a 3x3 stride-1 padding-1 convolution with 8+ input channels on even maps
// runs its forward by Winograd (Winograd.swift), and its input gradient too (with 8+ output channels): that
// gradient is the same convolution of dY with the filters turned half a turn and their channels swapped. The
// weight gradient keeps im2col and a GEMM. Inference (`training: false`) keeps im2col here; the inference
// network has its own Winograd path.

import CBLAS
import Foundation

public final class Conv2D: Layer {
    public let name: String
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernelSize: Int
    public let stride: Int
    public let padding: Int
    public let weight: Parameter
    public let bias: Parameter?

    private var input: Tensor?
    private let output = Tensor(shape: [0])
    private let gradInput = Tensor(shape: [0])
    private var scratch: [WorkerScratch] = []
    /// Training's Winograd filters (Winograd.swift), remade from the weights at each pass: the forward's, and the
    /// input gradient's (the filters turned half a turn, input and output channels swapped, in `turned`).
    private var winogradForward: Winograd.Filters?
    private var winogradBackward: Winograd.Filters?
    private let turned = Tensor(shape: [0])
    private var winogradScratch: [Tensor] = []

    private final class WorkerScratch {
        let columns = Tensor(shape: [0])      // [K, g·P]
        let gradColumns = Tensor(shape: [0])  // [K, g·P]
        let staged = Tensor(shape: [0])       // [Cout, g·P]: grouped output, or grouped output gradient
        let gradWeight = Tensor(shape: [0])   // [Cout, K]
        let gradBias = Tensor(shape: [0])     // [Cout]
    }

    /// Images are grouped while their columns fit in `groupColumns` (1 turns grouping off); the default
    /// is 512, or EMONET_CONV_GROUP_COLUMNS for measuring.
    public static let defaultGroupColumns: Int = {
        ProcessInfo.processInfo.environment["EMONET_CONV_GROUP_COLUMNS"].flatMap { Int($0) }.map { max(1, $0) } ?? 512
    }()
    public var groupColumns = Conv2D.defaultGroupColumns

    /// Images per GEMM for output maps of p positions.
    private func groupSize(positions p: Int) -> Int { max(1, groupColumns / max(p, 1)) }

    public init(name: String, inputChannels: Int, outputChannels: Int, kernelSize: Int,
                stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        precondition(inputChannels > 0 && outputChannels > 0 && kernelSize > 0 && stride > 0 && padding >= 0)
        self.name = name
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernelSize = kernelSize
        self.stride = stride
        self.padding = padding
        weight = Parameter(name: "\(name).weight", shape: [outputChannels, inputChannels, kernelSize, kernelSize],
                           decays: true)
        self.bias = bias ? Parameter(name: "\(name).bias", shape: [outputChannels], decays: false) : nil
    }

    public var parameters: [Parameter] { bias.map { [weight, $0] } ?? [weight] }

    public func outputShape(for input: [Int]) throws -> [Int] {
        guard input.count == 3, input[0] == inputChannels else {
            throw NeuralNetError.badArchitecture("\(name): expects [\(inputChannels), H, W] input, got \(input)")
        }
        let ho = (input[1] + 2 * padding - kernelSize) / stride + 1
        let wo = (input[2] + 2 * padding - kernelSize) / stride + 1
        guard ho > 0, wo > 0 else {
            throw NeuralNetError.badArchitecture("\(name): input \(input) is smaller than the \(kernelSize)x\(kernelSize) kernel")
        }
        return [outputChannels, ho, wo]
    }

    public func multiplyAdds(for input: [Int]) -> Int {
        guard let out = try? outputShape(for: input) else { return 0 }
        return out[1] * out[2] * outputChannels * inputChannels * kernelSize * kernelSize
    }

    private func prepareScratch(workers: Int, k: Int, p: Int, group: Int, training: Bool) {
        while scratch.count < workers { scratch.append(WorkerScratch()) }
        for s in scratch.prefix(workers) {
            s.columns.reshape(k, group * p)
            if group > 1 { s.staged.reshape(outputChannels, group * p) }
            if training {
                s.gradColumns.reshape(k, group * p)
                s.gradWeight.reshape(outputChannels, k)
                s.gradBias.reshape(outputChannels)
            }
        }
    }

    public func forward(_ input: Tensor, _ options: PassOptions) -> Tensor {
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        precondition(input.shape[1] == inputChannels, "\(name): input channels \(input.shape[1]) != \(inputChannels)")
        let ho = (h + 2 * padding - kernelSize) / stride + 1, wo = (w + 2 * padding - kernelSize) / stride + 1
        let k = inputChannels * kernelSize * kernelSize, p = ho * wo
        self.input = input
        output.reshape(n, outputChannels, ho, wo)
        let workers = min(options.workers, max(n, 1))
        if options.training, let tile = winogradTile(inputChannels: inputChannels, h: h, w: w) {
            let filters = winogradForward.flatMap { $0.tile == tile ? $0 : nil }
                ?? Winograd.Filters(outputChannels: outputChannels, inputChannels: inputChannels, tile: tile)
            winogradForward = filters
            filters.update(weight.value.data)
            Winograd.convolve(filters, images: n, h: h, w: w, x: input.data, bias: bias.map { UnsafePointer($0.value.data) }, relu: false,
                              workers: workers, scratch: &winogradScratch, y: output.data)
            return output
        }
        let group = min(groupSize(positions: p), max(1, (n + workers - 1) / workers))
        prepareScratch(workers: workers, k: k, p: p, group: group, training: false)
        let x = input.data, y = output.data, wgt = weight.value.data
        let b = bias?.value.data
        let imageIn = inputChannels * h * w, imageOut = outputChannels * p
        Parallel.chunks(n, workers: workers) { range, worker in
            let s = scratch[worker], cols = s.columns.data
            for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: group) {
                let g = min(group, range.upperBound - first), width = g * p
                for j in 0..<g {
                    im2col(x + (first + j) * imageIn, h: h, w: w, ho: ho, wo: wo, into: cols + j * p, rowStride: width)
                }
                if g == 1 {
                    let yi = y + first * imageOut
                    Gemm.multiply(m: outputChannels, n: p, k: k, a: wgt, lda: k, b: cols, ldb: p, c: yi, ldc: p)
                    if let b { addBias(b, rows: yi, count: p) }
                } else {
                    let staged = s.staged.data
                    Gemm.multiply(m: outputChannels, n: width, k: k, a: wgt, lda: k, b: cols, ldb: width, c: staged, ldc: width)
                    for j in 0..<g {
                        let yi = y + (first + j) * imageOut
                        for o in 0..<outputChannels { (yi + o * p).update(from: staged + o * width + j * p, count: p) }
                        if let b { addBias(b, rows: yi, count: p) }
                    }
                }
            }
        }
        return output
    }

    /// The Winograd tile for a convolution of this layer's shape from `inputChannels` channels on h x w maps in
    /// training, or nil.
    private func winogradTile(inputChannels: Int, h: Int, w: Int) -> Int? {
        Winograd.tile(kernelSize: kernelSize, stride: stride, padding: padding, inputChannels: inputChannels, h: h, w: w,
                      ownGemm: Gemm.usesOwnKernel)
    }

    /// rows[o, 0..<count] += bias[o] for every output channel o of one image.
    private func addBias(_ bias: UnsafePointer<Float>, rows: UnsafeMutablePointer<Float>, count p: Int) {
        for o in 0..<outputChannels {
            let row = rows + o * p, bv = Vector.V(repeating: bias[o]), bo = bias[o]
            Vector.apply(0..<p) { j in Vector.store(Vector.load(row, j) + bv, row, j) } scalar: { j in row[j] += bo }
        }
    }

    public func backward(_ gradOutput: Tensor, _ options: PassOptions) -> Tensor {
        guard let input else { preconditionFailure("\(name): backward before forward") }
        let (n, h, w) = (input.shape[0], input.shape[2], input.shape[3])
        let (ho, wo) = (gradOutput.shape[2], gradOutput.shape[3])
        let k = inputChannels * kernelSize * kernelSize, p = ho * wo
        let workers = min(options.workers, max(n, 1))
        let group = min(groupSize(positions: p), max(1, (n + workers - 1) / workers))
        prepareScratch(workers: workers, k: k, p: p, group: group, training: true)
        gradInput.reshape(input.shape)
        // The input gradient by Winograd: the filters turned, W'[i, o, a, b] = W[o, i, 2 − a, 2 − b].
        var backFilters: Winograd.Filters?
        if options.inputGradient, let tile = winogradTile(inputChannels: outputChannels, h: h, w: w) {
            turned.reshape(inputChannels, outputChannels, 3, 3)
            let (from, to) = (weight.value.data, turned.data)
            for o in 0..<outputChannels {
                for i in 0..<inputChannels {
                    for t in 0..<9 { to[(i * outputChannels + o) * 9 + t] = from[(o * inputChannels + i) * 9 + 8 - t] }
                }
            }
            let filters = winogradBackward.flatMap { $0.tile == tile ? $0 : nil }
                ?? Winograd.Filters(outputChannels: inputChannels, inputChannels: outputChannels, tile: tile)
            winogradBackward = filters
            filters.update(turned.data)
            backFilters = filters
        }
        let x = input.data, dy = gradOutput.data, dx = gradInput.data, wgt = weight.value.data
        let imageIn = inputChannels * h * w, imageOut = outputChannels * p
        Parallel.chunks(n, workers: workers) { range, worker in
            let s = scratch[worker]
            s.gradWeight.zero()
            s.gradBias.zero()
            let cols = s.columns.data, gradCols = s.gradColumns.data
            for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: group) {
                let g = min(group, range.upperBound - first), width = g * p
                // dY for the group as [Cout, g·P]: the image's own rows when alone, else gathered.
                let dyg: UnsafePointer<Float>
                if g == 1 {
                    dyg = UnsafePointer(dy + first * imageOut)
                } else {
                    for j in 0..<g {
                        let dyi = dy + (first + j) * imageOut
                        for o in 0..<outputChannels { (s.staged.data + o * width + j * p).update(from: dyi + o * p, count: p) }
                    }
                    dyg = UnsafePointer(s.staged.data)
                }
                for j in 0..<g {
                    im2col(x + (first + j) * imageIn, h: h, w: w, ho: ho, wo: wo, into: cols + j * p, rowStride: width)
                }
                // dW[Cout,K] += dY[Cout,gP] · cols[K,gP]ᵀ
                Gemm.multiply(transposeB: true, m: outputChannels, n: k, k: width, a: dyg, lda: width,
                              b: cols, ldb: width, beta: 1, c: s.gradWeight.data, ldc: k)
                for o in 0..<outputChannels { s.gradBias.data[o] += emonet_sum(dyg + o * width, width) }
                guard options.inputGradient, backFilters == nil else { continue }
                // dcols[K,gP] = Wᵀ[K,Cout] · dY[Cout,gP], then scattered back onto each image.
                Gemm.multiply(transposeA: true, m: k, n: width, k: outputChannels, a: wgt, lda: k, b: dyg, ldb: width,
                              c: gradCols, ldc: width)
                for j in 0..<g {
                    col2im(gradCols + j * p, rowStride: width, h: h, w: w, ho: ho, wo: wo, into: dx + (first + j) * imageIn)
                }
            }
        }
        if let filters = backFilters {
            Winograd.convolve(filters, images: n, h: h, w: w, x: dy, bias: nil, relu: false, workers: workers, scratch: &winogradScratch, y: dx)
        }
        for s in scratch.prefix(workers) {
            let gw = weight.grad.data, sw = s.gradWeight.data
            for j in 0..<weight.grad.count { gw[j] += sw[j] }
            if let bias {
                for o in 0..<outputChannels { bias.grad.data[o] += s.gradBias.data[o] }
            }
        }
        return gradInput
    }

    private func im2col(_ x: UnsafePointer<Float>, h: Int, w: Int, ho: Int, wo: Int,
                        into cols: UnsafeMutablePointer<Float>, rowStride: Int) {
        Self.im2col(x, channels: inputChannels, h: h, w: w, kernelSize: kernelSize, stride: stride, padding: padding,
                    ho: ho, wo: wo, into: cols, rowStride: rowStride)
    }

    /// cols[(c*kh + ki)*kw + kj, oy*wo + ox] = x[c, oy*s - p + ki, ox*s - p + kj] (0 outside), the rows of
    /// cols `rowStride` floats apart (ho*wo when the image has the matrix to itself). In CBLAS's kernels.
    static func im2col(_ x: UnsafePointer<Float>, channels inputChannels: Int, h: Int, w: Int, kernelSize: Int,
                       stride: Int, padding: Int, ho: Int, wo: Int, into cols: UnsafeMutablePointer<Float>,
                       rowStride: Int? = nil) {
        emonet_im2col(x, Int32(inputChannels), Int32(h), Int32(w), Int32(kernelSize), Int32(stride), Int32(padding),
                      Int32(ho), Int32(wo), cols, rowStride ?? ho * wo)
    }

    /// The adjoint of im2col: dx[c, iy, ix] = Σ cols over every window position that read it.
    private func col2im(_ cols: UnsafePointer<Float>, rowStride: Int, h: Int, w: Int, ho: Int, wo: Int,
                        into dx: UnsafeMutablePointer<Float>) {
        emonet_col2im(cols, rowStride, Int32(inputChannels), Int32(h), Int32(w), Int32(kernelSize), Int32(stride),
                      Int32(padding), Int32(ho), Int32(wo), dx)
    }
}
