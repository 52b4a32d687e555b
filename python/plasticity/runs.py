"""The CLI's commands as functions (docs/python.md): the library runs the same code as
`plasticity train`, `eval`, `export nir` and `import nir`, so the files and figures are the same."""
import json
import math
import os
import tempfile

import numpy as np

from . import _native


def _config(config):
    if config is None:
        return None
    if isinstance(config, (str, os.PathLike)):
        with open(config, encoding="utf-8") as f:
            return f.read()
    return json.dumps(config)


def train(config=None, out="out/train", overwrite=False):
    """`plasticity train --config CONFIG --out OUT` (a dict or a JSON file laid over the defaults).
    Returns {"final_test_accuracy", "best_epoch", "best_test_accuracy", "report", "seconds", "lines"}."""
    return json.loads(_native.call_text("plasticity_train", _native.encode(_config(config) or "{}"), _native.encode(os.fspath(out)),
                                        1 if overwrite else 0))


def evaluate(checkpoint, data=None):
    """`plasticity eval CHECKPOINT [--data FILE]`: {"accuracy", "loss", "confusion", "samples", "epoch", "data", "warnings"}."""
    return json.loads(_native.call_text("plasticity_evaluate", _native.encode(os.fspath(checkpoint)),
                                        None if data is None else _native.encode(os.fspath(data))))


def export_nir(checkpoint, path, profile="nir", overwrite=False):
    """`plasticity export nir CHECKPOINT --out PATH --for PROFILE`; returns the notes (docs/nir.md)."""
    return json.loads(_native.call_text("plasticity_nir_export", _native.encode(os.fspath(checkpoint)), _native.encode(os.fspath(path)),
                                        _native.encode(profile), 1 if overwrite else 0))


class Checkpoint:
    """A checkpoint of a run (checkpoint.json or best.json)."""

    def __init__(self, path):
        self.path = os.fspath(path)

    def evaluate(self, data=None):
        return evaluate(self.path, data)

    def simulation(self, batch=1):
        from .network import Simulation
        return Simulation.load(self.path, batch)

    def to_nir(self, profile="nir"):
        """The network as a `nir.NIRGraph` (needs the `nir` package; a network NIR cannot express
        is refused first, with the reason)."""
        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "network.nir")
            export_nir(self.path, path, profile)
            return _nir().read(path)


def from_nir(graph, out, dt=None, profile=None, config=None):
    """`plasticity import nir FILE --out OUT [--dt] [--from PROFILE]`: a `nir.NIRGraph` or a NIR
    file as OUT/config.json and OUT/checkpoint.json at epoch 0. Returns the Checkpoint."""
    if isinstance(graph, (str, os.PathLike)):
        return _import(os.fspath(graph), out, dt, profile, config)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "network.nir")
        _nir().write(path, graph)
        return _import(path, out, dt, profile, config)


def _nir():
    try:
        import nir
    except ImportError as missing:
        raise ImportError("NIR graph objects need the nir package (pip install nir); files work without it: export_nir, "
                          "from_nir(path)") from missing
    return nir


def _import(path, out, dt, profile, config):
    checkpoint = _native.call_text("plasticity_nir_import", _native.encode(path), _native.encode(os.fspath(out)), _native.encode(profile),
                                   math.nan if dt is None else float(dt), _native.encode(_config(config)))
    return Checkpoint(checkpoint)


def bin_events(samples, units, dt, steps, time_scale=1.0, max_count=None):
    """Spike events to dense input [T][B][units] (float32), one sample per batch entry.
    `samples`: a list of (times, units) pairs, or of structured arrays with fields `t` and `x`
    (tonic's layout; `time_scale` converts their times to seconds, 1e-6 for microseconds).
    Event i lands in step floor(t_i / dt); events at or after steps·dt are dropped; with
    `max_count`, counts per bin are capped."""
    if not (dt > 0 and math.isfinite(dt)):
        raise ValueError(f"dt is {dt}: a positive number of seconds")
    if int(steps) < 1 or int(units) < 1:
        raise ValueError(f"steps ({steps}) and units ({units}) must be positive")
    out = np.zeros((int(steps), len(samples), int(units)), dtype=np.float32)
    for b, sample in enumerate(samples):
        if isinstance(sample, np.ndarray) and sample.dtype.names:
            times, channels = sample["t"], sample["x"]
        else:
            times, channels = sample
        times = np.asarray(times, dtype=np.float64) * time_scale
        channels = np.asarray(channels)
        if times.shape != channels.shape or times.ndim != 1:
            raise ValueError(f"sample {b}: times {times.shape} and units {channels.shape} must be two arrays of one length")
        if not np.all(np.isfinite(times)) or np.any(times < 0):
            raise ValueError(f"sample {b}: times must be finite and not negative")
        if channels.size and (channels.dtype.kind not in "iu" or channels.min() < 0 or channels.max() >= units):
            raise ValueError(f"sample {b}: units must be whole numbers from 0 to {units - 1}")
        bins = np.floor(times / dt).astype(np.int64)
        keep = bins < steps
        np.add.at(out[:, b, :], (bins[keep], channels[keep].astype(np.int64)), 1)
    if max_count is not None:
        np.minimum(out, max_count, out=out)
    return out
