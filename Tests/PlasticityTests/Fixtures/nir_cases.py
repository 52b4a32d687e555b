"""NIR graphs written by the `nir` package, and what they compute: for NIRTests.

Usage: python nir_cases.py OUT_DIR
Writes OUT_DIR/<case>.nir (nir.write) and OUT_DIR/<case>-reference.h5 holding `input` [T][n_in]
and, per hidden layer l, `spikes<l>` [T][n_l], plus `readout` [T][n_out], from a float64
simulation of the NIR equations by forward Euler with step DT (docs/nir.md):
    LIF      v <- v + dt/tau (v_leak - v + r I)
    IF       v <- v + dt r I
    CubaLIF  i <- i + dt/tau_syn (-i + w_in I);  v <- v + dt/tau_mem (v_leak - v + r i)  (the new i, as snnTorch and Norse)
    LI       y <- y + dt/tau (v_leak - y + r I)
a spike when v > v_threshold, and v = v_reset before the next step; recurrent input is the
previous step's spikes, feed-forward input the current step's. A layer may have Affine
projections (a bias b_in on its input, b_rec on its recurrence, as snnTorch's RLeaky writes):
their biases add to its input current at every step.
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
    # Affine projections with biases, the recurrence an Affine too (its own generator: the cases above keep their draws)
    g = np.random.default_rng(11)
    out["affine-lif"] = [("alif", lif(16, g, tau=0.02, threshold=0.7, leak=0.02),
                          g.normal(0, 3.0, (16, n_in)).astype(np.float32), g.normal(0, 0.5, (16, 16)).astype(np.float32),
                          g.normal(0.3, 0.3, 16).astype(np.float32), g.normal(0, 0.1, 16).astype(np.float32))]
    return out, n_in


def biases(layer):
    """(b_in, b_rec) of a layer tuple: None for a Linear."""
    return (layer[4], layer[5]) if len(layer) > 4 else (None, None)


def graph(layers, n_in, readout_w, readout_b):
    nodes = {"input": nir.Input(input_type={"input": np.array([n_in])})}
    edges, previous = [], "input"
    for layer in layers:
        name, neuron, w_in, w_rec = layer[:4]
        b_in, b_rec = biases(layer)
        nodes[name + "_in"] = nir.Linear(weight=w_in) if b_in is None else nir.Affine(weight=w_in, bias=b_in)
        nodes[name] = neuron
        edges += [(previous, name + "_in"), (name + "_in", name)]
        if w_rec is not None:
            nodes[name + "_rec"] = nir.Linear(weight=w_rec) if b_rec is None else nir.Affine(weight=w_rec, bias=b_rec)
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
    for layer in layers:
        n = layer[2].shape[0]
        states.append({"v": np.zeros(n), "i": np.zeros(n), "z": np.zeros(n)})
    y = np.zeros(readout_w.shape[0])
    spikes = [np.zeros((T, s["v"].size)) for s in states]
    readout = np.zeros((T, y.size))
    for t in range(T):
        pre = x[t].astype(np.float64)
        for l, layer in enumerate(layers):
            _, neuron, w_in, w_rec = layer[:4]
            b_in, b_rec = biases(layer)
            s = states[l]
            current = w_in.astype(np.float64) @ pre
            if b_in is not None:
                current += b_in.astype(np.float64)
            if w_rec is not None:
                current += w_rec.astype(np.float64) @ s["z"]
                if b_rec is not None:
                    current += b_rec.astype(np.float64)
            v = np.where(s["z"] > 0, neuron.v_reset, s["v"])
            if isinstance(neuron, nir.CubaLIF):
                s["i"] = s["i"] + DT / neuron.tau_syn * (-s["i"] + neuron.w_in * current)
                v = v + DT / neuron.tau_mem * (neuron.v_leak - v + neuron.r * s["i"])
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
