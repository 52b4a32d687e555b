"""Writes SHD-layout files with h5py, the way the published SHD/SSC files are made, for the reader
tests: python3 write_shd.py DIR. Sample i has i+1 spikes at times (k+1)/100 s on units 3k+i.
"""
import sys

import h5py
import numpy as np


def write(path, time_type, unit_type, label_type, count=4, mismatch=False, labels=True):
    with h5py.File(path, "w") as f:
        times = f.create_dataset("spikes/times", (count,), dtype=h5py.vlen_dtype(np.dtype(time_type)))
        units = f.create_dataset("spikes/units", (count,), dtype=h5py.vlen_dtype(np.dtype(unit_type)))
        for i in range(count):
            times[i] = np.array([(k + 1) / 100 for k in range(i + 1)], dtype=time_type)
            n = i + 1 + (1 if mismatch and i == 2 else 0)
            units[i] = np.array([3 * k + i for k in range(n)], dtype=unit_type)
        if labels:
            f.create_dataset("labels", data=np.arange(count, dtype=label_type) % 3)
        f.create_dataset("extra/speaker", data=np.arange(count, dtype=np.uint8) // 2)
        f.create_dataset("extra/keys", data=np.array([b"zero", b"one", b"two"]))


out = sys.argv[1]
write(f"{out}/h5py-f16.h5", np.float16, np.uint16, np.uint8)
write(f"{out}/h5py-f32.h5", np.float32, np.uint32, np.int64)
write(f"{out}/h5py-mismatch.h5", np.float32, np.uint32, np.int64, mismatch=True)
write(f"{out}/h5py-nolabels.h5", np.float16, np.uint16, np.uint8, labels=False)
