"""A quadratic integrate-and-fire neuron defined in Python, trained online (e-prop) on the spoken
digits, exported to NIR and read back with the `nir` package (docs/python.md).
Run from the repository: python examples/python/qif_digits.py [EPOCHS]"""
import sys

import plasticity as p

qif = p.Model("QIF", time_step="dt")                       # dt: bound to the network's step
dt, k = qif.parameter("dt", 1, unit="ms"), qif.parameter("k", 100, unit="Hz")
v_crit, threshold = qif.parameter("v_crit", 0.5), qif.parameter("threshold", 1.0)
I, v = qif.input("I"), qif.state("v")
qif.reset(v, to=0.0)
qif.update(v, p.clamp(v + k * dt * v * (v - v_crit) + I, -1, 2))
qif.spike((v - threshold) / threshold, surrogate="fast_sigmoid", scale=10)
print(p.compile(qif).plan)                                  # every stage prints: graph, plan, kernel, c

config = {"network": {"model": qif.to_json(), "neurons": 128, "recurrent": True},
          "training": {"epochs": int(sys.argv[1]) if len(sys.argv) > 1 else 5}}
summary = p.train(config, out="out/python-qif", overwrite=True)   # builds the spoken digits on first use
print("\n".join(summary["lines"]))
print(f"test accuracy {summary['best_test_accuracy']:.3f}")

best = p.Checkpoint("out/python-qif/best.json")
try:
    graph = best.to_nir()                                   # a nir.NIRGraph (pip install nir)
    print("NIR nodes:", sorted(graph.nodes))
except p.BadInput as refusal:                               # QIF has no NIR node: the refusal says so
    print("NIR:", refusal)
with best.simulation(batch=1) as sim:                       # the trained weights, as numpy arrays
    print({name: w.shape for name, w in sim.tensors().items()})
