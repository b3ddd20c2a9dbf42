"""Tests of the simulators' kernel layer (``theory.simulate.kernels`` and ``theory.simulate.step``).

* the generated numpy kernel and link agree with SymPy's own evaluation of the rule's expressions;
* the compiled scalar kernel agrees with the numpy kernel;
* the reduced engine's compiled path and its vectorised path give identical hitting times, statuses
  and step counts, for several rules, seeds and a diverging case, and overlaps equal to a stated
  tolerance (bitwise where no ``eta`` constant is folded);
* the step loop is one piece of code: run in Python and compiled by numba it gives the same bits;
* the run loop (which draws each step's record itself) is one piece of code too, and the reduced
  engine's two compiled paths -- records drawn in the loop, records drawn by numpy in blocks -- give
  the same bits for every output, in every branch of the draws (noise, null, gamma shapes below,
  at and above 1, ``d = 2``), at every call length; the streams are numpy's, draw for draw;
* only targets whose float64 operations are correctly rounded are compiled for the labels;
* a compilation failure warns once, naming the kernel, and falls back; other errors propagate.
"""
from __future__ import annotations

import dataclasses
import math
import warnings

import numpy as np
import pytest
import sympy as sp

from theory.errors import RuleError
from theory.links import parse_link
from theory.rules import make_rule
from theory.simulate import simulate
from theory.simulate import draws, kernels, reduced
from theory.simulate.cases import model_for
from theory.simulate.common import REFERENCE_KAPPA, step_budget
from theory.simulate.draws import address, draws_agree, generator_at
from theory.simulate.kernels import (CompiledKernel, LinkFunction, StepKernel, compiled_run_loop, compiled_step_loop,
                                     compiled_target, link_function, rule_kernels)
from theory.simulate.step import LOOP_DIVERGED, LOOP_HIT, LOOP_RUNNING, make_run_loop, make_step_loop
from theory.symbols import A, D, ETA, Q, Y, Z


def case(rule, student="h3", **kw):
    out = {"rule": rule, "loss": "correlation", "target": "h3", "student": student, "a": 1.0, "order": None,
           "keep_a": False, "psi": None, "noise": 0.0}
    out.update(kw)
    return out


# ------------------------------------------------------------------------------ generated functions
@pytest.mark.parametrize("student", ["tanh", "sigmoid", "erf"])
@pytest.mark.parametrize("rule, kw", [("online", {}), ("alternating", {"keep_a": True}),
                                      ("alternating", {"loss": "squared"}), ("batch-reuse", {})])
def test_numeric_kernel_matches_sympy(student, rule, kw):
    r = make_rule(rule, "He3", student, **kw)
    k, compiled = rule_kernels(r, 0.01, 50)
    rng = np.random.default_rng(7)
    y, z, q, a = rng.standard_normal(5), rng.standard_normal(5), 48 + rng.standard_normal(5), np.ones(5)
    psi, a_next = k(y, z, q, a)
    fn = compiled.function()
    assert fn is not None  # every smooth student compiles (erf's batch reuse did not before issue 10)
    for n in range(5):
        subs = {Y: float(y[n]), Z: float(z[n]), Q: float(q[n]), A: 1.0, ETA: 0.01, D: 50}
        ref_psi, ref_a = float(r.step.subs(subs)), float(r.a_next.subs(subs))
        # the expressions are evaluated in float64 from 17-digit constants: a few ulps of the terms
        assert psi[n] == pytest.approx(ref_psi, rel=1e-12, abs=1e-14)
        assert a_next[n] == pytest.approx(ref_a, rel=1e-12, abs=1e-14)
        c_psi, c_a = fn(float(y[n]), float(z[n]), float(q[n]), 1.0, compiled.eta, compiled.d)
        assert c_psi == pytest.approx(ref_psi, rel=1e-12, abs=1e-14)
        assert c_a == pytest.approx(ref_a, rel=1e-12, abs=1e-14)


