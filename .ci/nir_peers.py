"""Plasticity's NIR files in snnTorch and Norse, and their files in Plasticity (docs/nir.md, "Checked against the peers").

Usage: python nir_peers.py PLASTICITY WORK_DIR [--epochs N]

Plasticity -> peer: trains feed-forward, recurrent and two-layer NIR-LIF networks and a recurrent
NIR-CubaLIF network on the spoken digits, exports each with `--for snntorch` and `--for norse`, runs
the files in snntorch.import_nir.import_from_nir and norse.torch.from_nir as they are, on the test
set's inputs (from `plasticity eval --outputs --spikes`), and compares every hidden spike and the
class (the peer's output a(t), integrated y(t) = kappa y(t-1) + a(t) as the file's notes say).

peer -> Plasticity: builds snnTorch (Leaky, RLeaky, two Leaky layers, Synaptic) and Norse (LIFBoxCell,
two LIFBoxCells, LIFCell, IAFCell) networks with random weights, writes them with the peers' own
exporters, imports them with `plasticity import nir --from snntorch|norse`, and compares
`plasticity eval` with the peer network run on the same inputs.

Prints one line per case and a table (markdown) at the end; exits 1 if a class differs or more than 1 in 100,000
spike entries do (float32 sums in another order put a membrane on the other side of its threshold now and then).
"""
import os
import subprocess
import sys

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch.export_nir import export_to_nir
from safetensors.numpy import load_file as read_safetensors
from snntorch.import_nir import import_from_nir
from snntorch import utils as snn_utils

import norse.torch as norse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "examples/configs/spoken-digits.json")
LIF = os.path.join(ROOT, "examples/models/nir-lif.json")
CUBA = os.path.join(ROOT, "examples/models/nir-cubalif.json")
failures = []
rows = []


def plasticity(binary, *args):
    out = subprocess.run([binary, *args], cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"plasticity {' '.join(args)}: exit {out.returncode}\n{out.stdout}{out.stderr}")
    return out.stdout


def classes(readout, label_from):
    """The class per sample: argmax of the readout summed over the labelled steps. readout [N][T][n_out]."""
    return readout[:, label_from:, :].sum(axis=1).argmax(axis=1)


def integrate(a, kappa):
    """y(t) = kappa y(t-1) + a(t) over [N][T][n]."""
    y = np.zeros_like(a)
    state = np.zeros_like(a[:, 0, :])
    for t in range(a.shape[1]):
        state = kappa * state + a[:, t, :]
        y[:, t, :] = state
    return y


def record(case, direction, peer, samples, same_class, spike_diff, spike_total, readout_error=None):
    # float32: a membrane within a rounding error of its threshold may spike in one simulator and not the other.
    ok = same_class == samples and spike_diff * 100_000 <= spike_total
    line = (f"{case:16s} {direction:18s} {peer:8s} same class {same_class}/{samples}, spikes differing {spike_diff} of "
            f"{spike_total}" + (f", readout max abs diff {readout_error:.2e}" if readout_error is not None else ""))
    print(("ok    " if ok else "FAIL  ") + line, flush=True)
    rows.append((case, direction, peer, f"{same_class}/{samples}", f"{spike_diff} / {spike_total}",
                 "" if readout_error is None else f"{readout_error:.1e}"))
    if not ok:
        failures.append(line)


def spiking_modules(net, kinds):
    """(name, module) of the neuron modules of a peer network, in execution order (node names sort by layer)."""
    return sorted(((n, m) for n, m in net.named_modules() if isinstance(m, kinds)), key=lambda p: p[0])


# Plasticity -> peers ---------------------------------------------------------------------------

def step_through(net, x, layers, stateful=True):
    """Runs x [T][N][n_in] one step at a time: (spikes of each module in `layers` [N][T][n], output [N][T][n_out]).
    nirtorch's modules and Norse's SequentialState return (output, state); snnTorch's own neurons keep their state."""
    kept = {name: [] for name, _ in layers}
    hooks = [m.register_forward_hook(lambda mod, inp, out, name=name: kept[name].append(out[0] if isinstance(out, tuple) else out))
             for name, m in layers]
    outs, state = [], None
    with torch.no_grad():
        for t in range(x.shape[0]):
            if stateful:
                out, state = net(x[t], state)
            else:
                out = net(x[t])
            outs.append(out)
    for h in hooks:
        h.remove()
    return [torch.stack(kept[name], dim=1).numpy() for name, _ in layers], torch.stack(outs, dim=1).numpy()


def run_snntorch(graph, x):
    net = import_from_nir(graph)
    return step_through(net, x, spiking_modules(net, (snn.Leaky, snn.RLeaky, snn.Synaptic, snn.RSynaptic)))


