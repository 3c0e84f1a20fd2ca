// Winograd convolutions, F(4x4, 3x3) and F(2x2, 3x3) (Sources/CBLAS/winograd43.c, winograd.c), for the layers
// whose shape allows them: the
// inference network's fused convolutions, and in training a convolution's forward and its input gradient
// (the input gradient of a 3x3, stride-1, padding-1 convolution is such a convolution of the output gradient
// with the filters turned half a turn and their channels swapped). Where it does not apply (other shapes, a
// single input channel, odd maps, CPUs without AVX-512, EMONET_WINOGRAD=0) the layers run im2col and a GEMM.
import CBLAS
import Foundation

enum Winograd {
    /// `EMONET_WINOGRAD=0` turns Winograd off, for benchmarks before and after in one build.
    static let allowed = ProcessInfo.processInfo.environment["EMONET_WINOGRAD"] != "0"
    /// Below this many input channels (a first layer's one to three) im2col's 9·C rows make a better GEMM
    /// than 16 products of so few channels.
    static let minimumChannels = 8
    /// Images convolved at once share each of the 16 products: up to this many tiles side by side (a 6x6 map
    /// has 9 tiles of 2x2, so one image alone is a poor GEMM), few enough that the tiles stay in cache. 32 was
    /// the fastest of 1, 16, 32, 48, 64, 128 and 256 for vgg4s at batch 8 (`EmoNetBench layers`, 6.3-6.5 ms a
    /// pass against 6.7-7.4); EMONET_WINOGRAD_TILES for measuring.
    static let groupTiles: Int = ProcessInfo.processInfo.environment["EMONET_WINOGRAD_TILES"].flatMap { Int($0) }.map { max(1, $0) } ?? 32

    /// `EMONET_WINOGRAD_TILE=2` keeps every layer on F(2x2, 3x3), for measuring.
    static let largeTiles = ProcessInfo.processInfo.environment["EMONET_WINOGRAD_TILE"] != "2"

    /// The output tile a convolution with this kernel, stride, padding and input channels runs with on maps of
    /// h x w: 4 (F(4x4, 3x3)) where both sides are multiples of 4, else 2 (F(2x2, 3x3)) where both are even,
    /// else nil (im2col and a GEMM). Only with our GEMM, which it needs.
    static func tile(kernelSize: Int, stride: Int, padding: Int, inputChannels: Int, h: Int, w: Int, ownGemm: Bool) -> Int? {
        guard allowed && ownGemm && kernelSize == 3 && stride == 1 && padding == 1 && inputChannels >= minimumChannels,
              h >= 2, w >= 2 else { return nil }
        if largeTiles && h % 4 == 0 && w % 4 == 0 { return 4 }
        return h % 2 == 0 && w % 2 == 0 ? 2 : nil
    }

    /// Images per call for maps of h x w in tiles of `tile`.
    static func groupSize(tile: Int, h: Int, w: Int) -> Int { max(1, groupTiles / max(1, (h / tile) * (w / tile))) }

    /// Filters [Cout, Cin, 3, 3] transformed for output tiles of `tile` (2 or 4), and packed for the GEMM layout
    /// a group's column count picks, each layout once after an update (`prepare`, before the threads start), so
    /// that workers can share them read-only.
    final class Filters {
        let outputChannels: Int, inputChannels: Int, tile: Int
        /// The products per tile: 16 for F(2x2, 3x3), 36 for F(4x4, 3x3).
        private let matrices: Int
        private let transformed: Tensor
        private let packed: [Tensor]
        private let floats: [Int]
        /// Which layouts hold the filters of the last update.
        private var current = [false, false]

        init(outputChannels: Int, inputChannels: Int, tile: Int) {
            precondition(tile == 2 || tile == 4, "Winograd tiles are 2x2 or 4x4")
            self.outputChannels = outputChannels
            self.inputChannels = inputChannels
            self.tile = tile
            let matrices = (tile + 2) * (tile + 2)
            self.matrices = matrices
            transformed = Tensor(shape: [matrices * outputChannels * inputChannels])
            let floats = (0..<2).map { Int(emonet_packed_floats(Int32($0), Int32(outputChannels), Int32(inputChannels))) }
            self.floats = floats
            packed = floats.map { Tensor(shape: [matrices * $0]) }
        }

