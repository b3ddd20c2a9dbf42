import math

import numpy as np
import pytest

from theory.simulate.kernels import link_function
import sympy as sp
from hypothesis import given, settings, strategies as st

from theory.hepoly import he_coefficients
from theory.hermite import exact_coefficients, hermite_expansion
from theory.links import Z, hermite_polynomial, parse_link

# Deterministic reference: Gauss-Hermite (probabilists') quadrature.  hermegauss weights
# sum to sqrt(2*pi); divide to get expectations.  With 150 nodes it is exact for
# polynomials of degree < 300.
NODES, WEIGHTS = np.polynomial.hermite_e.hermegauss(150)
WEIGHTS = WEIGHTS / math.sqrt(2 * math.pi)


def quad_u(f, k):
    he = np.polynomial.hermite_e.hermeval(NODES, [0] * k + [1])
    return float(np.sum(WEIGHTS * f(NODES) * he)) / math.factorial(k)


def test_relu_coefficients_exact():
    u = exact_coefficients(parse_link("relu"), 2)
    assert sp.simplify(u[0] - 1 / sp.sqrt(2 * sp.pi)) == 0
    assert u[1] == sp.Rational(1, 2)
    assert sp.simplify(u[2] - 1 / (2 * sp.sqrt(2 * sp.pi))) == 0


@pytest.mark.parametrize("k", range(1, 12))
def test_he_k_is_a_basis_vector(k):
    u = exact_coefficients(hermite_polynomial(k), k + 2)
    assert u == [0] * k + [1, 0, 0]


def test_normalised_basis():
    e = hermite_expansion(parse_link("h5"), 5)
    assert e.normalised()[5][1] == 1
    assert e[5].exact == 1 / sp.sqrt(120)


@pytest.mark.parametrize("name, kmax", [
    ("abs", 8), ("sign", 8), ("sign(z)*z**2", 8), ("exp(-z**2)", 8), ("z*exp(-z**2/2)", 8),
    ("cos(z)", 8), ("exp(z)", 8), ("erf", 8), ("Max(z - 1, 0)", 6), ("Heaviside(z)", 6), ("relu", 8),
])
def test_closed_forms_against_quadrature(name, kmax):
    """Closed forms (exact) vs adaptive mpmath-free quadrature on a fine grid split at the kinks."""
    from scipy.integrate import quad

    link = parse_link(name)
    e = hermite_expansion(link, kmax)
    assert e.is_exact, f"{name} should have an exact closed form"
    f = link_function(link)
    for c in e.coefficients:
        he = np.polynomial.hermite_e.HermiteE([0] * c.k + [1])
        g = lambda t: float(f(t)) * he(t) * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        ref = sum(quad(g, a, b, epsabs=1e-13, limit=200)[0] for a, b in [(-40, 0), (0, 1), (1, 40)])
        ref /= math.factorial(c.k)
        # quad's absolute error is ~1e-13; the closed form is exact.
        assert abs(float(c.exact) - ref) < 1e-10, (name, c.k, c.exact, ref)


def _mp_u(f, k, points=(-30, 0, 30)):
    """``u_k`` by 30-digit tanh-sinh quadrature (mpmath): an independent reference."""
    import mpmath

    with mpmath.workdps(30):
        def g(t):
            a, b = mpmath.mpf(1), t
            for j in range(1, k):
                a, b = b, t * b - j * a
            return f(t) * (a if k == 0 else b) * mpmath.exp(-t * t / 2)
        pts = sorted(set(mpmath.mpf(p) for p in points))
        return mpmath.quad(g, pts) / mpmath.sqrt(2 * mpmath.pi) / mpmath.factorial(k)


def test_numeric_links_are_labelled_and_accurate():
    import mpmath

    e = hermite_expansion(parse_link("tanh"), 5)
    assert not e.is_exact
    # tanh is odd: the even coefficients are exact zeros by parity, the odd ones numeric
    assert [c.method for c in e.coefficients] == ["parity", "numeric"] * 3
    assert all(c.exact == 0 for c in e.coefficients[::2])
    for c in e.coefficients[1::2]:
        ref = _mp_u(mpmath.tanh, c.k)
        # a rigorous enclosure: the exact value is within the reported error (no extra slack)
        assert c.rigorous and abs(c.value - float(ref)) <= c.error
        assert c.error < 1e-10 and c.sign == (1 if ref > 0 else -1)


