"""The reference network R in JAX, against Plasticity's kernel (docs/benchmarks.md, "Against JAX").

R: LIF 100 -> 256 recurrent -> 10, batch 32, T = 1000, Bernoulli input p = 0.05, cross-entropy at
every step; LIF as Plasticity's built-in: v <- alpha (v - theta z) + W_in x + W_rec z (reset
gradient stopped), z = H((v - theta) / theta) with the fast-sigmoid surrogate of scale 10, a
leaky readout y <- kappa y + W_out z + b. Three formulations, written here, jit-compiled, float32:

  bptt        jax.grad through jax.lax.scan of the forward pass (memory grows with T)
  eprop       e-prop with factorized traces in jax.lax.scan: presynaptic traces x-bar, per-synapse
              filtered traces e-bar = kappa e-bar + psi x-bar, G += L e-bar every step
  eprop-full  e-prop with per-synapse eligibility vectors (no factorization)

Usage:
  bench_jax.py check                 gradients of the three against Plasticity's (the Python package)
  bench_jax.py time FORMULATION      median seconds per batch of 5 after a warm-up (one process)
  bench_jax.py run CLI [ROUNDS]      alternating processes on one core (taskset -c 1): the three
                                     formulations and `CLI bench network --configs R --chunks 0,100`
"""
import json
import math
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
T, B, N_IN, N, N_OUT, RATE = 1000, 32, 100, 256, 10, 0.05
ALPHA = KAPPA = math.exp(-1 / 20)
THETA, SCALE = 1.0, 10.0


def jax_modules():
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_platforms", "cpu")
    return jax, jnp


def model(jax, jnp):
    @jax.custom_jvp
    def spike(u):
        return (u > 0).astype(jnp.float32)

    @spike.defjvp
    def _(primals, tangents):
        (u,), (du,) = primals, tangents
        return spike(u), du / (1 + SCALE * jnp.abs(u)) ** 2

    def loss_fn(params, x, labels):
        w_in, w_rec, w_out, b = params
        onehot = jax.nn.one_hot(labels, N_OUT)

        def step(carry, x_t):
            v, z, y = carry
            v = ALPHA * (v - THETA * jax.lax.stop_gradient(z)) + x_t @ w_in.T + z @ w_rec.T
            z = spike((v - THETA) / THETA)
            y = KAPPA * y + z @ w_out.T + b
            return (v, z, y), -jnp.sum(onehot * jax.nn.log_softmax(y))

        zeros = jnp.zeros((x.shape[1], N))
        _, losses = jax.lax.scan(step, (zeros, zeros, jnp.zeros((x.shape[1], N_OUT))), x)
        return jnp.sum(losses)

    def eprop(params, x, labels, factorized):
        w_in, w_rec, w_out, b = params
        batch = x.shape[1]
        onehot = jax.nn.one_hot(labels, N_OUT)

        def step(carry, x_t):
            v, z, y, trace_in, trace_rec, ebar_in, ebar_rec, zbar, bbar, g_in, g_rec, g_out, g_b, loss = carry
            v = ALPHA * (v - THETA * z) + x_t @ w_in.T + z @ w_rec.T
            u = (v - THETA) / THETA
            z_new = (u > 0).astype(jnp.float32)
            psi = 1 / (1 + SCALE * jnp.abs(u)) ** 2 / THETA
            if factorized:   # eps_ji = x-bar_i: one presynaptic trace per input
                trace_in = ALPHA * trace_in + x_t
                trace_rec = ALPHA * trace_rec + z
                e_in, e_rec = psi[:, :, None] * trace_in[:, None, :], psi[:, :, None] * trace_rec[:, None, :]
            else:            # eps_ji per synapse
                trace_in = ALPHA * trace_in + x_t[:, None, :]
                trace_rec = ALPHA * trace_rec + z[:, None, :]
                e_in, e_rec = psi[:, :, None] * trace_in, psi[:, :, None] * trace_rec
            ebar_in, ebar_rec = KAPPA * ebar_in + e_in, KAPPA * ebar_rec + e_rec
            y = KAPPA * y + z_new @ w_out.T + b
            err = jax.nn.softmax(y) - onehot
            signal = err @ w_out
            zbar, bbar = KAPPA * zbar + z_new, KAPPA * bbar + 1
            g_in += jnp.einsum("bj,bji->ji", signal, ebar_in)
            g_rec += jnp.einsum("bj,bji->ji", signal, ebar_rec)
            g_out += err.T @ zbar
            g_b += err.T @ bbar
            loss += -jnp.sum(onehot * jax.nn.log_softmax(y))
            return (v, z_new, y, trace_in, trace_rec, ebar_in, ebar_rec, zbar, bbar, g_in, g_rec, g_out, g_b, loss), None

        zeros = jnp.zeros
        trace_shape = ((batch, N_IN), (batch, N)) if factorized else ((batch, N, N_IN), (batch, N, N))
        carry = (zeros((batch, N)), zeros((batch, N)), zeros((batch, N_OUT)), zeros(trace_shape[0]), zeros(trace_shape[1]),
                 zeros((batch, N, N_IN)), zeros((batch, N, N)), zeros((batch, N)), zeros(batch), zeros((N, N_IN)), zeros((N, N)),
                 zeros((N_OUT, N)), zeros(N_OUT), jnp.float32(0))
        out, _ = jax.lax.scan(step, carry, x)
        return out[9:13], out[13]

    return {
        "bptt": jax.jit(lambda p, x, y: jax.value_and_grad(loss_fn)(p, x, y)[::-1]),
        "eprop": jax.jit(lambda p, x, y: eprop(p, x, y, True)),
        "eprop-full": jax.jit(lambda p, x, y: eprop(p, x, y, False)),
    }