        /// Transforms `weights` ([Cout, Cin, 3, 3]); packing waits for `prepare`.
        func update(_ weights: UnsafePointer<Float>) {
            let (cout, cin) = (Int32(outputChannels), Int32(inputChannels))
            if tile == 4 {
                emonet_winograd43_filters(cout, cin, weights, transformed.data)
            } else {
                emonet_winograd_filters(cout, cin, weights, transformed.data)
            }
            current = [false, false]
        }

        /// The GEMM layout for n images of h x w.
        func layout(images n: Int, h: Int, w: Int) -> Int {
            Int(emonet_packed_layout(Int32(outputChannels), Int32(n * (h / tile) * (w / tile))))
        }

        /// Packs the transformed filters in `layout` unless that is done since the last update.
        func prepare(layout: Int) {
            guard !current[layout] else { return }
            let (cout, cin) = (Int32(outputChannels), Int32(inputChannels))
            for xi in 0..<matrices {
                emonet_pack_weights(Int32(layout), cout, cin, transformed.data + xi * outputChannels * inputChannels, cin,
                                    packed[layout].data + xi * floats[layout])
            }
            current[layout] = true
        }

        /// y [n, Cout, h, w] = the convolution of x [n, Cin, h, w] + bias, then ReLU when `relu`; `scratch` must
        /// hold `scratchFloats(images: n, ...)`, and `prepare` must have packed this n's layout.
        func convolve(images n: Int, h: Int, w: Int, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
                      scratch: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
            let layout = layout(images: n, h: h, w: w)
            precondition(current[layout], "Winograd filters used before prepare(layout:)")
            let (n, cin, cout, h, w, l) = (Int32(n), Int32(inputChannels), Int32(outputChannels), Int32(h), Int32(w), Int32(layout))
            if tile == 4 {
                emonet_winograd43_conv(n, cin, cout, h, w, x, packed[layout].data, l, bias, relu, scratch, y)
            } else {
                emonet_winograd_conv(n, cin, cout, h, w, x, packed[layout].data, l, bias, relu, scratch, y)
            }
        }

        func scratchFloats(images n: Int, h: Int, w: Int) -> Int {
            let (n, cin, cout, h, w) = (Int32(n), Int32(inputChannels), Int32(outputChannels), Int32(h), Int32(w))
            return Int(tile == 4 ? emonet_winograd43_scratch_floats(n, cin, cout, h, w) : emonet_winograd_scratch_floats(n, cin, cout, h, w))
        }
    }

    /// Runs `filters` over the n images of x on `workers` threads (Parallel.chunks' slices), each slice in groups
    /// of `groupSize` images (its last one shorter) on its worker's `scratch`. The scratch is grown and the filters
    /// packed for the groups' layouts here, before the threads start, so the threads allocate nothing.
    static func convolve(_ filters: Filters, images n: Int, h: Int, w: Int, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         relu: Bool, workers: Int, scratch: inout [Tensor], y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        let group = min(groupSize(tile: filters.tile, h: h, w: w), n), used = Parallel.threads(n, workers: workers)
        filters.prepare(layout: filters.layout(images: group, h: h, w: w))
        for i in 0..<used {
            let last = Parallel.chunk(i, of: n, workers: used).count % group
            if last > 0 { filters.prepare(layout: filters.layout(images: last, h: h, w: w)) }
        }
        let floats = filters.scratchFloats(images: group, h: h, w: w)
        while scratch.count < used { scratch.append(Tensor(shape: [0])) }
        for s in scratch.prefix(used) where s.count < floats { s.reshape(floats) }
        let imageIn = filters.inputChannels * h * w, imageOut = filters.outputChannels * h * w
        let buffers = scratch
        Parallel.chunks(n, workers: used) { range, worker in
            let s = buffers[worker].data
            for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: group) {
                let count = min(group, range.upperBound - first)
                filters.convolve(images: count, h: h, w: w, x: x + first * imageIn, bias: bias, relu: relu, scratch: s,
                                 y: y + first * imageOut)
            }
        }
    }
}
