"""NIR graphs written by the `nir` package, and what they compute: for NIRTests.

Usage: python nir_cases.py OUT_DIR
Writes OUT_DIR/<case>.nir (nir.write) and OUT_DIR/<case>-reference.h5 holding `input` [T][n_in]
and, per hidden layer l, `spikes<l>` [T][n_l], plus `readout` [T][n_out], from a float64
simulation of the NIR equations by forward Euler with step DT (docs/nir.md):
    LIF      v <- v + dt/tau (v_leak - v + r I)
    IF       v <- v + dt r I
    CubaLIF  i <- i + dt/tau_syn (-i + w_in I);  v <- v + dt/tau_mem (v_leak - v + r i_previous)
    LI       y <- y + dt/tau (v_leak - y + r I)
a spike when v > v_threshold, and v = v_reset before the next step; recurrent input is the
previous step's spikes, feed-forward input the current step's.
"""
import os
import sys

import h5py
import nir
import numpy as np

DT = 1e-3
T = 300


def lif(n, rng, tau=0.02, threshold=1.0, reset=0.0, leak=0.0):
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, 1.0 + rng.uniform(0, 0.5)), v_leak=np.full(n, leak),
                   v_threshold=np.full(n, threshold), v_reset=np.full(n, reset))


def cases(rng):
    def w(rows, cols, scale):
        return (rng.normal(0, scale, (rows, cols))).astype(np.float32)
    out = {}
    n_in = 12
    # feed-forward LIF
    out["ff-lif"] = [("lif", lif(20, rng, tau=0.01, threshold=0.5, reset=-0.1, leak=0.05), w(20, n_in, 2.0), None)]
    # recurrent LIF
    out["rec-lif"] = [("lif", lif(24, rng, tau=0.02, threshold=0.8), w(24, n_in, 4.0), w(24, 24, 0.6))]
    # current-based LIF
    cuba = nir.CubaLIF(tau_syn=np.full(16, 0.005), tau_mem=np.full(16, 0.02), r=np.full(16, 1.2), v_leak=np.zeros(16),
                       v_threshold=np.full(16, 0.4), v_reset=np.zeros(16), w_in=np.full(16, 1.5))
    out["cuba-lif"] = [("cuba", cuba, w(16, n_in, 2.0), w(16, 16, 0.3))]
    # two layers
    out["two-layers"] = [("lif1", lif(20, rng, tau=0.015, threshold=0.6), w(20, n_in, 2.5), w(20, 20, 0.4)),
                         ("lif2", lif(10, rng, tau=0.03, threshold=0.5), w(10, 20, 3.0), None)]
    # integrate-and-fire
    integrate = nir.IF(r=np.full(18, 80.0), v_threshold=np.full(18, 1.0), v_reset=np.zeros(18))
    out["if"] = [("if", integrate, w(18, n_in, 1.0), None)]
    return out, n_in


def graph(layers, n_in, readout_w, readout_b):
    nodes = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    edges, previous = [], "input"
    for name, neuron, w_in, w_rec in layers:
        nodes[name + "_in"] = nir.Linear(weight=w_in)
        nodes[name] = neuron
        edges += [(previous, name + "_in"), (name + "_in", name)]
        if w_rec is not None:
            nodes[name + "_rec"] = nir.Linear(weight=w_rec)
            edges += [(name, name + "_rec"), (name + "_rec", name)]
        previous = name
    n_out = readout_w.shape[0]
    nodes["affine"] = nir.Affine(weight=readout_w, bias=readout_b)
    nodes["li"] = nir.LI(tau=np.full(n_out, 0.01), r=np.full(n_out, 10.0), v_leak=np.zeros(n_out))
    nodes["output"] = nir.Output(output_type={"output": np.array([n_out])})
    edges += [(previous, "affine"), ("affine", "li"), ("li", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def simulate(layers, x, readout_w, readout_b):
    states = []
    for _, neuron, w_in, _ in layers:
        n = w_in.shape[0]
        states.append({"v": np.zeros(n), "i": np.zeros(n), "z": np.zeros(n)})
    y = np.zeros(readout_w.shape[0])
    spikes = [np.zeros((T, s["v"].size)) for s in states]
    readout = np.zeros((T, y.size))
    for t in range(T):
        pre = x[t].astype(np.float64)
        for l, (_, neuron, w_in, w_rec) in enumerate(layers):
            s = states[l]
            current = w_in.astype(np.float64) @ pre
            if w_rec is not None:
                current += w_rec.astype(np.float64) @ s["z"]
            v = np.where(s["z"] > 0, neuron.v_reset, s["v"])
            if isinstance(neuron, nir.CubaLIF):
                i_old = s["i"]
                s["i"] = i_old + DT / neuron.tau_syn * (-i_old + neuron.w_in * current)
                v = v + DT / neuron.tau_mem * (neuron.v_leak - v + neuron.r * i_old)
            elif isinstance(neuron, nir.IF):
                v = v + DT * neuron.r * current
            else:
                v = v + DT / neuron.tau * (neuron.v_leak - v + neuron.r * current)
            s["v"] = v
            s["z"] = (v > neuron.v_threshold).astype(np.float64)
            spikes[l][t] = s["z"]
            pre = s["z"]
        y = y + DT / 0.01 * (0 - y + 10.0 * (readout_w.astype(np.float64) @ pre + readout_b.astype(np.float64)))
        readout[t] = y
    return spikes, readout


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(7)
    all_cases, n_in = cases(rng)
    for name, layers in all_cases.items():
        n_last = layers[-1][2].shape[0]
        readout_w = rng.normal(0, 0.3, (4, n_last)).astype(np.float32)
        readout_b = rng.normal(0, 0.1, 4).astype(np.float32)
        nir.write(os.path.join(out, name + ".nir"), graph(layers, n_in, readout_w, readout_b))
        x = (rng.uniform(size=(T, n_in)) < 0.1).astype(np.float32)
        spikes, readout = simulate(layers, x, readout_w, readout_b)
        with h5py.File(os.path.join(out, name + "-reference.h5"), "w") as f:
            f["input"] = x
            for l, s in enumerate(spikes):
                f["spikes%d" % l] = s
            f["readout"] = readout


if __name__ == "__main__":
    main(sys.argv[1])
