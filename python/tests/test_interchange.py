"""NIR and events from Python: a checkpoint to a nir.NIRGraph and back, the same as the CLI's
files; events binned into dense input."""
import numpy as np
import pytest

import plasticity as p
from conftest import ROOT, run_cli, tiny_config


def test_checkpoint_to_nir_and_back(tiny_digits, tmp_path):
    nir = pytest.importorskip("nir")
    config = tiny_config(tiny_digits, epochs=1, model=ROOT + "/examples/models/nir-lif.json")
    p.train(config, out=tmp_path / "run")
    graph = p.Checkpoint(tmp_path / "run" / "best.json").to_nir()
    assert isinstance(graph, nir.NIRGraph) and type(graph.nodes["hidden0"]).__name__ == "LIF"
    imported = p.from_nir(graph, tmp_path / "imported", config={"data": config["data"]})
    before, after = p.evaluate(tmp_path / "run" / "best.json"), imported.evaluate()
    assert before["accuracy"] == after["accuracy"] and before["loss"] == after["loss"]
    notes = p.export_nir(tmp_path / "run" / "best.json", tmp_path / "snn.nir", profile="snntorch")
    assert any(note.startswith("readout:") for note in notes)
    run_cli("import", "nir", tmp_path / "snn.nir", "--out", tmp_path / "cli-imported", "--set", f"data.directory={tiny_digits}",
            "--set", "data.build=false")


def test_events_bin_into_dense_input():
    times, units = np.array([0.0, 0.0015, 0.0019, 0.0095, 0.5]), np.array([0, 3, 3, 7, 1])
    structured = np.zeros(2, dtype=[("t", "<u8"), ("x", "<u2"), ("p", "<u1")])
    structured["t"], structured["x"] = [1000, 2500], [2, 5]   # microseconds
    x = p.bin_events([(times, units), structured], units=8, dt=0.001, steps=10, time_scale=1.0)
    assert x.shape == (10, 2, 8) and x.dtype == np.float32
    assert x[0, 0, 0] == 1 and x[1, 0, 3] == 2 and x[9, 0, 7] == 1 and x[:, 0].sum() == 4   # 0.5 s is past 10 ms
    y = p.bin_events([structured], units=8, dt=0.001, steps=10, time_scale=1e-6, max_count=1)
    assert y[1, 0, 2] == 1 and y[2, 0, 5] == 1 and y.sum() == 2
    with pytest.raises(ValueError, match="units"):
        p.bin_events([(times, units)], units=4, dt=0.001, steps=10)
    with pytest.raises(ValueError, match="dt"):
        p.bin_events([(times, units)], units=8, dt=0, steps=10)
