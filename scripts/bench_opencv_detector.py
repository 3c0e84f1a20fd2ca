#!/usr/bin/env python3
"""Times OpenCV's detectMultiScale on the ../shared/media photos scaled to 640x480 (the reference
side of `make bench-detector`; EmoNetBench detector times ours on the same images and compares).

Usage: python scripts/bench_opencv_detector.py [--media DIR] [--repeats N] [--out bench-results/detector_opencv.json]

Each photo is decoded (cv2.imread), converted to gray (COLOR_BGR2GRAY) and resized to 640x480 with
INTER_LINEAR_EXACT, which our Imaging.resizedBilinear reproduces bit for bit (the JSON carries a
checksum of every resized image so the Swift side can prove it timed the same pixels). Parameter
sets (scaleFactor, minNeighbors, minSize): (1.1, 5, 30) and (1.2, 5, 60); one thread
(cv2.setNumThreads(1)), then two. Reported time: the median of `repeats` runs after 2 warm-ups.
"""
import argparse
import glob
import json
import os
import statistics
import time

import cv2
import numpy as np

CASCADE = "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"
PARAMETERS = [(1.1, 5, 30), (1.2, 5, 60)]
SIZE = (640, 480)


def gray_checksum(gray):
    flat = gray.reshape(-1).astype(np.int64)
    return int((flat * ((np.arange(flat.size, dtype=np.int64) % 65521) + 1)).sum())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", default=os.path.join(here, "..", "..", "shared", "media"))
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--out", default=os.path.join(here, "..", "bench-results", "detector_opencv.json"))
    args = parser.parse_args()
    photos = sorted(glob.glob(os.path.join(args.media, "*.jpg")) + glob.glob(os.path.join(args.media, "*.png")))
    if not photos:
        raise SystemExit(f"no photos in {args.media}")
    classifier = cv2.CascadeClassifier(CASCADE)
    if classifier.empty():
        raise SystemExit(f"cannot load {CASCADE} (install Debian's opencv-data)")
    results = []
    for path in photos:
        gray = cv2.cvtColor(cv2.imread(path, cv2.IMREAD_COLOR), cv2.COLOR_BGR2GRAY)
        small = cv2.resize(gray, SIZE, interpolation=cv2.INTER_LINEAR_EXACT)
        for scale, neighbors, min_size in PARAMETERS:
            for threads in (1, 2):
                cv2.setNumThreads(threads)
                run = lambda: classifier.detectMultiScale2(small, scaleFactor=scale, minNeighbors=neighbors,
                                                           minSize=(min_size, min_size))
                for _ in range(2):
                    run()
                times = []
                for _ in range(args.repeats):
                    start = time.perf_counter()
                    boxes, counts = run()
                    times.append((time.perf_counter() - start) * 1000)
                boxes = np.array(boxes).reshape(-1, 4).tolist()
                counts = np.array(counts).reshape(-1).tolist()
                entry = {"image": os.path.basename(path), "scaleFactor": scale, "minNeighbors": neighbors,
                         "minSize": min_size, "threads": threads, "medianMs": statistics.median(times),
                         "grayChecksum": gray_checksum(small),
                         "boxes": [[int(v) for v in b] + [int(n)] for b, n in zip(boxes, counts)]}
                results.append(entry)
                print(f"opencv {entry['image']:24s} ({scale}, {neighbors}, {min_size}) threads {threads}: "
                      f"{entry['medianMs']:7.1f} ms, {len(boxes)} faces")
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump({"format": "emonet-opencv-detector-bench", "version": 1, "opencv": cv2.__version__,
                   "width": SIZE[0], "height": SIZE[1], "repeats": args.repeats, "results": results}, f, indent=1)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
