"""Models built in Python: the same file bytes as the Swift DSL's, every stage printable, and
defects named the way the CLI names them."""
import os

import pytest

import plasticity as p
from conftest import ROOT, run_cli


def python_lif():
    """Models.lif of the Swift DSL, written with the Python builder."""
    m = p.Model("LIF")
    alpha = m.parameter("alpha", 0.951229424500714)   # exp(-1/20), the Swift default
    threshold = m.parameter("threshold", 1.0)
    I, v = m.input("I"), m.state("v", initial=0)
    m.reset(v, subtract=threshold)
    m.update(v, alpha * v + I)
    m.spike((v - threshold) / threshold, surrogate="fast_sigmoid", scale=10)
    return m


def python_qif():
    m = p.Model("QIF", time_step="dt")
    dt, k = m.parameter("dt", 1, unit="ms"), m.parameter("k", 100, unit="Hz")
    v_crit, threshold, v_reset = m.parameter("v_crit", 0.5), m.parameter("threshold", 1.0), m.parameter("v_reset", 0.0)
    I, v = m.input("I"), m.state("v")
    m.reset(v, to=v_reset)
    drift = m.let("drift", k * dt * (v * (v - v_crit)))
    m.update(v, p.clamp(v + drift + I, -1, 2))
    m.spike((v - threshold) / threshold)
    return m


def test_python_lif_is_the_swift_dsl_lif_byte_for_byte():
    assert python_lif().text() == run_cli("compile", "--model", "lif", "--emit", "model", "--json")


def test_python_qif_is_the_model_file_byte_for_byte(tmp_path):
    swift = run_cli("compile", "--model-file", os.path.join(ROOT, "examples/models/qif.json"), "--emit", "model", "--json")
    assert python_qif().text() == swift
    path = tmp_path / "qif.json"
    python_qif().save(path)
    assert path.read_text() == swift
    with pytest.raises(FileExistsError, match="overwrite=True"):   # never over a file without being asked
        python_lif().save(path)
    assert path.read_text() == swift
    python_lif().save(path, overwrite=True)
    assert '"name": "LIF"' in path.read_text()
    python_qif().save(path, overwrite=True)
    assert p.Model.load(path).text("text") == run_cli("compile", "--model-file", path, "--emit", "model", "--json", "--expressions", "text")


def test_every_stage_prints_as_the_cli_prints_it():
    compiled = p.compile("lif", recurrent=True)
    for stage in ("graph", "plan", "kernel", "c"):
        assert getattr(compiled, stage) == run_cli("compile", "--model", "lif", "--recurrent", "--emit", stage), stage


def test_select_and_conditions_write_out_as_the_format_does():
    m = p.Model("gate")
    a, b = m.parameter("a", 1.0), m.parameter("b", 2.0)
    I, v = m.input("I"), m.state("v")
    m.update(v, p.select((v > a) & (v < b), I, 0.0))
    m.spike(v - 1.0)
    tree = m.to_json()["updates"][0]["expression"]
    assert tree["compare"] == ">" and tree["args"][2]["compare"] == "<" and tree["args"][3] == 0.0
    assert "select" in m.text("text")


def test_defects_are_named():
    m = p.Model("broken")
    v = m.state("v")
    m.update(v, v * m.parameter("alpha", 0.9) + p.Expr("J"))   # J is not declared
    m.spike(v - 1.0)
    with pytest.raises(p.BadInput, match="J"):
        m.text()
    with pytest.raises(ValueError, match="surrogate"):
        m.spike(v, surrogate="sigmoidal")
    with pytest.raises(TypeError):
        bool(v > 1)
    with pytest.raises(ValueError, match="finite"):
        p.Expr.of(float("nan"))
    with pytest.raises(p.InvalidArgument, match="not a built-in model"):
        p.Model.builtin("hodgkin")