@pytest.mark.parametrize("text, breaks", [
    ("sign(sin(z))", [n * math.pi for n in range(-10, 11)]),
    ("Heaviside(sin(3*z))", [n * math.pi / 3 for n in range(-30, 31)]),
    ("Max(sin(z), 0)", [n * math.pi for n in range(-10, 11)]),
    ("Heaviside(z**3 - 2)", [2 ** (1 / 3)]),
    ("Abs(sin(z))*z", [n * math.pi for n in range(-10, 11)]),
])
def test_sympy_failures_fall_back_to_rigorous_numerics(text, breaks):
    """Switches that SymPy cannot solve exactly (periodic, cubic) are not a crash: the numeric
    method takes over, with a proven error bound."""
    import mpmath

    link = parse_link(text)
    e = hermite_expansion(link, 4)
    f = sp.lambdify(Z, link.expr, modules=["mpmath"])
    for c in e.coefficients:
        if c.exact is not None:
            assert c.method == "parity"
            continue
        ref = _mp_u(lambda t: mpmath.re(f(t)), c.k, [-30, *[b for b in breaks if abs(b) < 30], 30])
        assert c.method == "numeric" and c.rigorous
        assert abs(c.value - float(ref)) <= c.error < 1e-8


@pytest.mark.parametrize("text", [
    "Heaviside(z)+Heaviside(z-0.1)+Heaviside(z-0.2)",
    "+".join(f"Abs(z-{i / 10})" for i in range(16)),
    "+".join(f"relu(z-{i / 10})" for i in range(16)),
    "Abs(Abs(z)-1)", "Max(z, 0, z**2 - 2)", "sinh(relu(z-0.7)+Abs(z-0.3))",
])
def test_sums_of_piecewise_atoms_are_exact_and_fast(text):
    """Breakpoints are the exact roots of the switches, branches are read off directly (no
    piecewise_fold / as_set): 16 atoms in well under a second.  Values against scipy quad split
    at the breakpoints (quad's absolute error ~1e-13; tolerance 1e-9 relative to the scale)."""
    import time
    from scipy.integrate import quad

    link = parse_link(text)
    t0 = time.perf_counter()
    e = hermite_expansion(link, 6)
    elapsed = time.perf_counter() - t0
    assert e.is_exact
    assert elapsed < 20          # a hang guard only (measured: ~0.1 s for 16 atoms)
    f = link_function(link)
    cuts = sorted({-40.0, 40.0, -1.0, 0.0, 1.0, *[i / 10 for i in range(17)], 2.0, -math.sqrt(2), 1.0 + 0.7})
    for c in e.coefficients:
        he = np.polynomial.hermite_e.HermiteE([0] * c.k + [1])
        g = lambda t: float(f(t)) * he(t) * math.exp(-t * t / 2) / math.sqrt(2 * math.pi)  # noqa: E731
        ref = sum(quad(g, a, b, epsabs=1e-13, limit=200)[0] for a, b in zip(cuts, cuts[1:]))
        ref /= math.factorial(c.k)
        assert abs(float(c.exact) - ref) < 1e-9 * max(1.0, abs(ref))


def test_functions_of_r2_have_exact_zero_u2():
    """``E[f He_2] = E[f E[He_2 | r_2]] = 0`` when ``f`` is a function of ``r_2 = z phi(z)``: the
    numeric engine is not consulted for that coefficient."""
    e = hermite_expansion(parse_link("tanh(z**2*exp(-z**2))"), 4)
    assert e[2].exact == 0 and e[2].method == "identity"
    assert e[4].exact is None and e[4].proven_nonzero


def test_monte_carlo_agrees_with_exact_sign_squared_link():
    rng = np.random.default_rng(20261128)
    z = rng.standard_normal(400_000)
    f = np.sign(z) * z**2
    e = hermite_expansion(parse_link("sign(z)*z**2"), 3)
    for k in (1, 3):
        samples = f * np.polynomial.hermite_e.hermeval(z, [0] * k + [1]) / math.factorial(k)
        se = samples.std() / math.sqrt(z.size)
        assert abs(samples.mean() - float(e[k].exact)) < 4 * se  # 4 standard errors


EPS = np.finfo(float).eps


