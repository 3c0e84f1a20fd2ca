#!/usr/bin/env python3
"""Writes assets/icons/emonet.bmp, the live window's icon (SDL_SetWindowIcon): a 32x32 face in the overlay's
'happy' colour inside the corners of a detection box, 32-bit BMP with alpha (BITMAPV5HEADER, BI_BITFIELDS),
which SDL2 loads without SDL_image. Each pixel is the coverage of a 4x4 supersampled grid.

usage: scripts/make_icon.py [OUT.bmp]
"""
import math
import os
import struct
import sys

SIZE, SUB = 32, 4
YELLOW, DARK, BOX = (255, 210, 0), (40, 30, 10), (230, 230, 230)


def shade(x, y):
    """The colour at a point of the icon (0..SIZE), or None where it is transparent."""
    cx = cy = SIZE / 2
    r = math.hypot(x - cx, y - cy)
    # Box corners: L-shapes 7 px long, 2 px thick, at the edges.
    for ex, ey in ((1, 1), (SIZE - 1, 1), (1, SIZE - 1), (SIZE - 1, SIZE - 1)):
        dx, dy = abs(x - ex), abs(y - ey)
        if (dx < 7 and dy < 2) or (dy < 7 and dx < 2):
            if (x - cx) * (ex - cx) > 0 and (y - cy) * (ey - cy) > 0:
                return BOX
    if r > 11.5:
        return None
    if r > 10.5:
        return DARK
    for ex in (cx - 4, cx + 4):  # eyes
        if math.hypot(x - ex, (y - (cy - 3)) * 0.7) < 1.6:
            return DARK
    # Smile: an arc below the centre.
    smile = math.hypot(x - cx, y - (cy - 1))
    if 5.5 < smile < 7.0 and y > cy + 1.5:
        return DARK
    return YELLOW


def pixels():
    rows = []
    for py in range(SIZE):
        row = []
        for px in range(SIZE):
            acc, hits = [0, 0, 0], 0
            for sy in range(SUB):
                for sx in range(SUB):
                    c = shade(px + (sx + 0.5) / SUB, py + (sy + 0.5) / SUB)
                    if c:
                        hits += 1
                        acc = [a + v for a, v in zip(acc, c)]
            alpha = round(255 * hits / SUB ** 2)
            row.append(tuple(round(a / hits) for a in acc) + (alpha,) if hits else (0, 0, 0, 0))
        rows.append(row)
    return rows


def bmp(rows):
    # Bottom-up rows of B, G, R, A bytes.
    data = b"".join(struct.pack("<BBBB", b, g, r, a) for row in reversed(rows) for r, g, b, a in row)
    header = struct.pack("<IiiHHIIiiII", 124, SIZE, SIZE, 1, 32, 3, len(data), 2835, 2835, 0, 0)
    masks = struct.pack("<IIII", 0x00FF0000, 0x0000FF00, 0x000000FF, 0xFF000000)
    v5_rest = struct.pack("<I36sIII", 0x73524742, b"\0" * 36, 0, 0, 0) + struct.pack("<IIII", 4, 0, 0, 0)  # sRGB, perceptual
    info = header + masks + v5_rest
    assert len(info) == 124
    offset = 14 + len(info)
    return struct.pack("<2sIHHI", b"BM", offset + len(data), 0, 0, offset) + info + data


out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "assets", "icons", "emonet.bmp")
tmp = out + ".tmp"
with open(tmp, "wb") as f:
    f.write(bmp(pixels()))
os.replace(tmp, out)
