"""Neuron models in Python, mirroring the Swift DSL (docs/python.md): declarations on a `Model`,
expressions with Python's operators. A model is data in the model file format
(docs/model-format.md); the library checks it and writes it exactly as the Swift DSL's model
file, so the same model gives the same bytes from either side."""
import json
import numbers
import os
import tempfile

from . import _native

SURROGATES = ("fast_sigmoid", "piecewise_linear", "exponential", "arctan", "boxcar", "gaussian")


class Expr:
    """An expression: a number, a symbol name, or an operation on expressions (a JSON tree)."""

    def __init__(self, tree):
        self.tree = tree

    @staticmethod
    def of(value):
        if isinstance(value, Expr):
            return value
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{value!r} is not an expression or a real number")
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value} is not a finite number: a model file cannot hold it")
        return Expr(value)

    def _binary(self, op, other, reverse=False):
        a, b = (Expr.of(other), self) if reverse else (self, Expr.of(other))
        return Expr({"op": op, "args": [a.tree, b.tree]})

    def __add__(self, o): return self._binary("add", o)
    def __radd__(self, o): return self._binary("add", o, True)
    def __sub__(self, o): return self._binary("subtract", o)
    def __rsub__(self, o): return self._binary("subtract", o, True)
    def __mul__(self, o): return self._binary("multiply", o)
    def __rmul__(self, o): return self._binary("multiply", o, True)
    def __truediv__(self, o): return self._binary("divide", o)
    def __rtruediv__(self, o): return self._binary("divide", o, True)
    def __pow__(self, o): return self._binary("pow", o)
    def __rpow__(self, o): return self._binary("pow", o, True)
    def __neg__(self): return Expr({"op": "negate", "args": [self.tree]})
    def __pos__(self): return self

    def __lt__(self, o): return Condition("<", self, Expr.of(o))
    def __le__(self, o): return Condition("<=", self, Expr.of(o))
    def __gt__(self, o): return Condition(">", self, Expr.of(o))
    def __ge__(self, o): return Condition(">=", self, Expr.of(o))

    def __bool__(self):
        raise TypeError("an expression has no truth value: use select(a < b, x, y) for a condition, & and | to join them")

    def __repr__(self):
        return f"Expr({json.dumps(self.tree)})"


class Condition:
    """A comparison of two expressions, or `&` / `|` of conditions: the first argument of `select`."""

    def __init__(self, compare, lhs=None, rhs=None, parts=None, joiner=None):
        self.compare, self.lhs, self.rhs, self.parts, self.joiner = compare, lhs, rhs, parts, joiner

    def __and__(self, other): return Condition(None, parts=(self, other), joiner="and")
    def __or__(self, other): return Condition(None, parts=(self, other), joiner="or")

    def __bool__(self):
        raise TypeError("a condition has no truth value in Python: join conditions with & and |, not and/or")

    def select(self, if_true, if_false):
        """Written out as the file format does: p & q → select(p, select(q, a, b), b); p | q → select(p, a, select(q, a, b))."""
        a, b = Expr.of(if_true), Expr.of(if_false)
        if self.joiner == "and":
            return self.parts[0].select(self.parts[1].select(a, b), b)
        if self.joiner == "or":
            return self.parts[0].select(a, self.parts[1].select(a, b))
        return Expr({"op": "select", "compare": self.compare, "args": [self.lhs.tree, self.rhs.tree, a.tree, b.tree]})


def _unary(op):
    def apply(x):
        return Expr({"op": op, "args": [Expr.of(x).tree]})
    apply.__name__ = op
    apply.__doc__ = f"{op}(x), as the model format's `{op}`."
    return apply


exp, log, tanh, sigmoid, sin, cos, sqrt = (_unary(o) for o in ("exp", "log", "tanh", "sigmoid", "sin", "cos", "sqrt"))
abs_ = _unary("abs")
stop_gradient, heaviside = _unary("stopGradient"), _unary("heaviside")


def minimum(a, b): return Expr({"op": "min", "args": [Expr.of(a).tree, Expr.of(b).tree]})
def maximum(a, b): return Expr({"op": "max", "args": [Expr.of(a).tree, Expr.of(b).tree]})
def clamp(x, low, high): return minimum(maximum(x, low), high)
def equal(a, b): return Condition("==", Expr.of(a), Expr.of(b))
def not_equal(a, b): return Condition("!=", Expr.of(a), Expr.of(b))


def select(condition, if_true, if_false):
    """if_true where the condition holds, else if_false (not differentiated through the condition)."""
    if not isinstance(condition, Condition):
        raise TypeError("select takes a condition such as a < b, equal(a, b), or conditions joined with & and |")
    return condition.select(if_true, if_false)


