#!/usr/bin/env python3
"""Draws config/emblem.png: a simple stand-in for the League emblem (a red
disc, a golden ring and a golden five-pointed star), made here so it can
ship under the project's own licence. Replace it in config ([branding] emblem).
Usage: python3 scripts/draw-emblem.py [OUT.png]"""
import math
import struct
import sys
import zlib

SIZE = 256
RED, GOLD, CLEAR = (200, 16, 46, 255), (255, 200, 40, 255), (0, 0, 0, 0)


def star_contains(x, y, cx, cy, r_out, r_in):
    """Whether (x, y) lies inside a five-pointed star, one point up."""
    pts = []
    for i in range(10):
        r = r_out if i % 2 == 0 else r_in
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    inside = False
    j = len(pts) - 1
    for i in range(len(pts)):
        (xi, yi), (xj, yj) = pts[i], pts[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def pixel(x, y):
    c = SIZE / 2
    d = math.hypot(x + 0.5 - c, y + 0.5 - c)
    if d > 124:
        return CLEAR
    if d > 112:
        return GOLD
    if star_contains(x + 0.5, y + 0.5, c, c + 6, 84, 34):
        return GOLD
    return RED


def png(width, height, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(v for px in row for v in px) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "config/emblem.png"
    rows = [[pixel(x, y) for x in range(SIZE)] for y in range(SIZE)]
    with open(out, "wb") as f:
        f.write(png(SIZE, SIZE, rows))