def test_link_function_matches_the_link():
    for name in ("He3", "h3", "relu", "tanh", "erf"):
        link = parse_link(name)
        u = np.linspace(-3, 3, 13)
        ref = np.array([float(link.expr.subs(Z, float(t))) for t in u])
        assert np.allclose(link_function(link)(u), ref, rtol=1e-14, atol=1e-14), name


def test_distributional_rule_has_no_kernel():
    for rule in ("online", "alternating"):
        with pytest.raises(RuleError, match="Dirac delta"):
            rule_kernels(make_rule(rule, "He3", "sign"), 0.01, 50)


def test_step_kernel_needs_d_when_psi_uses_it():
    k = StepKernel(Y * D, A, 0.01, None)
    with pytest.raises(RuleError, match="give d"):
        k(np.ones(1), np.ones(1), np.ones(1), np.ones(1))


def test_step_kernel_pickles():
    import pickle

    k = rule_kernels(make_rule("batch-reuse", "h3", "h3"), 0.01, 40)[0]
    args = (np.array([0.7]), np.array([-0.3]), np.array([39.0]), np.array([1.0]))
    k2 = pickle.loads(pickle.dumps(k))
    assert np.array_equal(k(*args)[0], k2(*args)[0])


# -------------------------------------------------------------------- compiled vs vectorised paths
# The vectorised kernel has eta and d folded into its constants (sp.N(step.subs(eta=...), 17)); the
# compiled one multiplies by them at run time, so psi differs by a few ulps per step, and m by the sum
# of those over the run: at most 2e-13 observed over 20000 steps. ATOL_M leaves a margin of 500; a
# hitting time could differ only if m landed within it of m_thr, which these seeds do not.
ATOL_M = 1e-10

PATH_CASES = [
    (case("online"), 100, 0.0, 1e-3),
    (case("batch-reuse"), 100, 0.005, 1e-3),
    (case("alternating"), 100, 0.01, 1e-3),
    (case("alternating", keep_a=True), 100, 0.05, 2e-3),
    (case("alternating", keep_a=True, loss="squared", student="tanh"), 60, 0.05, 1e-2),
    (case("custom", psi="y*exp(100*z**2)"), 50, 0.01, 1e-3),  # every run diverges (psi overflows)
]


@pytest.mark.parametrize("spec", PATH_CASES, ids=lambda s: f"{s[0]['rule']}-{s[0]['keep_a']}-{s[0]['psi']}")
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_compiled_and_vectorised_paths_give_identical_hitting_times(spec, seed):
    c, d, eta, gamma = spec
    model = model_for(c, eta, d)
    assert model.compiled is not None and model.compiled.function() is not None
    vectorised = dataclasses.replace(model, compiled=None)
    kw = dict(runs=24, seed=seed, max_steps=8000, start="uniform")
    a, b = simulate(model, d, gamma, **kw), simulate(vectorised, d, gamma, **kw)
    assert np.array_equal(a.hitting_times, b.hitting_times)
    assert np.array_equal(a.status, b.status) and np.array_equal(a.steps, b.steps)
    finite = np.isfinite(a.final_m)
    assert np.array_equal(finite, np.isfinite(b.final_m))
    if c["rule"] == "online":  # no eta constant to fold: the two kernels are the same code, same bits
        assert np.array_equal(a.final_m, b.final_m)
    assert np.allclose(a.final_m[finite], b.final_m[finite], rtol=0, atol=ATOL_M)
    if c["psi"] is not None:
        assert a.diverged == a.runs
    else:
        assert a.hits > 0


