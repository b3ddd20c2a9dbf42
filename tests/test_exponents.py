import pytest

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
    ie = information_exponent("tanh")
    assert ie.value == 1 and not ie.exact and ie.tolerance is not None


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


def test_numeric_only_link_reports_none_up_to_kmax():
    # exp(-z**2) * 0 + tanh(z)**2 - tanh(z)**2 is identically zero but only numerically known
    ie = information_exponent("tanh(z)**2 - tanh(z)**2 + sigmoid(z) + sigmoid(-z) - 1", kmax=4)
    assert ie.value is None