class Model:
    """A neuron model: parameters, inputs, noise, states, lets, resets, updates, and a spike
    condition (or an output, for a rate layer). Each declaration returns the symbol's expression.

        m = Model("QIF", time_step="dt")
        dt, k = m.parameter("dt", 1, unit="ms"), m.parameter("k", 100, unit="Hz")
        I, v = m.input("I"), m.state("v")
        m.reset(v, to=0.0)
        m.update(v, clamp(v + k * dt * v * (v - 0.5) + I, -1, 2))
        m.spike(v - 1.0)
    """

    def __init__(self, name, reset_gradient="stopped", time_step=None):
        if reset_gradient not in ("stopped", "differentiated"):
            raise ValueError(f"reset_gradient is {reset_gradient!r}, not 'stopped' or 'differentiated'")
        self._file = {"format": "plasticity-model", "version": 1, "name": str(name), "resetGradient": reset_gradient}
        if time_step is not None:
            self._file["timeStep"] = str(time_step)

    @classmethod
    def from_json(cls, file):
        """A model from the model file format (a dict or JSON text), checked by the library."""
        model = cls.__new__(cls)
        model._file = json.loads(file) if isinstance(file, str) else dict(file)
        model.text()   # checks it now, naming the field of any defect
        return model

    @classmethod
    def load(cls, path):
        with open(path, encoding="utf-8") as f:
            return cls.from_json(f.read())

    @classmethod
    def builtin(cls, name):
        """A built-in model by name: lif, alif, cuba-lif, adlif, izhikevich, adex, readout."""
        return cls.from_json(_native.call_text("plasticity_model_builtin", _native.encode(name)))

    def _add(self, key, entry):
        self._file.setdefault(key, []).append(entry)

    def parameter(self, name, value, learnable=False, unit=None):
        entry = {"name": name, "value": Expr.of(value).tree, "learnable": bool(learnable)}
        if unit is not None:
            entry["unit"] = unit
        self._add("parameters", entry)
        return Expr(name)

    def input(self, name):
        self._add("inputs", name)
        return Expr(name)

    def noise(self, name, distribution="normal"):
        self._add("noise", {"name": name, "distribution": distribution})
        return Expr(name)

    def state(self, name, initial=0.0):
        self._add("states", {"name": name, "initial": Expr.of(initial).tree})
        return Expr(name)

    def let(self, name, expression):
        self._add("lets", {"name": name, "expression": Expr.of(expression).tree})
        return Expr(name)

    def reset(self, state, to=None, subtract=None, add=None):
        """After a spike: the state set `to` a value, or `subtract`/`add` an amount (exactly one)."""
        rules = {k: v for k, v in (("to", to), ("subtract", subtract), ("add", add)) if v is not None}
        if len(rules) != 1:
            raise ValueError("reset takes exactly one of to=, subtract=, add=")
        (kind, value), = rules.items()
        self._add("resets", {"state": _name(state), kind: Expr.of(value).tree})

    def update(self, state, expression):
        self._add("updates", {"state": _name(state), "expression": Expr.of(expression).tree})

    def spike(self, condition, surrogate="fast_sigmoid", scale=10.0):
        """A spike when `condition` > 0, with a surrogate derivative of that `scale`."""
        if surrogate not in SURROGATES:
            raise ValueError(f"surrogate is {surrogate!r}, not one of {', '.join(SURROGATES)}")
        self._file["spike"] = {"surrogate": {"kind": surrogate, "scale": float(scale)}, "condition": Expr.of(condition).tree}

    def output(self, expression):
        """The output of a non-spiking (rate) layer."""
        self._file["output"] = Expr.of(expression).tree

    @property
    def name(self):
        return self._file["name"]

    def to_json(self):
        """The model as a dict in the model file format."""
        return json.loads(json.dumps(self._file))

    def text(self, expressions="tree"):
        """The model checked and written as Plasticity writes model files ('tree' or 'text' expressions)."""
        return _native.call_text("plasticity_model_text", _native.encode(json.dumps(self._file)), _native.encode(expressions))

    def save(self, path, expressions="tree", overwrite=False):
        """Writes the model file atomically; an existing file is replaced only with `overwrite`
        (the library's commands replace only files they wrote; this one cannot tell)."""
        text = self.text(expressions)
        path = os.fspath(path)
        if os.path.exists(path) and not overwrite:
            raise FileExistsError(f"{path} exists: Model.save replaces a file only with overwrite=True")
        folder = os.path.dirname(os.path.abspath(path))
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".model-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise

    def __repr__(self):
        return f"Model({self.name!r})"


def _name(state):
    if isinstance(state, Expr) and isinstance(state.tree, str):
        return state.tree
    if isinstance(state, str):
        return state
    raise TypeError(f"{state!r} is not a state (the value m.state(...) returned, or its name)")


class Compiled:
    """Every compiler stage of a model as one layer (or of a network): model, graph, dot, plan, kernel, c."""

    def __init__(self, model=None, recurrent=False, network=None):
        self._model = None if model is None else json.dumps(_as_model(model).to_json())
        self._recurrent = 1 if recurrent else 0
        self._network = None if network is None else json.dumps(network)

    def stage(self, name):
        return _native.call_text("plasticity_compile_stage", _native.encode(self._model), self._recurrent, _native.encode(self._network),
                                 _native.encode(name))

    model = property(lambda self: self.stage("model"))
    graph = property(lambda self: self.stage("graph"))
    dot = property(lambda self: self.stage("dot"))
    plan = property(lambda self: self.stage("plan"))
    kernel = property(lambda self: self.stage("kernel"))
    c = property(lambda self: self.stage("c"))


def compile(model=None, recurrent=False, network=None):   # noqa: A001 - the library's verb
    """The compiler's stages for `model` (a Model, a built-in name or a model file path) as one
    layer, or for a whole `network` (a Network or its dict)."""
    if network is not None and hasattr(network, "to_json"):
        network = network.to_json()
    return Compiled(model, recurrent, network)


def _as_model(model):
    if isinstance(model, Model):
        return model
    if isinstance(model, str):
        return Model.load(model) if model.endswith(".json") else Model.builtin(model)
    if isinstance(model, dict):
        return Model.from_json(model)
    raise TypeError(f"{model!r} is not a Model, a built-in name, a model file path or a model dict")
