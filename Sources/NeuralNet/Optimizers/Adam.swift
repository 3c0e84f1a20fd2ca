// Adam, and AdamW when `decoupledWeightDecay` is set, as torch.optim.Adam / AdamW:
//   Adam:  g ← ∇ + wd·θ;            AdamW: θ ← θ·(1 − lr·wd) first, g ← ∇
//   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr · (m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
import Foundation

public final class Adam: Optimizer {
    public var learningRate: Float
    public let beta1: Float
    public let beta2: Float
    public let epsilon: Float
    public let weightDecay: Float
    public let decoupledWeightDecay: Bool
    public var steps = 0
    private var moments: [ObjectIdentifier: (m: Tensor, v: Tensor, name: String)] = [:]
    private var order: [ObjectIdentifier] = []

    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 0, decoupledWeightDecay: Bool = false) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public func step(_ parameters: [Parameter]) {
        steps += 1
        let t = Float(steps)
        let correction1 = 1 - powf(beta1, t), correction2 = 1 - powf(beta2, t)
        for p in parameters {
            let id = ObjectIdentifier(p)
            if moments[id] == nil {
                moments[id] = (Tensor(shape: p.value.shape), Tensor(shape: p.value.shape), p.name)
                order.append(id)
            }
            let (mT, vT, _) = moments[id]!
            let m = mT.data, v = vT.data, theta = p.value.data, grad = p.grad.data
            let wd = p.decays ? weightDecay : 0, lr = learningRate
            for i in 0..<p.value.count {
                var g = grad[i]
                if decoupledWeightDecay { theta[i] *= 1 - lr * wd } else { g += wd * theta[i] }
                m[i] = beta1 * m[i] + (1 - beta1) * g
                v[i] = beta2 * v[i] + (1 - beta2) * g * g
                let denominator = (v[i] / correction2).squareRoot() + epsilon
                theta[i] -= lr * (m[i] / correction1) / denominator
            }
        }
    }

    public var state: [(name: String, tensor: Tensor)] {
        order.flatMap { id -> [(name: String, tensor: Tensor)] in
            let s = moments[id]!
            return [("adam_m.\(s.name)", s.m), ("adam_v.\(s.name)", s.v)]
        }
    }

    public func restore(_ tensors: [String: Tensor], parameters: [Parameter]) throws {
        moments = [:]
        order = []
        guard steps > 0 else { return }
        for p in parameters {
            let m = try savedTensor("adam_m.\(p.name)", like: p, in: tensors).clone()
            let v = try savedTensor("adam_v.\(p.name)", like: p, in: tensors).clone()
            moments[ObjectIdentifier(p)] = (m, v, p.name)
            order.append(ObjectIdentifier(p))
        }
    }
}

