#!/usr/bin/env python3
"""Writes Tests/NeuralNetTests/Fixtures/torch_parity.safetensors: inputs, weights, outputs and
gradients of every NeuralNet layer computed by PyTorch (CPU, float64 then stored as float32),
plus a small conv net trained for a few SGD (Nesterov) and AdamW steps.

Each case uses an upstream gradient R: the loss is sum(y * R), so dL/dy = R.
Run only to regenerate the fixture (needs torch):  .venv/bin/python scripts/make_parity_fixture.py
"""
import json
import struct
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(20261125)
torch.set_default_dtype(torch.float64)
out = {}


def put(name, t):
    out[name] = t.detach().to(torch.float32).contiguous()


def rand(*shape):
    return torch.randn(*shape)


def layer_case(prefix, module, x, params=()):
    """Forward, backward with R, and store x, y, R, dx and every (param, grad)."""
    x = x.clone().requires_grad_(True)
    y = module(x)
    r = rand(*y.shape)
    (y * r).sum().backward()
    put(f"{prefix}.input", x)
    put(f"{prefix}.output", y)
    put(f"{prefix}.upstream", r)
    put(f"{prefix}.grad_input", x.grad)
    for name, p in params:
        put(f"{prefix}.{name}", p)
        put(f"{prefix}.{name}.grad", p.grad)


# Convolutions: padded with bias; strided without padding or bias; 1x1.
conv = nn.Conv2d(3, 4, 3, stride=1, padding=1, bias=True)
layer_case("conv_pad", conv, rand(2, 3, 7, 6), [("weight", conv.weight), ("bias", conv.bias)])
conv = nn.Conv2d(2, 5, 3, stride=2, padding=0, bias=False)
layer_case("conv_stride", conv, rand(2, 2, 9, 8), [("weight", conv.weight)])
conv = nn.Conv2d(3, 2, 5, stride=2, padding=2, bias=True)
layer_case("conv_k5", conv, rand(1, 3, 8, 7), [("weight", conv.weight), ("bias", conv.bias)])

# Batch norm in training mode (batch statistics, running stats updated), then eval mode.
bn = nn.BatchNorm2d(3)
with torch.no_grad():
    bn.weight.copy_(rand(3))
    bn.bias.copy_(rand(3))
x = rand(4, 3, 5, 5) * 2 + 1
layer_case("bn_train", bn, x, [("weight", bn.weight), ("bias", bn.bias)])
put("bn_train.running_mean_after", bn.running_mean)
put("bn_train.running_var_after", bn.running_var)
bn.eval()
bn.weight.grad = None
bn.bias.grad = None
layer_case("bn_eval", bn, rand(2, 3, 4, 4), [("weight", bn.weight), ("bias", bn.bias)])
put("bn_eval.running_mean", bn.running_mean)
put("bn_eval.running_var", bn.running_var)

layer_case("relu", nn.ReLU(), rand(2, 3, 4, 5))
layer_case("maxpool2", nn.MaxPool2d(2), rand(2, 3, 6, 7))
layer_case("maxpool3s2", nn.MaxPool2d(3, stride=2), rand(1, 2, 9, 9))
layer_case("avgpool2", nn.AvgPool2d(2), rand(2, 3, 6, 7))
layer_case("gap", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()), rand(2, 4, 3, 5))
layer_case("flatten", nn.Flatten(), rand(2, 3, 2, 2))
dense = nn.Linear(12, 5)
layer_case("dense", dense, rand(3, 12), [("weight", dense.weight), ("bias", dense.bias)])

# Softmax cross-entropy: hard labels, label smoothing 0.1, soft targets.
logits = rand(5, 7) * 3
labels = torch.tensor([0, 3, 6, 2, 3])
for name, kwargs in [("ce_hard", {}), ("ce_smooth", {"label_smoothing": 0.1})]:
    z = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(z, labels, **kwargs)
    loss.backward()
    put(f"{name}.logits", z)
    put(f"{name}.labels", labels.to(torch.float64))
    put(f"{name}.loss", loss.reshape(1))
    put(f"{name}.grad", z.grad)
soft = torch.softmax(rand(5, 7), dim=1)
z = logits.clone().requires_grad_(True)
loss = F.cross_entropy(z, soft)
loss.backward()
put("ce_soft.logits", z)
put("ce_soft.targets", soft)
put("ce_soft.loss", loss.reshape(1))
put("ce_soft.grad", z.grad)


# A whole small net, the shape of the emotion network in miniature.
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(6)
        self.fc1 = nn.Linear(6 * 4 * 4, 10)
        self.fc2 = nn.Linear(10, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


names = ["conv1.weight", "bn1.weight", "bn1.bias", "conv2.weight", "bn2.weight", "bn2.bias",
         "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
x = rand(6, 1, 16, 16)
y = torch.tensor([0, 1, 2, 1, 0, 2])
put("net.input", x)
put("net.labels", y.to(torch.float64))
for opt_name in ["sgd", "adamw"]:
    torch.manual_seed(7)
    net = Net()
    with torch.no_grad():
        for bn in (net.bn1, net.bn2):
            bn.weight.copy_(1 + 0.1 * rand(bn.num_features))
            bn.bias.copy_(0.1 * rand(bn.num_features))
    state = net.state_dict()
    for n in names:
        put(f"net.{opt_name}.initial.{n}", state[n])
    # Weight decay on conv/dense weights only, as the engine does (biases and batch norm are exempt).
    decay = [p for n, p in net.named_parameters() if n.endswith("weight") and not n.startswith("bn")]
    exempt = [p for n, p in net.named_parameters() if not (n.endswith("weight") and not n.startswith("bn"))]
    if opt_name == "sgd":
        opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-3}, {"params": exempt, "weight_decay": 0}],
                              lr=0.05, momentum=0.9, nesterov=True)
    else:
        opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": exempt, "weight_decay": 0}],
                                lr=0.01)
    losses = []
    for step in range(4):
        opt.zero_grad()
        logits = net(x)
        loss = F.cross_entropy(logits, y, label_smoothing=0.05)
        loss.backward()
        if step == 0:
            put(f"net.{opt_name}.logits0", logits)
            for n, p in net.named_parameters():
                put(f"net.{opt_name}.grad0.{n}", p.grad)
        opt.step()
        losses.append(loss.item())
    put(f"net.{opt_name}.losses", torch.tensor(losses))
    state = net.state_dict()
    for n in names + ["bn1.running_mean", "bn1.running_var", "bn2.running_mean", "bn2.running_var"]:
        put(f"net.{opt_name}.final.{n}", state[n])

header, blobs, offset = {}, [], 0
for name in sorted(out):
    data = out[name].numpy().astype("<f4").tobytes()
    header[name] = {"dtype": "F32", "shape": list(out[name].shape), "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
header["__metadata__"] = {"generator": "scripts/make_parity_fixture.py", "torch": torch.__version__}
h = json.dumps(header, sort_keys=True).encode()
h += b" " * ((8 - (len(h) + 8) % 8) % 8)
path = Path(__file__).resolve().parent.parent / "Tests/NeuralNetTests/Fixtures/torch_parity.safetensors"
path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
print(f"wrote {path} ({path.stat().st_size} bytes, {len(out)} tensors, torch {torch.__version__})", file=sys.stderr)
