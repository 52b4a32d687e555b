"""Plasticity from Python: neuron models in a few lines, compiled to C, trained online with exact
eligibility traces (e-prop) — over the library's C ABI (include/plasticity.h). docs/python.md."""
from ._native import ABI_VERSION, BadInput, InvalidArgument, NonFinite, PlasticityError, library_path
from .model import (Compiled, Condition, Expr, Model, abs_, clamp, compile, cos, equal, exp, heaviside, log, maximum, minimum, not_equal,
                    select, sigmoid, sin, sqrt, stop_gradient, tanh)
from .network import Network, Simulation, Trainer
from .runs import Checkpoint, bin_events, evaluate, export_nir, from_nir, train
from .safetensors import read_safetensors

__version__ = "0.1.0"
__all__ = ["ABI_VERSION", "BadInput", "Checkpoint", "Compiled", "Condition", "Expr", "InvalidArgument", "Model", "Network", "NonFinite",
           "PlasticityError", "Simulation", "Trainer", "abs_", "bin_events", "clamp", "compile", "cos", "equal", "evaluate", "exp",
           "export_nir", "from_nir", "heaviside", "library_path", "log", "maximum", "minimum", "not_equal", "read_safetensors", "select",
           "sigmoid", "sin", "sqrt", "stop_gradient", "tanh", "train"]