def test_step_loop_is_the_same_code_in_python_and_compiled():
    """The loop of step.make_step_loop, run in Python on numpy scalars and compiled by numba, on the
    same compiled kernel: same code, same IEEE operations, same bits."""
    rng = np.random.default_rng(4)
    n = 3000
    U, G = rng.standard_normal(n), rng.standard_normal(n)
    R = 2.0 * rng.standard_gamma(49.0, n)
    Y = U * (U * U - 3.0) / math.sqrt(6.0)
    python_loop, numba_loop = make_step_loop(), compiled_step_loop()
    codes = set()
    for c, thr, gamma in [(case("alternating", keep_a=True), 0.15, 2e-2), (case("alternating", keep_a=True), 0.999, 2e-3),
                          (case("custom", psi="y*exp(100*z**2)"), 0.5, 1e-3)]:
        model = model_for(c, 0.05, 100)
        args = (model.compiled.function(), model.compiled.eta, model.compiled.d, 0.1, 1.0, U, G, R, Y, gamma, thr,
                False)
        py, nb = python_loop(*args), numba_loop(*args)
        assert py[:2] == nb[:2]
        assert np.array_equal(np.array(py[2:]), np.array(nb[2:]), equal_nan=True)
        codes.add(nb[0])
    assert codes == {LOOP_RUNNING, LOOP_HIT, LOOP_DIVERGED}


# ------------------------------------------------------- the run loop: records drawn inside the loop
def block_path(model):
    """The same model with its target hidden behind a plain function: the engine then steps through
    records numpy drew in blocks (kernels.compiled_step_loop), the path the run loop replaces."""
    target = model.target
    return dataclasses.replace(model, target=lambda u: target(u))


DRAW_CASES = [  # (case, d, eta, gamma, simulate options): each exercises one branch of the record
    (case("online"), 100, 0.0, 1e-3, {}),
    (case("alternating", keep_a=True), 100, 0.05, 2e-3, {}),
    (case("alternating", keep_a=True, loss="squared", student="tanh"), 60, 0.05, 1e-2, {}),
    (case("online", noise=0.5), 40, 0.0, 3e-3, {}),                    # label noise: a third normal
    (case("online"), 40, 0.0, 3e-3, {"null": True}),                   # null input: another normal
    (case("online", noise=0.5), 40, 0.0, 3e-3, {"null": True}),        # both
    (case("online"), 3, 0.0, 3e-2, {}),                                 # gamma shape 1/2 (< 1)
    (case("online"), 4, 0.0, 3e-2, {}),                                 # gamma shape 1 (exponential)
    (case("online"), 2, 0.0, 3e-2, {}),                                 # R = 0, no gamma draw
    (case("online", target="relu"), 40, 0.0, 3e-3, {}),
    (case("online"), 40, 0.0, 3e-3, {"start": "fixed", "signed": True, "max_steps": 2500}),
    (case("online"), 40, 0.0, 3e-3, {"max_steps": 1}),
    (case("custom", psi="y*exp(100*z**2)"), 50, 0.01, 1e-3, {}),       # every run diverges
]


def _same_runs(a, b):
    for key in ("hitting_times", "status", "steps"):
        assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert np.array_equal(a.final_m.view(np.uint64), b.final_m.view(np.uint64))  # bit for bit, NaNs too


@pytest.mark.parametrize("spec", DRAW_CASES, ids=lambda s: f"{s[0]['rule']}-{s[0]['target']}-d{s[1]}-{s[4]}")
def test_run_loop_and_block_path_give_the_same_bits(spec):
    c, d, eta, gamma, options = spec
    model = model_for(c, eta, d)
    assert compiled_target(model.target) is not None  # this model runs the run loop ...
    assert compiled_target(block_path(model).target) is None  # ... and this one the block path
    kw = {**dict(runs=24, seed=3, max_steps=8000, start="uniform"), **options}
    a, b = simulate(model, d, gamma, **kw), simulate(block_path(model), d, gamma, **kw)
    _same_runs(a, b)
    if c["psi"] is not None:
        assert a.diverged == a.runs
    elif kw["max_steps"] > 1 and not options.get("null"):
        assert a.hits > 0


