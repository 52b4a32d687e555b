"""Python against the CLI and snnTorch on the reference network R (docs/benchmarks.md): LIF
100 -> 256 recurrent -> 10, batch 32, T = 1000, input p = 0.05, cross-entropy every step, one
thread. Alternates processes: the CLI's `bench network` (e-prop, step by step, systemCC), the
same gradients from Python (`Simulation.gradients`, whose call overhead is per batch), step by step and in chunks of
K = 100 steps, two networks trained by two Python threads against one after the other (the GIL is released in calls),, and
snnTorch's BPTT (RLeaky, subtractive reset, the same leaky readout). Prints medians.
Usage: python bench_python.py PLASTICITY_CLI [ROUNDS]"""
import json
import math
import os
import subprocess
import sys
import time

import numpy as np

CODE = {
    "python": r"""
import json, math, sys, time
import numpy as np
import plasticity as p
network = p.Network(inputs=100, outputs=10, hidden=[{"model": "lif", "neurons": 256, "recurrent": True}], kappa=math.exp(-1 / 20))
rng = np.random.default_rng(1)
x = (rng.random((1000, 32, 100)) < 0.05).astype(np.float32)
y = rng.integers(0, 10, 32)
with p.Simulation(network, batch=32, backend="systemCC", chunk_steps=int(sys.argv[1])) as sim:
    sim.gradients(x, y, "eprop")
    seconds = []
    for _ in range(5):
        start = time.perf_counter(); sim.gradients(x, y, "eprop"); seconds.append(time.perf_counter() - start)
print(json.dumps(sorted(seconds)[2]))
""",
    "threads": r"""
import json, math, threading, time
import numpy as np
import plasticity as p
def train(seed):
    network = p.Network(inputs=100, outputs=10, hidden=[{"model": "lif", "neurons": 256, "recurrent": True}], kappa=math.exp(-1 / 20))
    rng = np.random.default_rng(seed)
    x, y = (rng.random((1000, 32, 100)) < 0.05).astype(np.float32), rng.integers(0, 10, 32)
    with p.Simulation(network, batch=32, backend="systemCC", chunk_steps=100) as sim:
        trainer = p.Trainer(sim)
        trainer.fit([(x, y)] * 4, epochs=1)
        trainer.close()
train(0)
start = time.perf_counter(); train(1); train(2); alone = time.perf_counter() - start
threads = [threading.Thread(target=train, args=(s,)) for s in (1, 2)]
start = time.perf_counter()
for t in threads: t.start()
for t in threads: t.join()
print(json.dumps((time.perf_counter() - start) / alone))
""",
    "snntorch": r"""
import json, math, time
import torch, snntorch as snn
torch.set_num_threads(1)
torch.manual_seed(1)
T, B, kappa = 1000, 32, math.exp(-1 / 20)
x = (torch.rand(T, B, 100) < 0.05).float()
y = torch.randint(0, 10, (B,))
w_in = torch.nn.Linear(100, 256, bias=False)
lif = snn.RLeaky(beta=math.exp(-1 / 20), linear_features=256, reset_mechanism="subtract")
w_out = torch.nn.Linear(256, 10)
params = list(w_in.parameters()) + list(lif.parameters()) + list(w_out.parameters())
def batch():
    spk, mem = lif.init_rleaky()
    out = torch.zeros(B, 10)
    loss = 0
    for t in range(T):
        spk, mem = lif(w_in(x[t]), spk, mem)
        out = kappa * out + w_out(spk)
        loss = loss + torch.nn.functional.cross_entropy(out, y, reduction="sum")
    for q in params:
        q.grad = None
    loss.backward()
batch()
seconds = []
for _ in range(3):
    start = time.perf_counter(); batch(); seconds.append(time.perf_counter() - start)
print(json.dumps(sorted(seconds)[1]))
""",
}


def main():
    cli, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3
    results = {"cli K=0": [], "python K=0": [], "cli K=100": [], "python K=100": [], "snntorch": [], "two threads / one after the other": []}
    for _ in range(rounds):
        out = subprocess.run([cli, "bench", "network", "--configs", "R", "--backends", "systemCC", "--chunks", "0,100", "--repeats", "5",
                              "--json"], capture_output=True, text=True, check=True)
        for row in json.loads(out.stdout):
            results[f"cli K={row['chunk']}"].append(row["seconds_per_batch"])
        for name, code, arguments in (("python K=0", CODE["python"], ["0"]), ("python K=100", CODE["python"], ["100"]),
                                      ("snntorch", CODE["snntorch"], []), ("two threads / one after the other", CODE["threads"], [])):
            out = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True, check=True, env=dict(os.environ))
            results[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    medians = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
    print(json.dumps({"rounds": results, "medians": medians}, indent=1))
    print(f"| | s per batch (median of {rounds} processes) | vs the CLI, same K |\n|---|---|---|")
    for name in results:
        if name.startswith("two threads"):
            print(f"| {name}: wall time of two networks, 4 batches each, trained by two Python threads at once | {medians[name]:.3f} | |")
            continue
        base = medians["cli K=100" if "100" in name else "cli K=0"]
        print(f"| {name} | {medians[name]:.4f} | {medians[name] / base:.3f} |")


if __name__ == "__main__":
    main()
