"""Gradients from Python equal `plasticity gradcheck --out` bit for bit: built-in and file
models, e-prop, BPTT and RTRL, on TinyCC and cc, with the same seed and inputs."""
import json
import os

import numpy as np
import pytest

import plasticity as p
from conftest import ROOT, run_cli
from plasticity import read_safetensors

CASES = [("lif", True), ("alif", True), (os.path.join(ROOT, "examples/models/qif.json"), False),
         (os.path.join(ROOT, "examples/models/conductance-lif.json"), False)]


@pytest.mark.parametrize("backend", ["tinyCC", "systemCC"])
@pytest.mark.parametrize("model,recurrent", CASES)
def test_gradients_equal_gradcheck_bit_for_bit(tmp_path, backend, model, recurrent):
    network = p.Network(inputs=12, outputs=4, hidden=[{"model": model, "neurons": 10, "recurrent": recurrent}], kappa=0.9)
    config = tmp_path / "network.json"
    config.write_text(json.dumps(network.to_json()))
    inputs, out = tmp_path / "inputs.safetensors", tmp_path / "gradients.safetensors"
    run_cli("gradcheck", "--config", config, "--synthetic", "40,3,0.2", "--seed", 5, "--backend", backend, "--method", "eprop,bptt,rtrl",
            "--write-inputs", inputs, "--out", out, "--input-gain", 1)
    given, expected = read_safetensors(inputs), read_safetensors(out)
    with p.Simulation(network, batch=3, backend=backend, seed=5) as sim:
        for method in ("eprop", "bptt", "rtrl"):
            gradients, loss = sim.gradients(given["input"], given["targets"], method=method)
            assert np.isfinite(loss)
            for name, g in gradients.items():
                reference = expected[f"{method}.{name}"]
                assert g.shape == reference.shape, (method, name)
                assert np.array_equal(g, reference), f"{method} {name}: max diff {np.abs(g - reference).max()}"
            assert any(np.abs(g).max() > 0 for g in gradients.values()), method


def test_gradients_agree_where_eprop_is_exact():
    """No recurrence: e-prop equals BPTT to the suite's tolerance (cosine ≥ 0.99999, max rel ≤ 1e-4)."""
    network = p.Network(inputs=12, outputs=4, hidden=[{"model": "lif", "neurons": 10}], kappa=0.9)
    rng = np.random.default_rng(0)
    x = (rng.random((60, 2, 12)) < 0.2).astype(np.float32)
    with p.Simulation(network, batch=2) as sim:
        eprop, _ = sim.gradients(x, np.array([1, 3]), "eprop")
        bptt, _ = sim.gradients(x, np.array([1, 3]), "bptt")
    for name in eprop:
        a, b = eprop[name].ravel().astype(np.float64), bptt[name].ravel().astype(np.float64)
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert cosine >= 0.99999 and np.abs(a - b).max() <= 1e-4 * np.abs(b).max(), name


@pytest.mark.parametrize("kind,learnable", [("axonal", True), ("synaptic", True), ("axonal", False)])
def test_delays_agree_where_eprop_is_exact(kind, learnable):
    """Delays on the input projection (no recurrence): the delays' gradients (named layer0.d0) and the
    weights' equal BPTT's (cosine ≥ 0.99999, max rel ≤ 1e-4); fixed delays have a zero gradient."""
    delays = {"kind": kind, "maxSteps": 6, "learnable": learnable}
    network = p.Network(inputs=12, outputs=4, hidden=[{"model": "lif", "neurons": 10,
                                                       "projections": [{"source": "input", "channel": "I", "delays": delays}]}], kappa=0.9)
    rng = np.random.default_rng(1)
    x = (rng.random((60, 2, 12)) < 0.2).astype(np.float32)
    with p.Simulation(network, batch=2, seed=3) as sim:
        assert sim.tensor("layer0.d0").shape == ((12,) if kind == "axonal" else (10, 12))
        with pytest.raises(p.PlasticityError, match=r"layer0.d0\[0\] is 7.0; delays are in \[0, maxSteps 6\]"):
            sim.set_tensor("layer0.d0", np.full(sim.tensor("layer0.d0").shape, 7, dtype=np.float32))
        eprop, _ = sim.gradients(x, np.array([1, 3]), "eprop")
        bptt, _ = sim.gradients(x, np.array([1, 3]), "bptt")
    assert (np.abs(eprop["layer0.d0"]).max() > 0) == learnable
    for name in eprop:
        a, b = eprop[name].ravel().astype(np.float64), bptt[name].ravel().astype(np.float64)
        if not b.any():
            assert not a.any(), name
            continue
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert cosine >= 0.99999 and np.abs(a - b).max() <= 1e-4 * np.abs(b).max(), name


def test_synaptic_delays_as_events_equal_taps():
    """Synaptic delays in event form (chunked traces): e-prop's gradients equal the tap form's for the
    same weights and delays (cosine >= 0.99999, max rel <= 1e-4); the oracles refuse the event form."""
    def network(form):
        delays = {"kind": "synaptic", "maxSteps": 6, "learnable": True, "form": form}
        return p.Network(inputs=12, outputs=4, hidden=[{"model": "lif", "neurons": 10,
                                                       "projections": [{"source": "input", "channel": "I", "delays": delays}]}], kappa=0.9)
    rng = np.random.default_rng(4)
    x = (rng.random((60, 2, 12)) < 0.2).astype(np.float32)
    with p.Simulation(network("events"), batch=2, seed=3, chunk_steps=20) as events, \
            p.Simulation(network("taps"), batch=2, seed=3, chunk_steps=20) as taps:
        for name in events.tensors():
            taps.set_tensor(name, events.tensor(name))
        with pytest.raises(p.PlasticityError, match="exact BPTT runs synaptic delays as taps"):
            events.gradients(x, np.array([1, 3]), "bptt")
        a_all, _ = events.gradients(x, np.array([1, 3]), "eprop")
        b_all, _ = taps.gradients(x, np.array([1, 3]), "eprop")
    assert np.abs(a_all["layer0.d0"]).max() > 0
    for name in b_all:
        a, b = a_all[name].ravel().astype(np.float64), b_all[name].ravel().astype(np.float64)
        cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
        assert cosine >= 0.99999 and np.abs(a - b).max() <= 1e-4 * np.abs(b).max(), name


def test_chunked_traces_give_the_same_gradients():
    """chunk_steps=25: e-prop's traces in chunks, the same gradients to float32 rounding (1e-5 of the largest entry)."""
    network = p.Network(inputs=12, outputs=4, hidden=[{"model": "alif", "neurons": 10, "recurrent": True}], kappa=0.9)
    rng = np.random.default_rng(2)
    x = (rng.random((100, 2, 12)) < 0.2).astype(np.float32)
    with p.Simulation(network, batch=2, seed=4) as step, p.Simulation(network, batch=2, seed=4, chunk_steps=25) as chunked:
        a, _ = step.gradients(x, np.array([0, 2]))
        b, _ = chunked.gradients(x, np.array([0, 2]))
    for name in a:
        assert np.abs(a[name] - b[name]).max() <= 1e-5 * np.abs(a[name]).max(), name