def _quadrature_u(coeffs, k):
    """``u_k`` of ``sum_n coeffs[n] z^n`` by the 150-node Gauss-Hermite rule (exact in exact
    arithmetic for degree < 300), ``p`` and ``He_k`` evaluated by Horner from their monomial
    coefficients, and the rule's rounding bound (see :func:`_quadrature_mismatches`)."""
    p = np.polynomial.Polynomial(coeffs)
    he_k = he_coefficients(k)
    value = float(np.sum(WEIGHTS * p(NODES) * np.polynomial.Polynomial(he_k)(NODES)))
    ax = np.abs(NODES)
    p_abs = np.polynomial.Polynomial(np.abs(coeffs))(ax)
    he_abs = np.polynomial.Polynomial(np.abs(he_k))(ax)
    n = (len(coeffs) - 1) + k + NODES.size + 4
    bound = 4 * n * EPS * float(np.sum(WEIGHTS * p_abs * he_abs))
    return value / math.factorial(k), bound / math.factorial(k)


def _quadrature_mismatches(coeffs, u):
    """Indices ``k`` where the exact ``u_k`` and the quadrature differ by more than its rounding.

    The rule is exact for this degree, so its only error is rounding.  Horner's rule evaluates a
    degree-``m`` polynomial with error at most ``gamma_2m sum_j |c_j| |x|^j`` (Higham, Accuracy and
    Stability of Numerical Algorithms, 5.1); the product and the sum of ``N`` terms add
    ``gamma_(N+2)`` of ``sum_i w_i |p|(|x_i|) |He_k|(|x_i|)``, where ``|q|`` has the absolute
    coefficients of ``q``; the nodes and weights of ``hermegauss`` are accurate to a few ulps and
    are covered by the factor 4.  So ``|quad - u_k| <= 4 (m + k + N + 4) eps S_k / k!``.  For the
    polynomials below (25 coefficients up to 50) it is at most about ``1e-12`` of ``max |u|``, and
    the observed error is below 1% of it.
    """
    bad = []
    for k, exact in enumerate(u):
        ref, bound = _quadrature_u(coeffs, k)
        if not abs(float(exact) - ref) <= bound:
            bad.append(k)
    return bad


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-50, 50), min_size=1, max_size=25))
def test_random_integer_polynomials_match_quadrature(coeffs):
    expr = sum(c * Z**n for n, c in enumerate(coeffs))
    u = exact_coefficients(sp.sympify(expr), len(coeffs) + 1)
    assert _quadrature_mismatches(coeffs, u) == []


def test_quadrature_check_detects_a_perturbed_coefficient():
    """The tolerance is tight: one coefficient changed by 1 is caught at 25 coefficients, and an
    exact ``u_k`` moved by 1e-9 of the largest ``|u|`` is caught too."""
    rng = np.random.default_rng(10)
    coeffs = [int(c) for c in rng.integers(-50, 51, size=25)]
    coeffs[-1] = 37
    expr = sum(c * Z**n for n, c in enumerate(coeffs))
    u = exact_coefficients(expr, 26)
    assert _quadrature_mismatches(coeffs, u) == []
    perturbed = exact_coefficients(expr + Z**24, 26)   # c_24 + 1: u_24 moves by 1
    assert 24 in _quadrature_mismatches(coeffs, perturbed)
    top = max(abs(float(v)) for v in u)
    for k in (0, 5, 12, 20, 24):
        moved = list(u)
        moved[k] = u[k] + sp.Float(1e-9 * top)
        assert _quadrature_mismatches(coeffs, moved) == [k]


def test_parametric_polynomial_coefficients():
    eta, d = sp.symbols("eta d", positive=True)
    u = exact_coefficients(eta * Z**3 + d * Z, 3)
    assert u == [0, 3 * eta + d, 0, eta]


def test_kmax_range():
    from theory.errors import ExpansionError

    with pytest.raises(ExpansionError, match="kmax"):
        hermite_expansion(Z, 201)
    with pytest.raises(ExpansionError, match="kmax"):
        hermite_expansion(Z, -1)


def test_exact_zero_test_is_relative_to_the_terms():
    """``9e30 e^{-4.05e61}`` (u_1 of sin(9e30 z)) is tiny but not zero; exact cancellations are zero."""
    from theory.hermite import is_exactly_zero

    big = sp.Integer(10) ** 61
    assert not is_exactly_zero(9 * sp.Integer(10) ** 30 * sp.exp(-405 * big / 10))
    assert not is_exactly_zero(sp.Add(*[k * sp.exp(-k * big) for k in range(1, 30)]))
    assert is_exactly_zero(sp.sqrt(2) * sp.sqrt(3) - sp.sqrt(6))
    assert is_exactly_zero(sp.exp(sp.Rational(1, 2)) ** 2 - sp.E)
    e = hermite_expansion(parse_link("sin(9e30*z)"), 1)[1]
    assert e.exact is not None and e.sign == 1 and e.proven_nonzero
