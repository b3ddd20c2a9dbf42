"""Property: any expression string from the grammar either parses into an admissible link or is
refused with a TheoryInputError -- never another exception, never a hang (issue 9, items 6, 7).

The strings are built by hypothesis from the grammar users type: numbers (including huge, tiny,
hexadecimal and malformed literals), ``z``, the constants, ``+ - * / ** ^``, every allowed
function, the registered link names used as values and as functions, ``Max``/``Min`` of several
arguments, long flat chains, deep nesting and a few tokens that are not allowed.  Each example
runs under a SIGALRM guard of 30 s (a guard against hangs, generous on a loaded machine, not a
timing assertion); the run is derandomised, so it is the same on every machine.
"""
import signal
from contextlib import contextmanager

import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from theory.errors import TheoryInputError
from theory.links import Link, Z, parse_expression, parse_link

NUMBERS = ["0", "1", "2", "0.5", "3.25", "7e-5", "1e-300", "1e300", "9e30", "2**64", "10**200", "0x1F",
           "1_000", "1.", ".5", "0.0", "0.1"]
BAD_NUMBERS = ["1e400", "1e-400", "1e99999999", "1e5000", "1j", "123456789012345678901234567890123456789012345",
               "1e", "0b102"]
NAMES = ["z", "pi", "E", "He3", "h2", "He40", "h1", "relu", "abs", "sign", "tanh", "sigmoid", "erf"]
FUNCTIONS = ["exp", "sin", "cos", "sinh", "cosh", "tanh", "erf", "sqrt", "Abs", "abs", "sign", "Heaviside",
             "relu", "sigmoid", "He3", "h2", "He1"]
EXPONENTS = ["2", "3", "-1", "-2", "0.5", "-0.5", "-0.4", "0.6", "1/3", "200", "201", "-0.49"]
JUNK = ["__import__('os')", "z.real", "lambda: z", "[z]", "z if z else 1", "y", "1 +", "z)", "open('f')",
        "f'{z}'", "z and z", "z < 1", "~z", "*z"]


def _binary(children):
    op = st.sampled_from(["+", "-", "*", "/", "**", "^"])
    return st.tuples(children, op, children).map(lambda t: f"({t[0]}){t[1]}({t[2]})")


def _power(children):
    return st.tuples(children, st.sampled_from(EXPONENTS)).map(lambda t: f"({t[0]})**({t[1]})")


def _call(children):
    return st.tuples(st.sampled_from(FUNCTIONS), children).map(lambda t: f"{t[0]}({t[1]})")


def _max_min(children):
    return st.tuples(st.sampled_from(["Max", "Min", "max", "min"]),
                     st.lists(children, min_size=2, max_size=3)).map(lambda t: f"{t[0]}({', '.join(t[1])})")


def _chain(leaf):
    return st.tuples(leaf, st.sampled_from(["+", "-", "*"]), st.integers(2, 400)).map(
        lambda t: t[1].join([t[0]] * t[2]))


def _nest(leaf):
    return st.tuples(st.sampled_from(FUNCTIONS + ["-"]), leaf, st.integers(1, 70)).map(
        lambda t: "".join([t[0] + "("] * t[2]) + t[1] + ")" * t[2])


# mostly valid leaves, so that the analysis behind the parser is exercised, not only the lexer
LEAVES = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(NAMES), st.sampled_from(NAMES), st.sampled_from(NAMES),
                   st.sampled_from(NUMBERS), st.sampled_from(NAMES), st.sampled_from(NAMES), st.sampled_from(NAMES),
                   st.sampled_from(BAD_NUMBERS))
SMALL = st.one_of(LEAVES, _call(LEAVES), _power(LEAVES))
_TREES = st.recursive(
    st.one_of(LEAVES, _chain(SMALL), _nest(SMALL)),
    lambda children: st.one_of(_binary(children), _power(children), _call(children), _max_min(children),
                               children.map(lambda c: f"-({c})")),
    max_leaves=12,
)
EXPRESSIONS = st.integers(0, 7).flatmap(lambda i: st.sampled_from(JUNK) if i == 0 else _TREES)  # junk 1 in 8


class _Hang(Exception):
    pass


@contextmanager
def _guard(seconds: int):
    def alarm(signum, frame):
        raise _Hang(f"no answer within {seconds} s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


FUZZ = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FUZZ
@given(EXPRESSIONS)
def test_any_link_parses_or_is_refused_cleanly(text):
    text = text[:2000]
    with _guard(30):
        try:
            link = parse_link(text)
        except TheoryInputError as exc:
            message = str(exc)
            assert message and "\n" not in message
            return
    assert isinstance(link, Link)
    assert link.expr.free_symbols <= {Z}


PSI = {name: sp.Symbol(name, real=True) for name in ("y", "eta", "d", "a")} | {"z": Z}
PSI_LEAVES = st.one_of(st.sampled_from(NUMBERS), st.sampled_from(["y", "z", "eta", "d", "a", "He3", "relu"]))
PSI_EXPRESSIONS = st.recursive(
    st.one_of(PSI_LEAVES, _chain(PSI_LEAVES), _nest(PSI_LEAVES)),
    lambda children: st.one_of(_binary(children), _power(children), _call(children)),
    max_leaves=10,
)


@FUZZ
@given(PSI_EXPRESSIONS)
def test_any_psi_parses_or_is_refused_cleanly(text):
    text = text[:2000]
    with _guard(30):
        try:
            expr = parse_expression(text, PSI, what="psi")
        except TheoryInputError as exc:
            assert "\n" not in str(exc)
            return
    assert isinstance(expr, sp.Expr)


@pytest.mark.parametrize("text", JUNK)
def test_disallowed_tokens_are_input_errors(text):
    with pytest.raises(TheoryInputError):
        parse_link(text)