def run_norse(graph, x, dt=0.001):
    net = norse.from_nir(graph, dt=dt, ignore_warnings=True)
    # from_nir wraps a CubaLIF node as a module holding a synapse (LIBoxCell) and a LIFBoxCell: the LIFBoxCell spikes.
    return step_through(net, x, spiking_modules(net, (norse.LIFBoxCell, norse.IAFCell, norse.LIFCell)))


def to_peers(binary, work, epochs):
    cases = [("ff-lif", LIF, ["network.recurrent=false"]), ("rec-lif", LIF, []), ("two-layer-lif", LIF, ["network.layers=2"]),
             ("rec-cubalif", CUBA, [])]
    for case, model, settings in cases:
        run = os.path.join(work, "train", case)
        args = ["train", "--config", CONFIG, "--out", run, "--overwrite", "--epochs", str(epochs), "--set", f"network.model={model}"]
        for s in settings:
            args += ["--set", s]
        plasticity(binary, *args)
        outputs = os.path.join(work, f"{case}-outputs.safetensors")
        plasticity(binary, "eval", os.path.join(run, "best.json"), "--outputs", outputs, "--spikes", "--overwrite")
        mine = read_safetensors(outputs)
        x = torch.from_numpy(np.ascontiguousarray(mine["input"].transpose(1, 0, 2)))
        label_from = int(mine["label_from"][0])
        n = x.shape[1]
        for peer, runner in (("snntorch", run_snntorch), ("norse", run_norse)):
            path = os.path.join(work, f"{case}-{peer}.nir")
            notes = plasticity(binary, "export", "nir", os.path.join(run, "best.json"), "--for", peer, "--out", path, "--overwrite")
            graph = nir.read(path)
            kappa = float(graph.metadata["plasticity_readout_decay"])
            spikes, a = runner(graph, x)
            y = integrate(a, kappa)
            expected = [mine[f"spikes.layer{l}"] for l in range(len(spikes))]
            assert len(spikes) == len([k for k in mine if k.startswith("spikes.layer")]), (case, peer, len(spikes))
            diff = sum(int((s != e).sum()) for s, e in zip(spikes, expected))
            total = sum(e.size for e in expected)
            same = int((classes(y, label_from) == mine["prediction"].astype(int)).sum())
            record(case, "plasticity -> peer", peer, n, same, diff, total, float(np.abs(y - mine["readout"]).max()))
            if "note:" in notes:
                print("      " + notes.strip().replace("\n", "\n      "))


# peers -> Plasticity ---------------------------------------------------------------------------

def seeded_linear(n_in, n_out, scale, bias=False, seed=0):
    g = torch.Generator().manual_seed(seed)
    layer = torch.nn.Linear(n_in, n_out, bias=bias)
    with torch.no_grad():
        layer.weight.copy_((torch.rand(n_out, n_in, generator=g) * 2 - 0.7) * scale)
        if bias:
            layer.bias.copy_((torch.rand(n_out, generator=g) - 0.5) * 0.1)
    return layer


def snntorch_networks(n_in, n_out):
    """snnTorch networks its importer and Plasticity both take: zero reset without delay (what its exporter writes), β and
    thresholds per neuron (its exporter fails on a scalar β: "type mismatch: 0.output: [[64]] -> 1.input: []")."""
    kw = dict(init_hidden=True, reset_mechanism="zero", reset_delay=False)

    def leaky(n, beta=0.9):
        return snn.Leaky(beta=torch.full((n,), beta) if beta else torch.linspace(0.85, 0.95, n), threshold=torch.ones(n), **kw)
    return {
        "snn-leaky": torch.nn.Sequential(seeded_linear(n_in, 64, 0.04, bias=True, seed=1), leaky(64, beta=None),
                                         seeded_linear(64, n_out, 0.3, seed=2)),
        "snn-rleaky": torch.nn.Sequential(seeded_linear(n_in, 64, 0.04, seed=3),
                                          snn.RLeaky(beta=torch.full((64,), 0.9), linear_features=64, threshold=torch.ones(64), **kw),
                                          seeded_linear(64, n_out, 0.3, seed=4)),
        "snn-two-leaky": torch.nn.Sequential(seeded_linear(n_in, 64, 0.04, seed=5), leaky(64), seeded_linear(64, 32, 0.3, seed=6), leaky(32),
                                             seeded_linear(32, n_out, 0.3, seed=7)),
        "snn-synaptic": torch.nn.Sequential(seeded_linear(n_in, 64, 0.015, seed=8),
                                            snn.Synaptic(alpha=torch.full((64,), 0.6), beta=torch.full((64,), 0.9), threshold=torch.ones(64),
                                                         **kw),
                                            seeded_linear(64, n_out, 0.3, seed=9)),
    }


