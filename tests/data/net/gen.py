#!/usr/bin/python3
"""Regenerate the .npy fixtures used by tests/test-netfile.c and the netfile fuzz corpus.

Run from the repository root with a Python that has NumPy (made with NumPy 1.24.2):
    /usr/bin/python3 tests/data/net/gen.py
The files are committed; the tests never need Python.
"""
import os

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def save(name, arr):
    np.save(os.path.join(HERE, name), arr)


# per-synapse weights, 3 synapses (float64)
save("w_f8_3.npy", np.array([0.5, -1.25, 2.0], dtype="<f8"))
# all_to_all weights as (targets, sources) = (2, 3), float32, C order
save("w_f4_2x3.npy", np.array([[1, 2, 3], [4, 5, 6]], dtype="<f4"))
# delays in ticks with fractions (learned delays): round to 1, 2, 3, 7
save("d_ticks_f8_4.npy", np.array([1.4, 1.5, 2.5, 7.0], dtype="<f8"))
# delays in ms (used with unit: ms at dt = 0.1 ms): 2, 15 and 3 ticks
save("d_ms_f8_3.npy", np.array([0.15, 1.5, 0.3], dtype="<f8"))
# per-neuron thresholds, int32
save("vth_i4_3.npy", np.array([18, 19, 20], dtype="<i4"))
# per-neuron time constants in ms (used with unit: ms)
save("tau_ms_f8_3.npy", np.array([10, 20, 30], dtype="<f8"))
# bad: booleans, a NaN, a 3-D array, a 0-d array
save("b1_3.npy", np.array([True, False, True]))
save("nan_f8_3.npy", np.array([1.0, np.nan, 2.0], dtype="<f8"))
save("f8_1x3x1.npy", np.zeros((1, 3, 1), dtype="<f8"))
save("f8_scalar.npy", np.array(4.0, dtype="<f8"))
# explicit connectivity: pre and post indices of 4 synapses, different integer types
save("pre_i8_4.npy", np.array([0, 1, 2, 0], dtype="<i8"))
save("post_u2_4.npy", np.array([1, 1, 0, 2], dtype="<u2"))
# spike_times as parallel arrays: neurons and times (ms)
save("st_neurons_i4_3.npy", np.array([1, 0, 1], dtype="<i4"))
save("st_times_ms_f8_3.npy", np.array([0.5, 0.3, 2.0], dtype="<f8"))
