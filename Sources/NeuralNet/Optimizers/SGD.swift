// Stochastic gradient descent with (Nesterov) momentum and L2 weight decay, exactly as torch.optim.SGD:
//   g ← ∇ + wd·θ (decaying parameters only);  v ← μ·v + g (v = g on the first step);
//   update = g + μ·v (Nesterov) or v;  θ ← θ − lr·update.

public final class SGD: Optimizer {
    public var learningRate: Float
    public let momentum: Float
    public let nesterov: Bool
    public let weightDecay: Float
    public var steps = 0
    private var velocity: [ObjectIdentifier: (name: String, tensor: Tensor)] = [:]
    private var order: [ObjectIdentifier] = []

    public init(learningRate: Float, momentum: Float = 0.9, nesterov: Bool = true, weightDecay: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public func step(_ parameters: [Parameter]) {
        for p in parameters {
            let id = ObjectIdentifier(p)
            if velocity[id] == nil {
                velocity[id] = ("momentum.\(p.name)", Tensor(shape: p.value.shape))
                order.append(id)
            }
            let v = velocity[id]!.tensor.data, theta = p.value.data, grad = p.grad.data
            let wd = p.decays ? weightDecay : 0, mu = momentum, lr = learningRate
            for i in 0..<p.value.count {
                let g = grad[i] + wd * theta[i]
                if mu == 0 {
                    theta[i] -= lr * g
                    continue
                }
                v[i] = mu * v[i] + g  // v starts at 0, so the first step gives v = g
                theta[i] -= lr * (nesterov ? g + mu * v[i] : v[i])
            }
        }
        steps += 1
    }

    public var state: [(name: String, tensor: Tensor)] { order.map { velocity[$0]! } }

    public func restore(_ tensors: [String: Tensor], parameters: [Parameter]) throws {
        velocity = [:]
        order = []
        guard steps > 0, momentum != 0 else { return }
        for p in parameters {
            let key = "momentum.\(p.name)"
            velocity[ObjectIdentifier(p)] = (key, try savedTensor(key, like: p, in: tensors).clone())
            order.append(ObjectIdentifier(p))
        }
    }
}
