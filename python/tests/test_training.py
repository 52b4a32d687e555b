"""Training from Python: the CLI's run reproduced (same metrics), a Python-built QIF trained with
e-prop on the spoken digits above chance, two networks trained by two threads at once, and the
memory of long runs flat."""
import json
import os
import resource
import threading

import numpy as np
import pytest

import plasticity as p
from conftest import ROOT, run_cli, tiny_config
from test_models import python_qif


def metrics(folder):
    lines = [json.loads(line) for line in open(os.path.join(folder, "metrics.jsonl"))]
    timing = {"samplesPerSecond", "seconds", "secondsPerEpoch", "wallSeconds"}
    return [{k: v for k, v in line.items() if k not in timing} for line in lines]


def test_train_equals_the_cli_run(tiny_digits, tmp_path):
    config = tiny_config(tiny_digits, epochs=2)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    summary = p.train(config, out=tmp_path / "python")
    run_cli("train", "--config", path, "--out", tmp_path / "cli")
    assert metrics(tmp_path / "python") == metrics(tmp_path / "cli")
    assert summary["final_test_accuracy"] == metrics(tmp_path / "cli")[-1]["testAccuracy"]
    evaluated = p.evaluate(tmp_path / "python" / "best.json")
    printed = run_cli("eval", tmp_path / "cli" / "best.json")
    assert f"accuracy {evaluated['accuracy']:.4f}" in printed and f"loss {evaluated['loss']:.4f}" in printed
    with p.Checkpoint(tmp_path / "python" / "best.json").simulation(batch=4) as sim:
        assert sim.shapes["readout.w"][0] == 20


def test_a_python_qif_trains_above_chance(tiny_digits, tmp_path):
    config = tiny_config(tiny_digits, epochs=8, model=python_qif().to_json())
    summary = p.train(config, out=tmp_path / "qif")
    # 20 classes: chance is 0.05; the test split is one speaker's 20 utterances.
    assert summary["best_test_accuracy"] > 0.05 * 2, summary["lines"]


def train_once(seed, results, index):
    network = p.Network(inputs=16, outputs=3, hidden=[{"model": "alif", "neurons": 24, "recurrent": True}])
    rng = np.random.default_rng(seed)
    batches = [((rng.random((200, 4, 16)) < 0.1).astype(np.float32), rng.integers(0, 3, 4)) for _ in range(3)]
    with p.Simulation(network, batch=4, seed=seed) as sim:
        trainer = p.Trainer(sim, learningRate=1e-2, update_every=50)
        trainer.fit(batches, epochs=2)
        results[index] = sim.tensor("readout.w")
        trainer.close()


def test_two_threads_train_two_networks_at_once():
    alone = [None, None]
    train_once(1, alone, 0)
    train_once(2, alone, 1)
    together = [None, None]
    threads = [threading.Thread(target=train_once, args=(seed, together, i)) for i, seed in enumerate((1, 2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(alone[0], together[0]) and np.array_equal(alone[1], together[1])


def test_memory_of_long_runs_stays_flat():
    """20 runs of 10,000 steps: the peak resident size after the first run grows by less than 5 MB
    (one run's input and readout are 0.8 MB; a leak of either would add 16 MB)."""
    network = p.Network(inputs=16, outputs=3, hidden=[{"model": "lif", "neurons": 32, "recurrent": True}])
    x = (np.random.default_rng(0).random((10_000, 1, 16)) < 0.05).astype(np.float32)
    with p.Simulation(network, batch=1) as sim:
        sim.run(x)
        first = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for _ in range(20):
            sim.run(x)
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - first
    assert grown < 5 * 1024, f"peak RSS grew by {grown} kB"


def test_a_saved_trainer_loads_and_continues_bit_for_bit(tmp_path):
    network = p.Network(inputs=16, outputs=3, hidden=[{"model": "alif", "neurons": 12, "recurrent": True}])
    rng = np.random.default_rng(4)
    x, y = (rng.random((100, 2, 16)) < 0.1).astype(np.float32), np.array([0, 2])
    with p.Simulation(network, batch=2) as sim:
        trainer = p.Trainer(sim, learningRate=1e-2)
        trainer.fit([(x, y)], epochs=3)
        trainer.save(tmp_path / "net.json", iteration=3)
        trained = sim.tensors()
        expected = sim.run(x)["readout"]
        trainer.close()
    with p.Simulation.load(tmp_path / "net.json", batch=2) as loaded:
        assert all(np.array_equal(loaded.tensor(name), w) for name, w in trained.items())
        assert np.array_equal(loaded.run(x)["readout"], expected)
    # Continuing from the checkpoint (weights and Adam's moments) is the uninterrupted run, bit for bit.
    with p.Simulation(network, batch=2) as straight, p.Simulation(network, batch=2, seed=99) as resumed:
        uninterrupted = p.Trainer(straight, learningRate=1e-2)
        uninterrupted.fit([(x, y)], epochs=4)
        continued = p.Trainer(resumed, learningRate=1e-2)
        assert continued.load(tmp_path / "net.json") == 3
        continued.step(x, y)
        assert all(np.array_equal(resumed.tensor(name), straight.tensor(name)) for name in straight.shapes)
        uninterrupted.close()
        continued.close()
    user = tmp_path / "mine.json"
    user.write_text("my notes")
    with p.Simulation(network, batch=2) as sim:
        with pytest.raises(p.PlasticityError, match="mine.json"):
            p.Trainer(sim).save(user)
    assert user.read_text() == "my notes"
