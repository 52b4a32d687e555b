"""Bad input raises a Python exception with the library's message and never takes the
interpreter down: shapes, dtypes, NaN, labels, freed objects; non-contiguous and torch-like
inputs are taken (one copy) and give the same results."""
import numpy as np
import pytest

import plasticity as p


@pytest.fixture
def sim():
    network = p.Network(inputs=8, outputs=3, hidden=[{"model": "lif", "neurons": 6, "recurrent": True}])
    with p.Simulation(network, batch=2) as s:
        yield s


def spikes(T=30, B=2, n=8, seed=0):
    return (np.random.default_rng(seed).random((T, B, n)) < 0.2).astype(np.float32)


def test_shapes_dtypes_values(sim):
    x = spikes()
    with pytest.raises(ValueError, match=r"\[T\]\[2\]\[8\]"):
        sim.run(x[:, :1])
    with pytest.raises(ValueError, match="3 dimensions"):
        sim.run(x[0])
    with pytest.raises(TypeError, match="dtype"):
        sim.run(x.astype(np.complex64))
    with pytest.raises(TypeError, match="dtype"):
        sim.run(np.array([["a"]]))
    bad = x.copy()
    bad[3, 1, 2] = np.nan
    with pytest.raises(p.BadInput, match=r"input\[.*\] is nan"):
        sim.run(bad)
    with pytest.raises(p.BadInput, match="targets"):
        sim.gradients(x, np.array([0, 3]))   # label 3 of a 3-class readout
    with pytest.raises(ValueError, match="targets have shape"):
        sim.gradients(x, np.zeros((5, 2)))
    with pytest.raises(ValueError, match="targets are needed"):
        sim.gradients(x, None)
    with pytest.raises(p.InvalidArgument, match="method"):
        sim.gradients(x, np.array([0, 1]), method="magic")
    with pytest.raises(KeyError):
        sim.tensor("layer9.w0")
    with pytest.raises(ValueError, match="shape"):
        sim.set_tensor("readout.b", np.zeros(4))
    with pytest.raises(p.BadInput, match="not a finite number"):
        sim.set_tensor("readout.b", np.array([0, np.inf, 0]))


def test_layouts_give_the_same_results(sim):
    x = spikes()
    reference = sim.run(x, spikes=True)
    strided = np.zeros((30, 2, 16), dtype=np.float32)
    strided[:, :, ::2] = x
    assert not strided[:, :, ::2].flags.c_contiguous
    assert np.array_equal(sim.run(strided[:, :, ::2])["readout"], reference["readout"])
    assert np.array_equal(sim.run(x.astype(np.float64))["readout"], reference["readout"])
    batch_first = sim.run(np.swapaxes(x, 0, 1), batch_first=True)
    assert np.array_equal(np.swapaxes(batch_first["readout"], 0, 1), reference["readout"])

    class TensorLike:   # what a CPU torch tensor offers
        def __array__(self, dtype=None, copy=None):
            return x
    assert np.array_equal(sim.run(TensorLike())["readout"], reference["readout"])


def test_freed_objects_raise():
    network = p.Network(inputs=4, outputs=2, hidden=[{"model": "lif", "neurons": 3}])
    sim = p.Simulation(network, batch=1)
    trainer = p.Trainer(sim)
    sim.close()
    with pytest.raises(p.InvalidArgument, match="closed"):
        sim.run(np.zeros((5, 1, 4), np.float32))
    assert np.isfinite(trainer.step(np.zeros((5, 1, 4), np.float32), np.array([0]))["loss"])   # a trainer keeps its simulation
    trainer.close()
    with pytest.raises(p.InvalidArgument, match="closed"):
        trainer.step(np.zeros((5, 1, 4), np.float32), np.array([0]))
    sim.close()   # twice: nothing happens
    trainer.close()
    from plasticity import _native
    with pytest.raises(p.InvalidArgument, match="not a live simulation"):
        _native.call("plasticity_simulation_free", 123456789)


def test_bad_networks_and_configs_name_the_field():
    with pytest.raises(p.BadInput, match=r"hidden neurons \[-3\]"):
        p.Simulation(p.Network(inputs=4, outputs=2, hidden=[{"model": "lif", "neurons": -3}]))
    with pytest.raises(p.BadInput, match="not a known field|unknown"):
        p.Simulation(p.Network(inputs=4, outputs=2, hidden=[{"model": "lif", "neurons": 3, "nuerons": 4}]))
    with pytest.raises(p.InvalidArgument, match="backend"):
        p.Simulation(p.Network(inputs=4, outputs=2, hidden=[{"model": "lif", "neurons": 3}]), backend="gpu")


def test_states_are_the_trajectories_the_spikes_come_from(sim):
    """LIF: a spike at step t exactly where v^t > threshold (the condition (v − θ)/θ > 0); the
    recorded v the state at the end of each step, before the next step's reset."""
    run = sim.run(spikes(seed=3) * 4, spikes=True, states=True)
    v, z = run["states"][0]["v"], run["spikes"][0]
    assert v.shape == z.shape == (30, 2, 6) and z.sum() > 0
    assert np.array_equal(z, (v > 1.0).astype(np.float32))


def test_fit_refuses_an_epoch_without_batches(sim):
    trainer = p.Trainer(sim)
    batches = ((spikes(), np.array([0, 1])) for _ in range(2))   # a generator: used up after one epoch
    with pytest.raises(ValueError, match="epoch 2 got no batches"):
        trainer.fit(batches, epochs=2)
    trainer.close()
