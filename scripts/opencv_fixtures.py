#!/usr/bin/env python3
"""Records OpenCV's face boxes for the photos in ../shared/media into a small JSON fixture.

Usage: python scripts/opencv_fixtures.py [--media DIR] [--out Tests/FaceDetectionTests/Fixtures/opencv_boxes.json]
Needs opencv-python-headless 4.x (4.10 here; version 5 has no CascadeClassifier) and numpy.

For each photo the gray image is made the way our code makes it: decode to RGB (cv2.imread gives
BGR; libjpeg-turbo in both) then cv2.cvtColor(..., COLOR_BGR2GRAY) (BT.601, 14-bit fixed point).
A checksum of that gray image is stored so the Swift test can tell a decoder difference apart
from a detector difference. Detection runs single-threaded (cv2.setNumThreads(1)), so boxes come
in OpenCV's deterministic order. The script also prints recall against dlib's ground truth.
"""
import argparse
import glob
import json
import os
import xml.etree.ElementTree as ET

import cv2
import numpy as np

CASCADES = "/usr/share/opencv4"
# (cascade, scaleFactor, minNeighbors, minSize); minNeighbors 0 records the raw windows.
RUNS = [
    ("haarcascades/haarcascade_frontalface_default.xml", 1.1, 3, 0),   # OpenCV's defaults
    ("haarcascades/haarcascade_frontalface_default.xml", 1.1, 5, 30),  # the benchmark's first set
    ("haarcascades/haarcascade_frontalface_default.xml", 1.2, 5, 60),  # the benchmark's second set
    ("haarcascades/haarcascade_frontalface_default.xml", 1.3, 0, 40),  # raw windows, no grouping
    ("haarcascades/haarcascade_frontalface_alt_tree.xml", 1.2, 3, 40),  # deeper trees
    ("haarcascades/haarcascade_eye_tree_eyeglasses.xml", 1.3, 3, 20),  # tilted features + trees
    ("lbpcascades/lbpcascade_frontalface_improved.xml", 1.2, 3, 0),    # LBP
]


def gray_checksum(gray):
    """Σ (i mod 65521 + 1) · pixel[i] over the row-major pixels (same formula in the Swift test)."""
    flat = gray.reshape(-1).astype(np.int64)
    weights = (np.arange(flat.size, dtype=np.int64) % 65521) + 1
    return int((flat * weights).sum())


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x1 - x0) * max(0, y1 - y0)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


def recall(media, runs_by_image):
    """Recall of OpenCV's (and therefore our) boxes against dlib's ground truth at IoU >= 0.5."""
    truth_file = os.path.join(media, "dlib_faces_training.xml")
    if not os.path.exists(truth_file):
        return
    root = ET.parse(truth_file).getroot()
    for image in root.iter("image"):
        name = "dlib_" + image.get("file")
        if name not in runs_by_image:
            continue
        truth = [(int(b.get("left")), int(b.get("top")), int(b.get("width")), int(b.get("height")))
                 for b in image.iter("box")]
        for run in runs_by_image[name]:
            if not run["cascade"].endswith("frontalface_default.xml") or run["minNeighbors"] == 0:
                continue
            boxes = [tuple(f[:4]) for f in run["boxes"]]
            hits = sum(1 for t in truth if any(iou(t, b) >= 0.5 for b in boxes))
            best = [round(max([iou(t, b) for b in boxes] or [0]), 2) for t in truth]
            print(f"recall {name} ({run['scaleFactor']}, {run['minNeighbors']}, {run['minSize']}): "
                  f"{hits}/{len(truth)} ground-truth faces at IoU >= 0.5 (best IoU per face {best}), "
                  f"{len(boxes)} boxes")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", default=os.path.join(here, "..", "..", "shared", "media"))
    parser.add_argument("--out", default=os.path.join(here, "..", "Tests", "FaceDetectionTests", "Fixtures",
                                                      "opencv_boxes.json"))
    args = parser.parse_args()
    cv2.setNumThreads(1)
    photos = sorted(glob.glob(os.path.join(args.media, "*.jpg")) + glob.glob(os.path.join(args.media, "*.png")))
    if not photos:
        raise SystemExit(f"no photos in {args.media}")
    classifiers = {}
    images = []
    runs_by_image = {}
    for path in photos:
        bgr = cv2.imread(path, cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
        runs = []
        for cascade, scale, neighbors, min_size in RUNS:
            if cascade not in classifiers:
                classifiers[cascade] = cv2.CascadeClassifier(os.path.join(CASCADES, cascade))
            # detectMultiScale2 also returns each box's neighbour count.
            boxes, counts = classifiers[cascade].detectMultiScale2(
                gray, scaleFactor=scale, minNeighbors=neighbors, minSize=(min_size, min_size))
            boxes = np.array(boxes).reshape(-1, 4).tolist()
            counts = np.array(counts).reshape(-1).tolist()
            runs.append({"cascade": os.path.basename(cascade), "scaleFactor": scale, "minNeighbors": neighbors,
                         "minSize": min_size,
                         "boxes": [[int(v) for v in b] + [int(n)] for b, n in zip(boxes, counts)]})
        name = os.path.basename(path)
        runs_by_image[name] = runs
        images.append({"image": name, "width": int(gray.shape[1]), "height": int(gray.shape[0]),
                       "grayChecksum": gray_checksum(gray), "runs": runs})
        print(f"{name}: {gray.shape[1]}x{gray.shape[0]}, " +
              ", ".join(f"{len(r['boxes'])}" for r in runs) + " boxes")
    fixture = {"format": "emonet-opencv-boxes", "version": 1, "opencv": cv2.__version__,
               "grayChecksum": "sum over row-major pixels of (index mod 65521 + 1) * value",
               "boxes": "x, y, width, height, neighbors",
               "images": images}
    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {args.out} ({os.path.getsize(args.out)} bytes)")
    recall(args.media, runs_by_image)


if __name__ == "__main__":
    main()
