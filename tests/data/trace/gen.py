#!/usr/bin/env python3
"""Writes the trace fixtures in this folder from the specification in docs/trace-format.md,
independently of myelin's C writer (plain Python, struct only). tests/test-trace-native.c holds
the same event lists; change both together. Run from anywhere: python3 gen.py"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
MAGIC = b"\x89MYLEV\r\n"


def header(width, height, channels, label, label_name=b"", source=b""):
    fixed = struct.pack("<8sHHIIIIIqHHI", MAGIC, 1, 0, 48 + len(label_name) + len(source),
                        width, height, channels, 1000, label, len(label_name), len(source), 0)
    assert len(fixed) == 48
    return fixed + label_name + source


def block(kind, n, base, xbits=0, ybits=0):
    return struct.pack("<BBBBIq", kind, xbits, ybits, 0, n, base)


def wide(events):
    """One wide block: (t, x, y, p) with t - base < 2^31."""
    base = events[0][0]
    out = block(2, len(events), base)
    for t, x, y, p in events:
        out += struct.pack("<Q", x | y << 16 | (p & 1) << 32 | (t - base) << 33)
    return out


def compact(events, xbits, ybits):
    base = events[0][0]
    out = block(1, len(events), base, xbits, ybits)
    for t, x, y, p in events:
        assert x < 1 << xbits and y < 1 << ybits and t - base < 1 << (31 - xbits - ybits)
        out += struct.pack("<I", x | y << xbits | p << (xbits + ybits) | (t - base) << (xbits + ybits + 1))
    return out


# wide.myl: what the numpy snippet in docs/trace-format.md writes (wide blocks, end block)
WIDE = [(0, 0, 0, 0), (5, 1, 2, 1), (5, 65535, 65535, 1), (2**31 - 1, 3, 4, 0),
        (2**31, 7, 8, 1), (2**40, 9, 10, 0)]
# compact.myl: a compact block, a skippable extension block, a wide block, an end block
COMPACT = [(100, 33, 33, 1), (100, 0, 0, 0), (350, 12, 7, 1), (100 + (1 << 19) - 1, 1, 2, 0)]
COMPACT_WIDE = [(-5, 40000, 1, 1)]
# nmnist-known.bin: (x, y, p, t) records; y = 240 is a time-overflow marker (+8192 µs after it)
NMNIST = [(0, 0, 0, 0), (33, 33, 1, 1), (5, 7, 1, 65535), (5, 7, 0, 65536),
          (255, 239, 1, 0x7FFFFF), (0, 240, 0, 0), (1, 2, 1, 10), (3, 4, 0, 11)]


# The snippet from docs/trace-format.md, verbatim (needs NumPy).
def write_myelin(path, t, x, y, p, width=0, height=0, channels=0, label=-1):
    import numpy as np
    t, u = np.asarray(t, np.int64), np.uint64  # t in µs, sorted; x, y < 65536
    w = np.asarray(x, u) | np.asarray(y, u) << u(16) | (np.asarray(p, u) & u(1)) << u(32)
    with open(path, "wb") as f:
        f.write(b"\x89MYLEV\r\n" + struct.pack("<HHIIIIIqHHI", 1, 0, 48, width, height,
                                                 channels, 1000, label, 0, 0, 0))
        i = 0
        while i < len(t):  # a wide block per 2^31 µs: 16-byte header, then 8 bytes an event
            j = int(np.searchsorted(t, t[i] + 2**31 - 1, side="right"))
            f.write(struct.pack("<BBBBIq", 2, 0, 0, 0, j - i, t[i]))
            f.write((w[i:j] | (t[i:j] - t[i]).astype(u) << u(33)).astype("<u8").tobytes())
            i = j
        f.write(struct.pack("<BBBBIq", 0, 0, 0, 0, 0, len(t)))  # end block: the event count


# snippet.myl: event i of 1000 is t = 7 i^3 µs, x = 37 i % 1280, y = 11 i % 720, p = i % 2
def snippet():
    n = range(1000)
    write_myelin(os.path.join(HERE, "snippet.myl"), [7 * i**3 for i in n],
                 [37 * i % 1280 for i in n], [11 * i % 720 for i in n], [i % 2 for i in n],
                 1280, 720, 0, 5)


def main():
    with open(os.path.join(HERE, "wide.myl"), "wb") as f:
        f.write(header(65536, 65536, 0, 7, b"seven", b"gen.py"))
        f.write(wide(WIDE[:4]))  # offsets 0 .. 2^31-1 from base 0
        f.write(wide(WIDE[4:5]))  # a new base for each of the next two
        f.write(wide(WIDE[5:]))
        f.write(block(0, 0, len(WIDE)))
    with open(os.path.join(HERE, "compact.myl"), "wb") as f:
        f.write(header(34, 34, 0, -1))
        f.write(compact(COMPACT, 6, 6))
        f.write(block(200, 5, 0) + b"hello")  # kind >= 128: n payload bytes, skipped
        f.write(wide(COMPACT_WIDE))
        f.write(block(0, 0, len(COMPACT) + len(COMPACT_WIDE)))
    with open(os.path.join(HERE, "nmnist-known.bin"), "wb") as f:
        for x, y, p, t in NMNIST:
            f.write(bytes([x, y, p << 7 | (t >> 16) & 0x7F, (t >> 8) & 0xFF, t & 0xFF]))
    try:
        snippet()
    except ImportError:
        print("NumPy is missing: snippet.myl not rewritten")


if __name__ == "__main__":
    main()
