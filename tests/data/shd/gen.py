#!/usr/bin/python3
"""Regenerate the h5py-made SHD/SSC files used by tests/test-trace-shd.c and the fuzz corpus.

They are laid out as the Heidelberg Spiking Datasets are (Cramer et al. 2020): spikes/times and
spikes/units as variable-length arrays (h5py.vlen_dtype), labels, extra/keys, extra/speaker and
extra/meta_info. The values are written out here and in the test, so the test checks what h5py
stored, not what another reader makes of it. Times are multiples of 2^-10 s below 2 s, which
float16 holds exactly.

Run from the repository root with a Python that has h5py and NumPy (made with h5py 3.7.0,
libhdf5 1.10.8, NumPy 1.24.2):
    /usr/bin/python3 tests/data/shd/gen.py
The files are committed; the tests never need Python. The corpus's fuzz-<sha1> files are not
made here: libFuzzer found them (kept by -merge=1 for the coverage they add).
"""
import os

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "fuzz", "corpus", "shd")

# (times in units of 2^-10 s, units, label)
SAMPLES = [
    ([0, 1, 1, 512, 1023], [0, 699, 350, 1, 2], 3),
    ([], [], 0),
    ([2047], [42], 1),
    ([100, 50, 1025, 1536], [10, 20, 30, 699], 2),  # times not sorted: kept in file order
]
KEYS = ["english-zero", "english-one", "german-zwei", "german-drei"]


def write(path, time_dtype, fixed_keys, compress):
    with h5py.File(path, "w") as f:
        sp = f.create_group("spikes")
        kw = {"compression": "gzip", "chunks": (2,)} if compress else {}
        t = sp.create_dataset("times", (len(SAMPLES),), dtype=h5py.vlen_dtype(time_dtype), **kw)
        u = sp.create_dataset("units", (len(SAMPLES),), dtype=h5py.vlen_dtype(np.uint16), **kw)
        for i, (ts, us, _) in enumerate(SAMPLES):
            t[i] = np.array(ts, dtype=np.float64) / 1024.0
            u[i] = np.array(us, dtype=np.uint16)
        f.create_dataset("labels", data=np.array([s[2] for s in SAMPLES], dtype=np.uint16))
        ex = f.create_group("extra")
        if fixed_keys:
            ex.create_dataset("keys", data=np.array([k.encode() for k in KEYS]))
        else:
            ex.create_dataset("keys", data=KEYS, dtype=h5py.string_dtype())
        ex.create_dataset("speaker", data=np.arange(len(SAMPLES), dtype=np.uint16))
        mi = ex.create_group("meta_info")
        mi.create_dataset("gender", data=np.array([b"female", b"male"]))
        mi.create_dataset("age", data=np.array([30, 40], dtype=np.uint16))


def main():
    os.makedirs(CORPUS, exist_ok=True)
    files = [
        ("h5py_f16_fixedkeys.h5", np.float16, True, False),
        ("h5py_f32_vlenkeys_gzip.h5", np.float32, False, True),
        ("h5py_f64_fixedkeys.h5", np.float64, True, False),
    ]
    for name, dt, fixed, comp in files:
        write(os.path.join(HERE, name), dt, fixed, comp)
        with open(os.path.join(HERE, name), "rb") as src:
            data = src.read()
        with open(os.path.join(CORPUS, name), "wb") as dst:
            dst.write(data)
    # broken and foreign files for the fuzz corpus
    with open(os.path.join(HERE, "h5py_f16_fixedkeys.h5"), "rb") as src:
        data = src.read()
    for cut in (8, 96, len(data) // 2, len(data) - 1):
        with open(os.path.join(CORPUS, "truncated_%d.h5" % cut), "wb") as dst:
            dst.write(data[:cut])
    with h5py.File(os.path.join(CORPUS, "no_spikes.h5"), "w") as f:
        f.create_dataset("version", data=b"0.2.0")
    with h5py.File(os.path.join(CORPUS, "units_float.h5"), "w") as f:
        sp = f.create_group("spikes")
        t = sp.create_dataset("times", (1,), dtype=h5py.vlen_dtype(np.float32))
        u = sp.create_dataset("units", (1,), dtype=h5py.vlen_dtype(np.float32))
        t[0] = np.array([0.5], dtype=np.float32)
        u[0] = np.array([3.0], dtype=np.float32)
    with open(os.path.join(CORPUS, "not_hdf5.txt"), "wb") as dst:
        dst.write(b"t,unit\n0.5,3\n")


if __name__ == "__main__":
    main()
