#!/usr/bin/env python3
"""Reference side of `EmoNetBench replay` and `EmoNetBench batch`: the `fer` package's video analysis.

Times fer's Video.analyze() with its TFLite emotion model and OpenCV Haar detector (mtcnn off), with the
detector set to EmoNet's full-scan parameters (scale 1.2, 4 neighbours, faces from 48 px), inference on
every frame, nothing saved or annotated. With several clips it loops over them in this one process (the
detector made once, as a user's script would). Prints one JSON line: {"frames": N, "seconds": S,
"loop_seconds": L, "faces": F, "clips": C}: S sums analyze() alone, L the whole loop (each clip's Video
set-up included); the TensorFlow import and the detector's construction are in neither. Run from the venv that `make bench-replay` builds (pip install fer).
"""
import json
import os
import sys
import tempfile
import time
import logging

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
logging.disable(logging.WARNING)


def main() -> int:
    if len(sys.argv) < 2:
        print("usage: bench_fer_video.py CLIP...", file=sys.stderr)
        return 2
    from fer.fer import FER  # fer 25.x's package __init__ no longer re-exports FER
    from fer.classes import Video
    import cv2

    # analyze() ends by converting the per-frame list to CSV rows, which raises on a clip with no face
    # (fer 25.10.3, Video._to_dict indexes data[0]); return the list itself, untimed conversion aside.
    Video.to_format = lambda self, data, fmt: data
    detector = FER(mtcnn=False, use_tflite=True, scale_factor=1.2, min_neighbors=4, min_face_size=48)

    # Each row is one frame's detections (a list of faces, or a dict keyed "box0", ... by fer version).
    def count(row):
        if isinstance(row, dict):
            return sum(1 for k in row if str(k).startswith("box"))
        return len(row)

    frames = faces = 0
    seconds = 0.0
    loop_start = time.perf_counter()
    for clip in sys.argv[1:]:
        with tempfile.TemporaryDirectory() as outdir:
            video = Video(clip, outdir=outdir)
            # analyze() returns only the frames with a face; it reads every frame the capture has.
            total = int(video.cap.get(cv2.CAP_PROP_FRAME_COUNT))
            start = time.perf_counter()
            rows = video.analyze(detector, display=False, frequency=1, save_frames=False, save_video=False,
                                 annotate_frames=False, zip_images=False)
            seconds += time.perf_counter() - start
        frames += max(total, len(rows))
        faces += sum(count(row) for row in rows)
    loop_seconds = time.perf_counter() - loop_start
    print(json.dumps({"frames": frames, "seconds": seconds, "loop_seconds": loop_seconds, "faces": faces,
                      "clips": len(sys.argv) - 1}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
