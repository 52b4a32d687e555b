"""Shared fixtures: the CLI binary (PLASTICITY_CLI, set by .ci/test.sh) for the oracle side, and a
tiny spoken-digit set built once per session with that CLI."""
import math
import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli_path():
    path = os.environ.get("PLASTICITY_CLI", os.path.join(ROOT, ".build", "debug", "plasticity"))
    if not os.path.exists(path):
        pytest.skip(f"the plasticity CLI is not built at {path} (.ci/test.sh builds it)")
    return path


def run_cli(*arguments, cwd=ROOT):
    out = subprocess.run([cli_path(), *map(str, arguments)], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, f"plasticity {' '.join(map(str, arguments))}: {out.stdout}{out.stderr}"
    return out.stdout


@pytest.fixture(scope="session")
def tiny_digits(tmp_path_factory):
    """5 speakers, 1 repetition: the set the Swift suite's TinySpokenDigits builds."""
    folder = tmp_path_factory.mktemp("digits")
    run_cli("data", "spoken-digits", "--out", folder, "--speakers", 5, "--repetitions", 1)
    return folder


def tiny_config(directory, epochs=1, **network):
    return {"data": {"directory": str(directory), "build": False, "validationEvery": 0, "binning": {"steps": 80}},
            "network": {"neurons": 32, "backend": "tinyCC", **network},
            "training": {"batch": 16, "epochs": epochs, "learningRate": 1e-2, "shiftChannels": 0, "shiftMs": 0, "threads": 1}}


def finite(x):
    return x is not None and math.isfinite(x)