def test_run_loop_call_length_does_not_change_any_run(monkeypatch):
    model = model_for(case("alternating", keep_a=True), 0.05, 100)
    kw = dict(runs=16, seed=5, max_steps=9000, start="uniform")
    base = simulate(model, 100, 2e-3, **kw)
    monkeypatch.setattr(reduced, "RUN_CALL", 7)  # thousands of calls per run, one ending at max_steps
    _same_runs(base, simulate(model, 100, 2e-3, **kw))
    assert 0 < base.hits < base.runs  # hits and censored runs both crossed call boundaries


def test_run_loop_is_the_same_code_in_python_and_compiled():
    """make_run_loop in Python on numpy Generators, and compiled on their addresses: same bits, and
    the generators are left in the same state (each step drew the same record)."""
    codes = set()
    for c, thr, gamma, noisy in [(case("alternating", keep_a=True), 0.15, 2e-2, True),
                                 (case("alternating", keep_a=True), 0.999, 2e-3, False),
                                 (case("custom", psi="y*exp(100*z**2)"), 0.5, 1e-3, True)]:
        model = model_for(c, 0.05, 100)
        fn, label = model.compiled.function(), compiled_target(model.target)
        python_loop, numba_loop = make_run_loop(fn, label), compiled_run_loop(fn, label)
        py_gens = np.random.default_rng(5), np.random.default_rng(6)
        nb_gens = np.random.default_rng(5), np.random.default_rng(6)
        args = (model.compiled.eta, model.compiled.d, 0.1, 1.0, 3000, gamma, thr, False)
        tail = (49.0, noisy, noisy, 0.3)
        py = python_loop(*args, *py_gens, *tail)
        nb = numba_loop(*args, address(nb_gens[0]), address(nb_gens[1]), *tail)
        assert py[:2] == nb[:2]
        assert np.array_equal(np.array(py[2:]), np.array(nb[2:]), equal_nan=True)
        for g_py, g_nb in zip(py_gens, nb_gens):
            assert g_py.standard_normal() == g_nb.standard_normal()
        codes.add(nb[0])
    assert codes == {LOOP_RUNNING, LOOP_HIT, LOOP_DIVERGED}


@pytest.mark.parametrize("shape", [0.0, 0.5, 1.0, 1.5, 24.0, 2499.0])
def test_compiled_draws_are_numpys(shape):
    """numba's Generator methods, on generators opened by address, give numpy's numbers bit for bit
    (10^5 of each kind, covering the ziggurat's rare tail branch about 10^5 * 2.5e-3 times)."""
    import numba

    opened = generator_at()

    @numba.njit
    def draw(a_normal, a_gamma, shape, out):
        gn, gg = opened(a_normal), opened(a_gamma)
        for t in range(out.shape[0]):
            out[t, 0] = gn.standard_normal()
            out[t, 1] = gg.standard_gamma(shape) if shape > 0 else 0.0

    n = 100_000
    mine = np.empty((n, 2))
    gens = np.random.default_rng(21), np.random.default_rng(22)
    draw(address(gens[0]), address(gens[1]), shape, mine)
    assert np.array_equal(mine[:, 0], np.random.default_rng(21).standard_normal(n))
    assert np.array_equal(mine[:, 1], np.random.default_rng(22).standard_gamma(shape, n) if shape else np.zeros(n))
    assert draws_agree(shape)


def test_disagreeing_draws_warn_and_fall_back(monkeypatch):
    model = model_for(case("online"), 0.0, 30)
    kw = dict(runs=8, seed=0, max_steps=3000)
    reference = simulate(block_path(model), 30, 5e-3, **kw)
    monkeypatch.setattr(draws, "_AGREE", {})
    monkeypatch.setitem(draws._BUILT, "draw", lambda a, b, shape, out: out.fill(0.0))  # a broken port
    with pytest.warns(RuntimeWarning, match=r"draws from numpy .* differ from numpy's \(gamma shape 14.0\)"):
        res = simulate(model, 30, 5e-3, **kw)
    _same_runs(res, reference)


