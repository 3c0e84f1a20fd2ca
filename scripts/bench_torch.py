#!/usr/bin/env python3
"""The reference side of `make bench-network`: the same VGG-style nets in PyTorch (CPU), timed the way
EmoNetBench's `network` case times its own.

usage: bench_torch.py SPEC_JSON   (the architecture as EmoNet's ModelSpec JSON, so both sides build the
identical network from one description)

It stays running and answers one measure per line on stdin, so the benchmark can alternate ours and
PyTorch's: `MEASURE RUNS` with MEASURE one of infer1, infer8 (inference, batch 1 or 8, one thread, time per
face) or train1, train2 (a training step on 64 images with SGD, one or two threads, images per second);
each answer is one JSON line {"measure": ..., "value": median over RUNS timed runs}. The first request of
each measure also runs it a few times untimed. `quit` or end of input stops it.
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


def median_time(fn, runs, warmup):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    spec = json.loads(open(sys.argv[1]).read())
    model = build(spec)
    inputs = {batch: torch.randn(batch, *spec["inputShape"]) for batch in (1, 8)}
    x, y = torch.randn(64, *spec["inputShape"]), torch.randint(0, 7, (64,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, nesterov=True, weight_decay=5e-4)

    def infer(batch):
        with torch.no_grad():
            model(inputs[batch])

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y, label_smoothing=0.1).backward()
        opt.step()

    seen = set()
    print(json.dumps({"torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        measure, runs = words[0], int(words[1])
        warmup = 0 if measure in seen else 3
        seen.add(measure)
        if measure in ("infer1", "infer8"):
            batch = int(measure[-1])
            torch.set_num_threads(1)
            model.eval()
            value = median_time(lambda: infer(batch), runs, warmup) * 1000 / batch
        elif measure in ("train1", "train2"):
            torch.set_num_threads(int(measure[-1]))
            model.train()
            value = 64 / median_time(step, runs, warmup)
        else:
            raise SystemExit(f"bench_torch: unknown measure {measure}")
        print(json.dumps({"measure": measure, "value": value}), flush=True)


main()
