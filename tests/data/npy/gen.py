#!/usr/bin/python3
"""Regenerate the NumPy-made .npy files used by tests/test-npy.c and the fuzz corpus.

Run from the repository root with a Python that has NumPy (made with NumPy 1.24.2):
    /usr/bin/python3 tests/data/npy/gen.py
The files are committed; the tests never need Python.
"""
import io
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "npy")


def out(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)


def save(arr):
    b = io.BytesIO()
    np.save(b, arr)
    return b.getvalue()


def write(arr, version):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr, version=version)
    return b.getvalue()


files = {
    # np.save, version 1.0: the writer must reproduce these byte for byte
    "f4_3x4.npy": save(np.arange(12, dtype="<f4").reshape(3, 4) * 0.5),
    "b1_7.npy": save(np.array([1, 0, 1, 1, 0, 0, 1], dtype=bool)),
    "i8_scalar.npy": save(np.int64(-123456789012)),
    "u1_empty.npy": save(np.zeros(0, dtype="u1")),
    "u8_3.npy": save(np.array([0, 1, 2**64 - 1], dtype="<u8")),
    "i1_4.npy": save(np.array([-128, -1, 0, 127], dtype="i1")),
    "i2_0x3.npy": save(np.zeros((0, 3), dtype="<i2")),
    # other versions and byte orders
    "f8_5_v2.npy": write(np.array([0.1, -2.5, 1e300, -1e-300, 3.0], dtype="<f8"), (2, 0)),
    "i4_2x3x4_v3.npy": write(np.arange(24, dtype="<i4").reshape(2, 3, 4) - 12, (3, 0)),
    "i2_be_4.npy": save(np.array([1, -2, 300, -30000], dtype=">i2")),
    "f8_be_2.npy": save(np.array([1.5, -2.25], dtype=">f8")),
    # Fortran order: a 2-D array (rejected) and a 1-D array (the same bytes as C order)
    "f8_fortran_2x3.npy": save(np.asfortranarray(np.arange(6, dtype="<f8").reshape(2, 3))),
}

b = io.BytesIO()
np.lib.format.write_array_header_1_0(b, {"descr": "<f4", "fortran_order": True, "shape": (4,)})
b.write(np.array([1, 2, 3, 4], dtype="<f4").tobytes())
files["f4_fortran_4.npy"] = b.getvalue()

for name, data in files.items():
    out(name, data)

# Fuzz corpus: the real files plus broken ones.
os.makedirs(CORPUS, exist_ok=True)
for name, data in files.items():
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)
good = files["f4_3x4.npy"]
broken = {
    "bad_magic.npy": b"\x93NUMPZ" + good[6:],
    "truncated_header.npy": good[:40],
    "header_past_eof.npy": good[:8] + b"\xff\xff" + good[10:],
    "truncated_data.npy": good[:-5],
    "trailing.npy": good + b"\0\0\0\0",
    "bad_descr.npy": good.replace(b"'<f4'", b"'<c8'"),
    "missing_key.npy": good.replace(b"'fortran_order': False, ", b" " * 24),
    "huge_shape.npy": good.replace(b"(3, 4), ", b"(99999999999999999999, 1)"),
    "negative_shape.npy": good.replace(b"(3, 4)", b"(-3, 4)"),
    "v3_utf8.npy": write(np.zeros(2, dtype="<u2"), (3, 0)),
}
for name, data in broken.items():
    with open(os.path.join(CORPUS, name), "wb") as f:
        f.write(data)