def problem(seed=1):
    import numpy as np
    rng = np.random.default_rng(seed)
    x = (rng.random((T, B, N_IN)) < RATE).astype(np.float32)
    labels = rng.integers(0, N_OUT, B)
    params = (rng.normal(0, 2 / N_IN ** 0.5, (N, N_IN)).astype(np.float32),
              rng.normal(0, 0.3 / N ** 0.5, (N, N)).astype(np.float32),
              rng.normal(0, 1 / N ** 0.5, (N_OUT, N)).astype(np.float32), np.zeros(N_OUT, np.float32))
    return params, x, labels


def check():
    """The formulations' gradients against Plasticity's e-prop and BPTT on the same weights and input."""
    import numpy as np
    import plasticity as p
    jax, jnp = jax_modules()
    functions = model(jax, jnp)
    params, x, labels = problem()
    network = p.Network(inputs=N_IN, outputs=N_OUT, hidden=[{"model": "lif", "neurons": N, "recurrent": True}], kappa=KAPPA)
    with p.Simulation(network, batch=B) as sim:
        for name, value in zip(["layer0.w0", "layer0.w1", "readout.w", "readout.b"], params):
            sim.set_tensor(name, value)
        reference = {method: sim.gradients(x, labels, method)[0] for method in ("eprop", "bptt")}
    names = ["layer0.w0", "layer0.w1", "readout.w", "readout.b"]
    for formulation, method in (("eprop", "eprop"), ("eprop-full", "eprop"), ("bptt", "bptt")):
        gradients, loss = functions[formulation](params, x, labels)
        for name, g in zip(names, gradients):
            a, b = np.asarray(g, np.float64).ravel(), reference[method][name].astype(np.float64).ravel()
            cosine = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            print(f"{formulation} vs Plasticity {method}, {name}: cosine {cosine:.7f}, max rel {np.abs(a - b).max() / np.abs(b).max():.2e}")


def time_one(formulation):
    jax, jnp = jax_modules()
    function = model(jax, jnp)[formulation]
    params, x, labels = problem()
    jax.block_until_ready(function(params, x, labels))
    seconds = []
    for _ in range(5):
        start = time.perf_counter()
        jax.block_until_ready(function(params, x, labels))
        seconds.append(time.perf_counter() - start)
    print(json.dumps(statistics.median(seconds)))


def run(cli, rounds):
    pin = ["taskset", "-c", "1"]
    results = {}
    for round_ in range(rounds):
        for formulation in ("eprop", "eprop-full", "bptt"):
            out = subprocess.run(pin + [sys.executable, __file__, "time", formulation], check=True, capture_output=True, text=True).stdout
            results.setdefault(f"JAX {formulation}", []).append(json.loads(out.strip().splitlines()[-1]))
        rows = json.loads(subprocess.run(pin + [cli, "bench", "network", "--configs", "R", "--backends", "systemCC,tinyCC", "--chunks",
                                                "0,100", "--repeats", "5", "--json"], check=True, capture_output=True, text=True).stdout)
        for row in rows:
            results.setdefault(f"Plasticity {row['backend']} K={row['chunk']}", []).append(row["seconds_per_batch"])
        print(f"round {round_ + 1}: " + json.dumps({k: v[-1] for k, v in results.items()}), flush=True)
    fastest = min(statistics.median(results[f"JAX {f}"]) for f in ("eprop", "eprop-full"))
    print("| implementation | s/batch (median of rounds) | fastest JAX e-prop / this |\n|---|---|---|")
    for name, values in results.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.4f} ({', '.join(f'{v:.4f}' for v in values)}) | {fastest / median:.2f} |")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "check":
        check()
    elif command == "time":
        time_one(sys.argv[2])
    elif command == "run":
        run(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        sys.exit(__doc__)
