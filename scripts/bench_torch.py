#!/usr/bin/env python3
"""The reference side of `make bench` for the network engine: the same VGG-style nets in PyTorch
(CPU), timed the same way as EmoNetBench's `network` case. Prints one JSON object.

usage: bench_torch.py SPEC_JSON   (the architecture as EmoNet's ModelSpec JSON, so both sides build
the identical network from one description)
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def build(spec):
    layers, shape = [], list(spec["inputShape"])
    for l in spec["layers"]:
        t = l["type"]
        if t == "conv2d":
            layers.append(nn.Conv2d(l["inputChannels"], l["outputChannels"], l["kernelSize"], l.get("stride", 1),
                                    l.get("padding", 0), bias=l.get("bias", True)))
            k, s, p = l["kernelSize"], l.get("stride", 1), l.get("padding", 0)
            shape = [l["outputChannels"], (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1]
        elif t == "batchnorm2d":
            # After a dense layer the input is [N, C]: that is BatchNorm1d's job in PyTorch.
            layers.append(nn.BatchNorm2d(l["outputChannels"]) if len(shape) == 3 else nn.BatchNorm1d(l["outputChannels"]))
        elif t == "relu":
            layers.append(nn.ReLU())
        elif t == "maxpool2d":
            layers.append(nn.MaxPool2d(l["kernelSize"], l.get("stride")))
            shape = [shape[0], (shape[1] - l["kernelSize"]) // l.get("stride", l["kernelSize"]) + 1,
                     (shape[2] - l["kernelSize"]) // l.get("stride", l["kernelSize"]) + 1]
        elif t == "flatten":
            layers.append(nn.Flatten())
            shape = [shape[0] * shape[1] * shape[2]]
        elif t == "dropout":
            layers.append(nn.Dropout(l["probability"]))
        elif t == "dense":
            layers.append(nn.Linear(shape[0], l["outputFeatures"], bias=l.get("bias", True)))
            shape = [l["outputFeatures"]]
        else:
            raise SystemExit(f"bench_torch: layer type {t} not supported")
    return nn.Sequential(*layers)


def median_time(fn, repeats, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    spec = json.loads(open(sys.argv[1]).read())
    model = build(spec)
    result = {"torch": torch.__version__}
    torch.set_num_threads(1)
    model.eval()
    with torch.no_grad():
        for batch in (1, 8):
            x = torch.randn(batch, *spec["inputShape"])
            result[f"inference_ms_per_face_batch{batch}"] = median_time(lambda: model(x), 30 if batch == 1 else 15) * 1000 / batch
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)
    x = torch.randn(64, *spec["inputShape"])
    y = torch.randint(0, 7, (64,))

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
        opt.step()

    for threads in (1, 2):
        torch.set_num_threads(threads)
        result[f"train_images_per_s_threads{threads}"] = 64 / median_time(step, 8, warmup=2)
    print(json.dumps(result))


main()