@pytest.mark.parametrize("name", ["He3", "h3", "h4", "He2+He3", "relu", "abs"])
def test_correctly_rounded_targets_compile_to_the_same_bits(name):
    target = link_function(parse_link(name))
    fn = compiled_target(target)
    assert fn is not None
    u = np.random.default_rng(8).standard_normal(2000) * 3
    mine = np.array([fn(float(t)) for t in u])
    assert np.array_equal(mine.view(np.uint64), np.asarray(target(u), dtype=float).view(np.uint64))


@pytest.mark.parametrize("name", ["tanh", "erf", "sigmoid"])
def test_other_targets_are_not_compiled(name):
    assert compiled_target(link_function(parse_link(name))) is None  # numpy may round differently


def test_only_link_functions_are_compiled():
    assert compiled_target(lambda u: u**3 - 3 * u) is None  # no expression to compile
    assert isinstance(model_for(case("online"), 0.0, 10).target, LinkFunction)


def test_link_function_pickles():
    import pickle

    f = link_function(parse_link("h3"))
    u = np.linspace(-2, 2, 5)
    assert np.array_equal(pickle.loads(pickle.dumps(f))(u), f(u))


# ----------------------------------------------------------------------------- warned fallback
class _FakeNumba:
    def __init__(self, exc):
        self.exc = exc

    def njit(self, fn):
        raise self.exc


def test_compile_failure_warns_once_and_falls_back(monkeypatch):
    from numba.core.errors import TypingError

    model = model_for(case("alternating"), 0.01, 60)
    reference = simulate(dataclasses.replace(model, compiled=None), 60, 2e-3, runs=8, seed=0, max_steps=3000)
    monkeypatch.setattr(kernels, "_COMPILED", {})
    monkeypatch.setattr(kernels, "_numba", lambda: _FakeNumba(TypingError("forced: unsupported")))
    with pytest.warns(RuntimeWarning, match=r"cannot compile the kernel of 'alternating SGD.*forced: unsupported"):
        res = simulate(model, 60, 2e-3, runs=8, seed=0, max_steps=3000)
    assert np.array_equal(res.hitting_times, reference.hitting_times)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the failure is remembered: no second warning
        again = simulate(model, 60, 2e-3, runs=8, seed=0, max_steps=3000)
    assert np.array_equal(again.hitting_times, reference.hitting_times)


def test_other_errors_are_not_hidden(monkeypatch):
    monkeypatch.setattr(kernels, "_COMPILED", {})
    monkeypatch.setattr(kernels, "_numba", lambda: _FakeNumba(ValueError("a bug")))
    k = CompiledKernel(A * Y * (3 * Z**2 - 3), A, 0.0, 0.0, "online")
    with pytest.raises(ValueError, match="a bug"):
        k.function()


def test_hand_written_models_are_not_compiled():
    from theory.simulate import StepModel

    model = StepModel(target=lambda u: u**3 - 3 * u, kernel=lambda y, z, q, a: (a * y * (3 * z**2 - 3), a))
    assert model.compiled is None


# ------------------------------------------------------------------------------------ step budget
def test_step_budget_is_the_verifiers_formula():
    """Same value, bit for bit, as the formula verify wrote twice (division by 8 kappa)."""
    rng = np.random.default_rng(0)
    for _ in range(200):
        t, psi2, lf = rng.uniform(1, 1e6), rng.uniform(0.1, 100), rng.uniform(1, 10)
        kappa, factor = rng.choice([1 / 64, 1 / 8, 0.3, 1.0]), rng.uniform(1, 50)
        assert step_budget(t, psi2, kappa, factor=factor, log_factor=lf) == factor * psi2 * t * lf / (8 * kappa) + 1000
    assert 1 / REFERENCE_KAPPA == 8


def test_fast_lambdify_refuses_text():
    with pytest.raises(TypeError, match="SymPy expression"):
        kernels.fast_lambdify([Z], "z**2")
    f = kernels.fast_lambdify([Z], sp.exp(-Z**2) ** sp.Rational(3, 2), "math")  # a non-integer power, math code
    assert f(0.5) == pytest.approx(math.exp(-0.375), rel=1e-15)
