// Weight averaging (SWA, Izmailov et al. 2018): the element-wise mean of several trained models of one
// architecture, typically the ends of successive learning-rate cycles. The mean of the batch-norm
// running statistics describes none of the averaged networks, so they are recounted afterwards by
// running training batches through the averaged network (`recountBatchNormStatistics`).
import Foundation

extension ModelFile {
    /// The element-wise mean of every tensor of `files` (all of one architecture, at least one).
    /// Metadata comes from the last file. Batch-norm statistics are averaged too: recount them.
    public static func averaging(_ files: [ModelFile]) throws -> ModelFile {
        guard let first = files.first else { throw NeuralNetError.badArchitecture("nothing to average") }
        for file in files.dropFirst() where file.spec != first.spec {
            throw NeuralNetError.badFile(file: file.path, reason: "its architecture differs from \(first.path)'s; only models of one architecture can be averaged")
        }
        var result = files.last!
        let scale = 1 / Double(files.count)
        for name in first.tensors.keys {
            let mean = first.tensors[name]!.clone()
            let count = mean.count
            var sums = [Double](repeating: 0, count: count)
            for file in files {
                let t = file.tensors[name]!  // present with this shape: decode and init check every tensor
                for i in 0..<count { sums[i] += Double(t[i]) }
            }
            for i in 0..<count { mean[i] = Float(sums[i] * scale) }
            result.tensors[name] = mean
        }
        result.path = "<average of \(files.count)>"
        return result
    }
}

extension Sequential {
    /// Replaces every batch-norm layer's running statistics by their plain average over `batches`,
    /// each run forward in training mode (dropout on, as when the statistics were first gathered).
    /// Returns the number of batches seen. Weights are not changed.
    @discardableResult
    public func recountBatchNormStatistics(_ batches: some Sequence<Tensor>) -> Int {
        let norms = layers.compactMap { $0 as? BatchNorm2D }
        for norm in norms { norm.startRecount() }
        defer { for norm in norms { norm.stopRecount() } }
        var seen = 0
        for batch in batches {
            _ = forward(batch, training: true)
            seen += 1
        }
        return seen
    }
}
