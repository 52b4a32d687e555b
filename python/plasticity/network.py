"""Networks, simulations and trainers (docs/python.md). A network is the one network schema
(`plasticity gradcheck --config`); a simulation holds its compiled kernel, weights and buffers
for `batch` sequences; arrays go in and come out as float32 numpy arrays, time first."""
import ctypes
import json
import math
import os

import numpy as np

from . import _native
from .model import Model, _as_model


class Network:
    """The network schema: `inputs`, `outputs`, hidden layers (each a dict with `model` — a
    Model, a built-in name or a model file — and `neurons`, `recurrent`, `parameters`,
    `initializers`, `projections`, … as in a config's network), the readout's decay `kappa`,
    the `loss` and the step `step_ms`."""

    def __init__(self, inputs, outputs, hidden, kappa=0.95, loss="crossEntropy", step_ms=1.0, **extra):
        self.spec = {"inputs": int(inputs), "outputs": int(outputs), "kappa": float(kappa), "loss": loss, "stepMs": float(step_ms),
                     "hidden": [self._layer(layer) for layer in hidden], **extra}

    @staticmethod
    def _layer(layer):
        layer = dict(layer)
        model = layer.get("model", "lif")
        if isinstance(model, Model):
            layer["model"] = model.to_json()
        elif isinstance(model, str) and model.endswith(".json"):
            layer["model"] = _as_model(model).to_json()
        return layer

    @classmethod
    def from_json(cls, spec):
        network = cls.__new__(cls)
        network.spec = json.loads(spec) if isinstance(spec, str) else dict(spec)
        return network

    def to_json(self):
        return json.loads(json.dumps(self.spec))


def _array(value, name, batch_first=False, ndim=None):
    """`value` (a numpy array or anything with __array__, such as a CPU torch tensor) as a float32
    C-contiguous array, time first: at most one copy, none for a float32 contiguous array."""
    array = np.asarray(value)
    if array.dtype.kind not in "fiub":
        raise TypeError(f"{name} has dtype {array.dtype}: spikes and targets are real numbers (float32 is used as is)")
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} has shape {array.shape}, not {ndim} dimensions")
    if batch_first and array.ndim >= 2:
        array = np.swapaxes(array, 0, 1)
    return np.ascontiguousarray(array, dtype=np.float32)


