import pytest
import sympy as sp

from theory.exponents import generative_exponent, information_exponent, power_exponents, profile
from theory.links import parse_link


@pytest.mark.parametrize("k", range(1, 9))
def test_hermite_exponents(k):
    p = profile(f"He{k}", kmax=4, powers=3)
    assert p.information_exponent.value == k and p.information_exponent.exact
    assert p.generative_exponent.value == (2 if k % 2 == 0 else 1)
    assert p.generative_exponent.exact


@pytest.mark.parametrize("name", ["z**2", "abs", "cos(z)"])
def test_even_links_have_ie_ge_two(name):
    p = profile(name, kmax=6)
    assert (p.information_exponent.value, p.generative_exponent.value) == (2, 2)
    assert "even" in p.generative_exponent.reason


@pytest.mark.parametrize("name", ["relu", "tanh", "sign", "exp(z)"])
def test_ie_ge_one(name):
    p = profile(name, kmax=4)
    assert (p.information_exponent.value, p.generative_exponent.value) == (1, 1)


def test_tanh_is_numeric_and_labelled():
    # decided by a rigorous interval enclosure of u_1 (not by a tolerance): "certified"
    ie = information_exponent("tanh")
    assert ie.value == 1 and not ie.exact and ie.status == "certified" and ie.tolerance is None
    assert "rigorous" in ie.reason


def test_constant_has_neither():
    p = profile("7", kmax=5)
    assert p.information_exponent.value is None and p.information_exponent.exact
    assert p.generative_exponent.value is None and p.generative_exponent.exact


def test_he3_power_exponents():
    assert [e.value for e in power_exponents("He3", 3).values()] == [3, 2, 1]


def test_he4_generative_witness_is_y_squared():
    ge = generative_exponent("He4")
    assert ge.value == 2 and "T(y) = y^2" in ge.reason


def test_noise_enters_power_exponents_exactly():
    # y = z + zeta: E[y^2|z] = z^2 + s^2 has IE 2, the same as without noise
    assert power_exponents(parse_link("z", noise=1), 2)[2].value == 2
    # He3 with noise: E[y^3|z] = He3^3 + 3 s^2 He3 -> IE 1 still
    assert power_exponents(parse_link("He3", noise=0.5), 3)[3].value == 1


def test_polynomial_search_goes_to_degree():
    # kmax smaller than the information exponent: the polynomial search still finds it exactly
    ie = information_exponent("He12", kmax=3)
    assert ie.value == 12 and ie.exact


def test_identically_zero_transcendental_link_is_proven_constant():
    # SymPy cancels tanh(z)**2 - tanh(z)**2 on parsing; what is left, sigmoid(z) + sigmoid(-z) - 1,
    # is identically zero although not written so: it is proven constant (status "none"), with
    # no coefficient left undecided, rather than reported undecided from numeric zeros.
    link = parse_link("tanh(z)**2 - tanh(z)**2 + sigmoid(z) + sigmoid(-z) - 1")
    assert not link.expr.has(sp.tanh)
    ie = information_exponent(link, kmax=4)
    assert ie.value is None and ie.status == "none" and "constant (proven)" in ie.reason


def test_high_degree_polynomial_needs_no_kmax():
    """Issue item 4: IE of z^101 and its powers (degree 303) without any kmax limit: the first
    non-zero coefficient decides, computed one at a time."""
    p = profile("z**101", kmax=10, powers=3)
    assert p.information_exponent.value == 1
    assert [p.power_exponents[j].value for j in (1, 2, 3)] == [1, 2, 1]


def test_internal_degree_limit_is_named_as_such():
    """The one limit left for polynomials is an internal one, and the message says so."""
    from theory.errors import ExpansionError
    from theory.exponents import POLY_DEGREE_LIMIT
    from theory.links import Z, Link

    assert information_exponent(Link(Z**POLY_DEGREE_LIMIT + Z**3, "big")).value == 1
    with pytest.raises(ExpansionError, match="internal limit"):
        information_exponent(Link(Z**(POLY_DEGREE_LIMIT + 1), "too big"))
    with pytest.raises(ExpansionError, match="internal limit.*fewer powers"):
        power_exponents(Link(Z**(POLY_DEGREE_LIMIT // 2) + Z, "p"), 3)


@pytest.mark.parametrize("text", ["sigmoid(z)+sigmoid(-z)", "tanh(z)**2 + 1/cosh(z)**2", "sin(z)**2 + cos(z)**2",
                                  "cosh(z)**2 - sinh(z)**2", "sign(z)**2", "Heaviside(Abs(z) + 1)"])
def test_constants_in_disguise(text):
    p = profile(text, kmax=6)
    assert p.information_exponent.status == "none" and p.generative_exponent.status == "none"
    assert all(e.status == "none" for e in p.power_exponents.values())


@pytest.mark.parametrize("text", ["sign(sin(z))", "Heaviside(sin(10*z))", "(z**2*exp(-z**2))**3",
                                  "sigmoid(z)+sigmoid(-z)", "cos(Abs(0.5*z)**0.5)", "sin(sinh(Abs(z**3)))",
                                  "exp(-z**2)*sign(z**3 - 2)"])
def test_undecided_is_a_value_not_an_exception(text):
    ge = generative_exponent(text, kmax=6, powers=3)
    assert ge.status in ("exact", "certified", "undecided", "none")
    if ge.status == "undecided":
        assert ge.value is None and ge.lower >= 1 and "not decided" in ge.reason


@pytest.mark.parametrize("text", ["Heaviside(sin(10*z))", "z**4*exp(-2*z**2)", "tanh", "sigmoid(z)+sigmoid(-z)"])
def test_exponent_latex_states_status_and_compiles(tmp_path, text):
    """Undecided exponents are typeset with their proven bounds; the fragment compiles."""
    from tests.test_latex import compile_tex
    from theory.latex import exponents_latex, profile_latex, standalone

    p = profile(text, kmax=4, powers=2)
    frag = exponents_latex(p)
    ge = p.generative_exponent
    if ge.status == "undecided":
        assert "undecided" in frag and (r"\ge" in frag or r"\le \cdot \le" in frag)
    elif ge.status == "certified":
        assert "certified" in frag
    # profile_latex only for exact expansions: numeric coefficients printed in scientific notation
    # hit a double superscript in latex._Approx (not part of the exponent rendering; reported)
    extra = "\n\\[" + profile_latex(p) + "\\]\n" if p.expansion.is_exact else ""
    compile_tex(str(tmp_path), "exponents", standalone(frag + extra))


def test_profile_reports_progress():
    seen = []
    profile("tanh", kmax=4, powers=3, progress=seen.append)
    assert seen[0].startswith("Hermite") and "p_3 (3/3)" in seen[-2] and seen[-1] == "generative exponent"
