"""The C ABI (include/plasticity.h) through ctypes: loading the library, the signatures, and
statuses turned into exceptions. ctypes releases the GIL during every call, so compiled work in
two threads runs in parallel."""
import ctypes
import os
from ctypes import POINTER, c_char, c_char_p, c_double, c_float, c_int32, c_int64, c_uint64

ABI_VERSION = 1


class PlasticityError(Exception):
    """A call into the library failed; the message is the text the CLI prints for the same error."""


class InvalidArgument(PlasticityError, ValueError):
    """A null, a size that does not match, an unknown name or a freed object."""


class BadInput(PlasticityError, ValueError):
    """A model, network, config, file or tensor value the library refuses; the message names it."""


class NonFinite(PlasticityError, ArithmeticError):
    """A run met a non-finite value (the step and tensor are named)."""


_ERRORS = {1: InvalidArgument, 2: BadInput, 3: NonFinite, 4: PlasticityError}


def _candidates():
    here = os.path.dirname(os.path.abspath(__file__))
    if os.environ.get("PLASTICITY_LIBRARY"):
        yield os.environ["PLASTICITY_LIBRARY"]
    yield os.path.join(here, "libPlasticityC.so")
    root = os.path.dirname(os.path.dirname(here))   # a source checkout: python/plasticity -> the repository
    for build in ("python/release", "release", "debug"):
        yield os.path.join(root, ".build", build, "libPlasticityC.so")


def _load():
    tried = []
    for path in _candidates():
        if os.path.exists(path):
            lib = ctypes.CDLL(path)
            if lib.plasticity_abi_version() != ABI_VERSION:
                raise ImportError(f"{path} speaks ABI {lib.plasticity_abi_version()}, this package {ABI_VERSION}: reinstall plasticity")
            return lib, path
        tried.append(path)
    raise ImportError("libPlasticityC.so not found (tried " + ", ".join(tried) + "); pip install ./python builds it, "
                      "or set PLASTICITY_LIBRARY")


lib, library_path = _load()
_text = POINTER(c_char)
_floats = POINTER(c_float)
_signatures = {
    "plasticity_abi_version": ([], c_int32),
    "plasticity_last_error": ([], c_char_p),
    "plasticity_string_free": ([_text], None),
    "plasticity_model_builtin": ([c_char_p, POINTER(_text)], c_int32),
    "plasticity_model_text": ([c_char_p, c_char_p, POINTER(_text)], c_int32),
    "plasticity_compile_stage": ([c_char_p, c_int32, c_char_p, c_char_p, POINTER(_text)], c_int32),
    "plasticity_simulation_create": ([c_char_p, c_char_p, c_int64, c_int64, c_uint64, POINTER(c_uint64)], c_int32),
    "plasticity_simulation_load": ([c_char_p, c_int64, POINTER(c_uint64)], c_int32),
    "plasticity_simulation_free": ([c_uint64], c_int32),
    "plasticity_simulation_describe": ([c_uint64, POINTER(_text)], c_int32),
    "plasticity_tensor_get": ([c_uint64, c_char_p, _floats, c_int64], c_int32),
    "plasticity_tensor_set": ([c_uint64, c_char_p, _floats, c_int64], c_int32),
    "plasticity_simulation_run": ([c_uint64, _floats, c_int64, c_int64, c_int64, _floats, c_int64, _floats, c_int64, _floats, c_int64,
                                   _floats, c_int64, POINTER(c_double)], c_int32),
    "plasticity_simulation_gradients": ([c_uint64, c_char_p, _floats, c_int64, c_int64, c_int64, _floats, c_int64, POINTER(c_double)],
                                        c_int32),
    "plasticity_gradient_get": ([c_uint64, c_char_p, _floats, c_int64], c_int32),
    "plasticity_trainer_create": ([c_uint64, c_char_p, c_int64, c_char_p, POINTER(c_uint64)], c_int32),
    "plasticity_trainer_free": ([c_uint64], c_int32),
    "plasticity_trainer_save": ([c_uint64, c_char_p, c_int64, c_int32], c_int32),
    "plasticity_trainer_load": ([c_uint64, c_char_p, POINTER(c_int64)], c_int32),
    "plasticity_trainer_step": ([c_uint64, _floats, c_int64, c_int64, c_int64, _floats, c_int64, POINTER(c_double), POINTER(c_double)],
                                c_int32),
    "plasticity_train": ([c_char_p, c_char_p, c_int32, POINTER(_text)], c_int32),
    "plasticity_evaluate": ([c_char_p, c_char_p, POINTER(_text)], c_int32),
    "plasticity_nir_export": ([c_char_p, c_char_p, c_char_p, c_int32, POINTER(_text)], c_int32),
    "plasticity_nir_import": ([c_char_p, c_char_p, c_char_p, c_double, c_char_p, POINTER(_text)], c_int32),
}
for _name, (_arguments, _result) in _signatures.items():
    _function = getattr(lib, _name)
    _function.argtypes = _arguments
    _function.restype = _result


def call(name, *arguments):
    """Calls `name`; a status other than 0 raises its exception with the library's message."""
    status = getattr(lib, name)(*arguments)
    if status != 0:
        message = lib.plasticity_last_error().decode("utf-8", "replace")
        raise _ERRORS.get(status, PlasticityError)(message)


def call_text(name, *arguments):
    """Calls `name`, whose last argument receives a string the library allocated: returned as str."""
    out = _text()
    call(name, *arguments, ctypes.byref(out))
    try:
        return ctypes.string_at(out).decode("utf-8")
    finally:
        lib.plasticity_string_free(out)


def encode(text):
    return None if text is None else str(text).encode("utf-8")


def floats(array):
    """A float32 C-contiguous numpy array's data as a ctypes pointer."""
    return array.ctypes.data_as(_floats)