class _Owned:
    """An object of the library behind a handle: closed at once with `close()` or `with`, else
    when collected; a closed one raises InvalidArgument."""
    _kind = "object"
    _handle = None

    @property
    def handle(self):
        if self._handle is None:
            raise _native.InvalidArgument(f"this {self._kind} was closed")
        return self._handle

    def close(self):
        if self._handle is not None:
            handle, self._handle = self._handle, None
            _native.call(f"plasticity_{self._kind}_free", handle)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Simulation(_Owned):
    """A network's kernel, weights and state for `batch` sequences (TinyCC by default: compiled
    in milliseconds; backend="systemCC" for the optimizing C compiler). `chunk_steps` > 0 runs
    e-prop's exact traces in chunks of that many steps (faster; the same gradients to float32
    rounding); 0 steps one at a time, as `plasticity gradcheck` does (bit for bit)."""
    _kind = "simulation"

    def __init__(self, network, batch=1, backend="tinyCC", seed=1, chunk_steps=0, _handle=None):
        if _handle is None:
            spec = network.to_json() if isinstance(network, Network) else dict(network)
            handle = ctypes.c_uint64()
            _native.call("plasticity_simulation_create", _native.encode(json.dumps(spec)), _native.encode(backend), int(batch),
                         int(chunk_steps), int(seed), ctypes.byref(handle))
            _handle = handle.value
        self._handle = _handle
        self._describe()

    @classmethod
    def load(cls, checkpoint, batch=1):
        """A checkpoint's network and weights (checkpoint.json or best.json of a run)."""
        handle = ctypes.c_uint64()
        _native.call("plasticity_simulation_load", _native.encode(checkpoint), int(batch), ctypes.byref(handle))
        return cls(None, _handle=handle.value)

    def _describe(self):
        info = json.loads(_native.call_text("plasticity_simulation_describe", self.handle))
        self.inputs, self.outputs, self.batch = info["inputs"], info["outputs"], info["batch"]
        self.hidden, self.target_width, self.state_names = info["hidden"], info["targetWidth"], info["states"]
        self.shapes = {t["name"]: tuple(t["shape"]) for t in info["tensors"]}

    # Tensors -------------------------------------------------------------------------------------

    def tensor(self, name):
        """A trainable tensor by name (layer<l>.w<p>, layer<l>.params, readout.w, readout.b), copied out."""
        if name not in self.shapes:
            raise KeyError(f"{name!r} is not a tensor of this network ({', '.join(self.shapes)})")
        out = np.empty(self.shapes[name], dtype=np.float32)
        _native.call("plasticity_tensor_get", self.handle, _native.encode(name), _native.floats(out), out.size)
        return out

    def set_tensor(self, name, values):
        if name not in self.shapes:
            raise KeyError(f"{name!r} is not a tensor of this network ({', '.join(self.shapes)})")
        array = _array(values, name)
        if array.shape != self.shapes[name]:
            raise ValueError(f"{name} has shape {array.shape}, the network needs {self.shapes[name]}")
        _native.call("plasticity_tensor_set", self.handle, _native.encode(name), _native.floats(array), array.size)

    def tensors(self):
        return {name: self.tensor(name) for name in self.shapes}

    # Calls ---------------------------------------------------------------------------------------

    def _batch(self, x, targets, batch_first, need_targets):
        x = _array(x, "input", batch_first, ndim=3)
        T = x.shape[0]
        if x.shape[1:] != (self.batch, self.inputs):
            raise ValueError(f"input has shape {x.shape} (time first), the simulation takes [T][{self.batch}][{self.inputs}]")
        if targets is None:
            if need_targets:
                raise ValueError("targets are needed: class labels [T][B] (or [B] for every step), or [T][B][n_out]")
            return x, None
        y = np.asarray(targets)
        if self.target_width == 1 and y.ndim == 1:   # one label per sequence, at every step
            y = np.broadcast_to(y, (T,) + y.shape)
        elif batch_first:
            y = np.swapaxes(y, 0, 1)
        y = _array(y, "targets")
        expected = (T, self.batch) if self.target_width == 1 else (T, self.batch, self.outputs)
        if y.shape != expected:
            raise ValueError(f"targets have shape {y.shape}, the simulation needs {expected}")
        return x, y

    def run(self, x, targets=None, spikes=False, states=False, batch_first=False):
        """A forward pass from rest. Returns a dict: readout [T][B][n_out]; with `spikes`, spikes
        (one [T][B][n] array per hidden layer); with `states`, states (per hidden layer a dict of
        state name → [T][B][n], the value at the end of each step); with `targets`, loss."""
        x, y = self._batch(x, targets, batch_first, need_targets=False)
        T = x.shape[0]
        readout = np.empty((T, self.batch, self.outputs), dtype=np.float32)
        neurons = sum(self.hidden)
        recorded = np.empty(T * self.batch * neurons, dtype=np.float32) if spikes else None
        widths = [n * len(names) for n, names in zip(self.hidden, self.state_names)]
        values = np.empty(T * self.batch * sum(widths), dtype=np.float32) if states else None
        loss = ctypes.c_double()
        _native.call("plasticity_simulation_run", self.handle, _native.floats(x), T, self.batch, self.inputs,
                     None if y is None else _native.floats(y), 0 if y is None else y.size, _native.floats(readout), readout.size,
                     None if recorded is None else _native.floats(recorded), 0 if recorded is None else recorded.size,
                     None if values is None else _native.floats(values), 0 if values is None else values.size, ctypes.byref(loss))
        result = {"readout": np.swapaxes(readout, 0, 1) if batch_first else readout}
        if y is not None:
            result["loss"] = loss.value
        if spikes:
            layers, start = [], 0
            for n in self.hidden:
                layer = recorded[start:start + T * self.batch * n].reshape(T, self.batch, n)
                layers.append(np.swapaxes(layer, 0, 1) if batch_first else layer)
                start += T * self.batch * n
            result["spikes"] = layers
        if states:
            layers, start = [], 0
            for n, names, width in zip(self.hidden, self.state_names, widths):
                block = values[start:start + T * self.batch * width].reshape(T, self.batch, n, len(names))
                layers.append({name: np.swapaxes(block[..., k], 0, 1) if batch_first else block[..., k] for k, name in enumerate(names)})
                start += T * self.batch * width
            result["states"] = layers
        return result

    def gradients(self, x, targets, method="eprop", batch_first=False):
        """The gradients of one batch's loss: "eprop" (the fused online kernel), "bptt" or "rtrl"
        (exact). Returns (dict of arrays named like the CLI's tensors, loss)."""
        x, y = self._batch(x, targets, batch_first, need_targets=True)
        loss = ctypes.c_double()
        _native.call("plasticity_simulation_gradients", self.handle, _native.encode(method), _native.floats(x), x.shape[0], self.batch,
                     self.inputs, _native.floats(y), y.size, ctypes.byref(loss))
        out = {}
        for name, shape in self.shapes.items():
            g = np.empty(shape, dtype=np.float32)
            _native.call("plasticity_gradient_get", self.handle, _native.encode(name), _native.floats(g), g.size)
            out[name] = g
        return out, loss.value