def norse_networks(n_in, n_out, dt):
    """Norse networks with every parameter per neuron (nir.write refuses the scalar datasets its exporter writes otherwise)."""
    def lif(n):
        return norse.LIFBoxCell(norse.LIFBoxParameters(tau_mem_inv=torch.full((n,), 1 / 0.05), v_th=torch.ones(n), v_leak=torch.zeros(n)), dt=dt)

    def li():
        return norse.LIBoxCell(norse.LIBoxParameters(tau_mem_inv=torch.full((n_out,), 1 / 0.05), v_leak=torch.zeros(n_out)), dt=dt)
    current = norse.LIFParameters(tau_syn_inv=torch.full((64,), 1 / 0.02), tau_mem_inv=torch.full((64,), 1 / 0.05), v_th=torch.ones(64),
                                  v_leak=torch.zeros(64))
    return {
        "norse-lifbox": norse.SequentialState(seeded_linear(n_in, 64, 1.0, seed=11), lif(64), seeded_linear(64, n_out, 0.3, seed=12), li()),
        "norse-two-lifbox": norse.SequentialState(seeded_linear(n_in, 64, 1.0, seed=13), lif(64), seeded_linear(64, 32, 2.0, seed=14), lif(32),
                                                  seeded_linear(32, n_out, 0.3, seed=15), li()),
        "norse-lifcell": norse.SequentialState(seeded_linear(n_in, 64, 0.1, seed=16), norse.LIFCell(current, dt=dt),
                                               seeded_linear(64, n_out, 0.3, seed=17), li()),
        "norse-iaf": norse.SequentialState(seeded_linear(n_in, 64, 0.05, seed=18), norse.IAFCell(norse.IAFParameters(v_th=torch.ones(64)), dt=dt),
                                           seeded_linear(64, n_out, 0.3, seed=19), li()),
    }


def run_snntorch_module(net, x):
    snn_utils.reset(net)
    return step_through(net, x, spiking_modules(net, (snn.Leaky, snn.RLeaky, snn.Synaptic)), stateful=False)


def run_norse_module(net, x):
    return step_through(net, x, [(n, m) for n, m in net.named_modules() if isinstance(m, (norse.LIFBoxCell, norse.LIFCell, norse.IAFCell))])


def from_peers(binary, work):
    reference = read_safetensors(os.path.join(work, "rec-lif-outputs.safetensors"))
    x = torch.from_numpy(np.ascontiguousarray(reference["input"].transpose(1, 0, 2)))
    n_in, n_out, n = x.shape[2], reference["readout"].shape[2], x.shape[1]
    dt = 0.01   # Norse networks stepped at the data's 10 ms bins
    cases = [(name, net, "snntorch", []) for name, net in snntorch_networks(n_in, n_out).items()]
    cases += [(name, net, "norse", ["--dt", str(dt)]) for name, net in norse_networks(n_in, n_out, dt).items()]
    for name, net, peer, flags in cases:
        path = os.path.join(work, f"{name}.nir")
        if peer == "snntorch":
            graph = export_to_nir(net, torch.zeros(n_in))
            spikes, out = run_snntorch_module(net, x)
        else:
            graph = norse.to_nir(net, torch.zeros(1, n_in), dt=dt)
            spikes, out = run_norse_module(net, x)
        nir.write(path, graph)
        folder = os.path.join(work, "imported", name)
        subprocess.run(["rm", "-rf", folder], check=True)
        plasticity(binary, "import", "nir", path, "--from", peer, "--out", folder, "--config", CONFIG, *flags)
        outputs = os.path.join(work, f"{name}-outputs.safetensors")
        plasticity(binary, "eval", os.path.join(folder, "checkpoint.json"), "--outputs", outputs, "--spikes", "--overwrite")
        mine = read_safetensors(outputs)
        assert np.array_equal(mine["input"], reference["input"]), f"{name}: the imported network saw other inputs"
        expected = [mine[f"spikes.layer{l}"] for l in range(len(spikes))]
        diff = sum(int((s != e).sum()) for s, e in zip(spikes, expected))
        total = sum(e.size for e in expected)
        rates = [float(s.mean()) for s in spikes]
        label_from = int(mine["label_from"][0])
        same = int((classes(out, label_from) == mine["prediction"].astype(int)).sum())
        record(name, "peer -> plasticity", peer, n, same, diff, total, float(np.abs(out - mine["readout"]).max()))
        print(f"      spikes per neuron and step: {', '.join(f'{r:.3f}' for r in rates)}")


def main():
    binary, work = sys.argv[1], sys.argv[2]
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 10
    os.makedirs(work, exist_ok=True)
    import importlib.metadata as md
    versions = {p: md.version(p) for p in ("nir", "nirtorch", "snntorch", "norse", "torch", "numpy")}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)
    torch.set_num_threads(1)
    to_peers(binary, work, epochs)
    from_peers(binary, work)
    print("\n| network | direction | peer | same class | spikes differing / entries | readout max abs diff |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    if failures:
        print(f"\n{len(failures)} case(s) differ:\n" + "\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
