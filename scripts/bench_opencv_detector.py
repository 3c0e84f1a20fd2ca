#!/usr/bin/env python3
"""The reference side of `make bench-detector`: times OpenCV's detectMultiScale on request, so that
EmoNetBench can time OpenCV and ours on the same case seconds apart (this machine's speed drifts by
tens of percent over minutes; timing one side after the other over a whole run mixed that drift into
the ratios).

Usage: python scripts/bench_opencv_detector.py --serve
  Prints {"opencv": VERSION}, then for each request line on stdin,
  "PHOTO_PATH SCALE_FACTOR MIN_NEIGHBORS MIN_SIZE THREADS REPEATS", one JSON line:
  {"times_ms": [...], "gray_checksum": N, "boxes": [[x, y, w, h, neighbours], ...]}.

Each photo is decoded (cv2.imread), converted to gray (COLOR_BGR2GRAY) and resized to 640x480 with
INTER_LINEAR_EXACT, which our Imaging.resizedBilinear reproduces bit for bit (the checksum lets the
Swift side prove it timed the same pixels). Each request runs 2 warm-ups, then REPEATS timed calls.
"""
import argparse
import json
import sys
import time

import cv2
import numpy as np

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
SIZE = (640, 480)


def gray_checksum(gray):
    flat = gray.reshape(-1).astype(np.int64)
    return int((flat * ((np.arange(flat.size, dtype=np.int64) % 65521) + 1)).sum())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--serve", action="store_true", help="answer timing requests on stdin (see above)")
    args = parser.parse_args()
    if not args.serve:
        parser.error("run it with --serve (EmoNetBench detector --python PYTHON starts it)")
    classifier = cv2.CascadeClassifier(CASCADE)
    if classifier.empty():
        raise SystemExit(f"cannot load {CASCADE} (install Debian's opencv-data)")
    print(json.dumps({"opencv": cv2.__version__}), flush=True)
    images = {}
    for line in sys.stdin:
        path, scale, neighbors, min_size, threads, repeats = line.split()
        if path not in images:
            gray = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
            images[path] = cv2.resize(gray, SIZE, interpolation=cv2.INTER_LINEAR_EXACT)
        small = images[path]
        cv2.setNumThreads(int(threads))
        run = lambda: classifier.detectMultiScale2(small, scaleFactor=float(scale), minNeighbors=int(neighbors),
                                                   minSize=(int(min_size), int(min_size)))
        for _ in range(2):
            run()
        times = []
        for _ in range(int(repeats)):
            start = time.perf_counter()
            boxes, counts = run()
            times.append((time.perf_counter() - start) * 1000)
        boxes = np.array(boxes).reshape(-1, 4).tolist()
        counts = np.array(counts).reshape(-1).tolist()
        print(json.dumps({"times_ms": times, "gray_checksum": gray_checksum(small),
                          "boxes": [[int(v) for v in b] + [int(n)] for b, n in zip(boxes, counts)]}), flush=True)


if __name__ == "__main__":
    main()
