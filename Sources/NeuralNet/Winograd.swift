// Winograd F(2x2, 3x3) convolutions (Sources/CBLAS/winograd.c) for the layers whose shape allows them: the
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
    /// has 9 tiles, so one image alone is a poor GEMM), few enough that the tiles stay in cache. 64 was the
    /// fastest of 1, 64, 256 and 1024 for vgg4s at batch 8 (`EmoNetBench layers`); EMONET_WINOGRAD_TILES for measuring.
    static let groupTiles: Int = ProcessInfo.processInfo.environment["EMONET_WINOGRAD_TILES"].flatMap { Int($0) }.map { max(1, $0) } ?? 64

    /// Whether a convolution with this kernel, stride, padding and input channels runs as Winograd on maps
    /// of h x w (with our GEMM, which it needs).
    static func applies(kernelSize: Int, stride: Int, padding: Int, inputChannels: Int, h: Int, w: Int, ownGemm: Bool) -> Bool {
        allowed && ownGemm && kernelSize == 3 && stride == 1 && padding == 1 && inputChannels >= minimumChannels
            && h % 2 == 0 && w % 2 == 0 && h >= 2 && w >= 2
    }

    /// Images per call for maps of h x w.
    static func groupSize(h: Int, w: Int) -> Int { max(1, groupTiles / max(1, (h / 2) * (w / 2))) }

    /// Filters [Cout, Cin, 3, 3] transformed and packed for both GEMM layouts (a group's column count picks
    /// one), so that workers can share them read-only.
    final class Filters {
        let outputChannels: Int, inputChannels: Int
        private let transformed: Tensor
        private let packed: [Tensor]
        private let floats: [Int]

        init(outputChannels: Int, inputChannels: Int) {
            self.outputChannels = outputChannels
            self.inputChannels = inputChannels
            transformed = Tensor(shape: [16 * outputChannels * inputChannels])
            floats = (0..<2).map { Int(emonet_packed_floats(Int32($0), Int32(outputChannels), Int32(inputChannels))) }
            packed = floats.map { Tensor(shape: [16 * $0]) }
        }

        /// Transforms and packs `weights` ([Cout, Cin, 3, 3]).
        func update(_ weights: UnsafePointer<Float>) {
            let (cout, cin) = (Int32(outputChannels), Int32(inputChannels))
            emonet_winograd_filters(cout, cin, weights, transformed.data)
            for layout in 0..<2 {
                for xi in 0..<16 {
                    emonet_pack_weights(Int32(layout), cout, cin, transformed.data + xi * outputChannels * inputChannels, cin,
                                        packed[layout].data + xi * floats[layout])
                }
            }
        }

        /// y [n, Cout, h, w] = the convolution of x [n, Cin, h, w] + bias, then ReLU when `relu`; `scratch`
        /// must hold `Winograd.scratchFloats` for at least n images.
        func convolve(images n: Int, h: Int, w: Int, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool,
                      scratch: UnsafeMutablePointer<Float>, y: UnsafeMutablePointer<Float>) {
            let layout = Int(emonet_packed_layout(Int32(outputChannels), Int32(n * (h / 2) * (w / 2))))
            emonet_winograd_conv(Int32(n), Int32(inputChannels), Int32(outputChannels), Int32(h), Int32(w), x, packed[layout].data,
                                 Int32(layout), bias, relu, scratch, y)
        }

        func scratchFloats(images n: Int, h: Int, w: Int) -> Int {
            Int(emonet_winograd_scratch_floats(Int32(n), Int32(inputChannels), Int32(outputChannels), Int32(h), Int32(w)))
        }
    }

    /// Runs `filters` over the n images of x on `workers` threads, each group of images on its worker's
    /// `scratch` (grown here, before the threads start, so the threads allocate nothing).
    static func convolve(_ filters: Filters, images n: Int, h: Int, w: Int, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                         relu: Bool, workers: Int, scratch: inout [Tensor], y: UnsafeMutablePointer<Float>) {
        let group = groupSize(h: h, w: w)
        let floats = filters.scratchFloats(images: min(group, n), h: h, w: w)
        while scratch.count < workers { scratch.append(Tensor(shape: [0])) }
        for s in scratch.prefix(workers) where s.count < floats { s.reshape(floats) }
        let imageIn = filters.inputChannels * h * w, imageOut = filters.outputChannels * h * w
        let buffers = scratch
        Parallel.chunks(n, workers: workers) { range, worker in
            let s = buffers[worker].data
            for first in Swift.stride(from: range.lowerBound, to: range.upperBound, by: group) {
                let count = min(group, range.upperBound - first)
                filters.convolve(images: count, h: h, w: w, x: x + first * imageIn, bias: bias, relu: relu, scratch: s,
                                 y: y + first * imageOut)
            }
        }
    }
}