class Trainer(_Owned):
    """Trains a simulation's weights: `training` as a train config's training section names it
    (optimizer, learningRate, clipNorm, …; or keyword arguments), online updates every
    `update_every` steps (None: once per batch), method "eprop" or "bptt"."""
    _kind = "trainer"

    def __init__(self, simulation, training=None, update_every=None, method="eprop", **options):
        self.simulation = simulation
        section = dict(training or {}, **options)
        handle = ctypes.c_uint64()
        _native.call("plasticity_trainer_create", simulation.handle, _native.encode(json.dumps(section)) if section else None,
                     int(update_every or 0), _native.encode(method), ctypes.byref(handle))
        self._handle = handle.value

    def step(self, x, targets, batch_first=False):
        """One batch: gradients and the optimizer's update(s). Returns {"loss", "accuracy"}."""
        sim = self.simulation
        x, y = sim._batch(x, targets, batch_first, need_targets=True)
        loss, accuracy = ctypes.c_double(), ctypes.c_double()
        _native.call("plasticity_trainer_step", self.handle, _native.floats(x), x.shape[0], sim.batch, sim.inputs, _native.floats(y), y.size,
                     ctypes.byref(loss), ctypes.byref(accuracy))
        return {"loss": loss.value, "accuracy": None if math.isnan(accuracy.value) else accuracy.value}

    def save(self, path, iteration=0, overwrite=False):
        """The weights and optimizer state as a checkpoint (path.json + weights), which
        `Simulation.load` and `plasticity eval CHECKPOINT --data FILE` read. Like every command,
        it replaces only a file Plasticity wrote (`overwrite` for one it did not)."""
        _native.call("plasticity_trainer_save", self.handle, _native.encode(os.fspath(path)), int(iteration), 1 if overwrite else 0)

    def load(self, path):
        """A checkpoint's weights and optimizer state into this trainer, to continue where it
        stopped (the network must be the checkpoint's). Returns the checkpoint's iteration."""
        iteration = ctypes.c_int64()
        _native.call("plasticity_trainer_load", self.handle, _native.encode(os.fspath(path)), ctypes.byref(iteration))
        return iteration.value

    def fit(self, batches, epochs=1, batch_first=False, callback=None):
        """Every (x, targets) pair of `batches` (any iterable; re-iterated each epoch), `epochs`
        times. Returns one {"epoch", "loss", "accuracy"} per epoch (means over its batches)."""
        history = []
        for epoch in range(1, epochs + 1):
            losses, accuracies = [], []
            for x, y in batches:
                metrics = self.step(x, y, batch_first)
                losses.append(metrics["loss"])
                if metrics["accuracy"] is not None:
                    accuracies.append(metrics["accuracy"])
            if not losses:
                raise ValueError(f"epoch {epoch} got no batches: pass a list or another re-iterable (a generator is used up after one epoch)")
            record = {"epoch": epoch, "loss": float(np.mean(losses)), "accuracy": float(np.mean(accuracies)) if accuracies else None}
            history.append(record)
            if callback:
                callback(record)
        return history
