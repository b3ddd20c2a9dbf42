"""A run's random streams inside compiled code: numpy Generators seen from numba by address.

The compiled run loop (``kernels.compiled_run_loop``) draws each step's record from the run's own
two ``numpy.random.Generator`` objects.  numba accepts a Generator as an argument, and its methods
(``standard_normal``, ``standard_gamma``, ...) are numba's ports of numpy's algorithms drawing from
the Generator's own state, but typing and unboxing a Generator costs about 10 microseconds a call:
for a run of a few thousand steps, as much as the steps themselves.  So the loop is given instead
the address of each generator's ``bitgen_t``, the structure of numpy's public C interface for
extending ``numpy.random`` (``numpy/random/bitgen.h``: the state pointer and the functions
``next_uint64``, ``next_uint32``, ``next_double``), from the bit generator's ``capsule``, and
:func:`generator_at` builds from it, in compiled code, the value numba's own unboxing builds.

That value follows numba's data model of a Generator (``numba.np.random.generator_core``), which
is not public; so the streams are checked: :func:`draws_agree` compares the compiled draws with
numpy's for each gamma shape before a simulation uses them, and a difference (or a numba that
cannot compile this) sends the engine to the loop that steps through records numpy drew.

Examples
--------
>>> import numpy as np
>>> g = np.random.default_rng(3)
>>> address(g) == address(g) != address(np.random.default_rng(3))
True
>>> draws_agree(24.0)
True
"""
from __future__ import annotations

import ctypes
import warnings

import numpy as np

__all__ = ["address", "generator_at", "draws_agree"]

_CAPSULE_POINTER = ctypes.pythonapi.PyCapsule_GetPointer
_CAPSULE_POINTER.restype = ctypes.c_void_p
_CAPSULE_POINTER.argtypes = [ctypes.py_object, ctypes.c_char_p]

_BUILT: dict = {}   # "generator_at" -> the intrinsic, "draw" -> the checking function
_AGREE: dict = {}   # gamma shape -> whether compiled draws are numpy's


def address(gen: np.random.Generator) -> int:
    """The address of ``gen``'s ``bitgen_t`` (valid while ``gen`` is alive)."""
    return _CAPSULE_POINTER(gen.bit_generator.capsule, b"BitGenerator")


def _build_generator_at():
    from numba.core import cgutils, types
    from numba.extending import intrinsic

    bitgen_type = types.NumPyRandomBitGeneratorType("bit_generator")

    @intrinsic
    def generator_at(typingctx, addr):
        if not isinstance(addr, types.Integer):
            return None
        sig = types.NumPyRandomGeneratorType("generator")(addr)

        def codegen(context, builder, sig, args):
            where = builder.sext(args[0], cgutils.intp_t) if args[0].type.width < 64 else args[0]
            fields = builder.inttoptr(where, cgutils.intp_t.as_pointer())  # bitgen_t: five pointers
            state, next64, next32, nextd = (builder.load(builder.gep(fields, [cgutils.intp_t(k)])) for k in range(4))
            bitgen = cgutils.create_struct_proxy(bitgen_type)(context, builder)
            bitgen.parent = cgutils.get_null_value(bitgen.parent.type)
            bitgen.state_address = state
            bitgen.state = state
            bitgen.fnptr_next_uint64 = next64
            bitgen.fnptr_next_uint32 = next32
            bitgen.fnptr_next_double = nextd
            bitgen.bit_generator = where
            gen = cgutils.create_struct_proxy(sig.return_type)(context, builder)
            gen.bit_generator = bitgen._getvalue()
            gen.meminfo = cgutils.get_null_value(gen.meminfo.type)  # no reference held: the caller keeps gen alive
            gen.parent = cgutils.get_null_value(gen.parent.type)
            return gen._getvalue()

        return sig, codegen

    return generator_at


def generator_at():
    """The numba intrinsic ``generator_at(address)`` -> a Generator value drawing from that ``bitgen_t``.

    Built once (numba must be importable); usable only inside compiled code.
    """
    if "generator_at" not in _BUILT:
        _BUILT["generator_at"] = _build_generator_at()
    return _BUILT["generator_at"]


def draws_agree(shape: float) -> bool:
    """Whether compiled draws through :func:`generator_at` give numpy's numbers, for gamma ``shape``.

    2000 ``standard_normal`` and 2000 ``standard_gamma(shape)`` draws (none when ``shape = 0``)
    from fixed seeds, compared bit for bit with numpy's, once per process and shape.  ``False``
    (with a warning) when they differ or cannot be compiled; ``False`` without numba.
    """
    key = float(shape)
    if key not in _AGREE:
        try:
            import numba
            from numba.core.errors import NumbaError
        except ImportError:
            return False

        try:
            if "draw" not in _BUILT:
                opened = generator_at()

                def draw(a_normal, a_gamma, shape, out):
                    gn, gg = opened(a_normal), opened(a_gamma)
                    for t in range(out.shape[0]):
                        out[t, 0] = gn.standard_normal()
                        out[t, 1] = gg.standard_gamma(shape) if shape > 0 else 0.0

                _BUILT["draw"] = numba.njit(draw)
            g_normal, g_gamma = np.random.default_rng(11), np.random.default_rng(12)
            mine = np.empty((2000, 2))
            _BUILT["draw"](address(g_normal), address(g_gamma), key, mine)
            ref = np.stack([np.random.default_rng(11).standard_normal(2000),
                            np.random.default_rng(12).standard_gamma(key, 2000) if key > 0 else np.zeros(2000)], axis=1)
            _AGREE[key] = bool(np.array_equal(mine, ref))
            reason = "differ from numpy's"
        except NumbaError as exc:
            _AGREE[key] = False
            reason = f"cannot be compiled ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
        if not _AGREE[key]:
            warnings.warn(f"numba {numba.__version__}'s draws from numpy {np.__version__}'s generators {reason} "
                          f"(gamma shape {key}); the reduced engine steps through records drawn by numpy instead "
                          "(same hitting times, about twice as slow)", RuntimeWarning, stacklevel=2)
    return _AGREE[key]
