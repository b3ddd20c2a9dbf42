import pytest
import sympy as sp

from theory.errors import LinkError
from theory.links import Z, hermite_polynomial, named_link, parse_expression, parse_link

# Golden table: He_0..He_9, coefficients low to high (Abramowitz & Stegun 22.3, He_n).
GOLDEN_HE = [
    [1],
    [0, 1],
    [-1, 0, 1],
    [0, -3, 0, 1],
    [3, 0, -6, 0, 1],
    [0, 15, 0, -10, 0, 1],
    [-15, 0, 45, 0, -15, 0, 1],
    [0, -105, 0, 105, 0, -21, 0, 1],
    [105, 0, -420, 0, 210, 0, -28, 0, 1],
    [0, 945, 0, -1260, 0, 378, 0, -36, 0, 1],
]


@pytest.mark.parametrize("k", range(10))
def test_hermite_polynomial_golden(k):
    coeffs = list(reversed(sp.Poly(hermite_polynomial(k), Z).all_coeffs()))
    assert coeffs == GOLDEN_HE[k]


def test_named_links():
    assert parse_link("He3").expr == Z**3 - 3 * Z
    assert sp.simplify(parse_link("h4").expr - hermite_polynomial(4) / sp.sqrt(24)) == 0
    assert parse_link("relu").expr == sp.Max(Z, 0)
    assert parse_link("abs").expr == sp.Abs(Z)
    assert named_link("He40") is not None and sp.degree(named_link("He40"), Z) == 40


def test_expressions_are_exact():
    assert parse_link("z^2 - 0.5").expr == Z**2 - sp.Rational(1, 2)   # ^ is ** with its precedence
    assert parse_link("0.1*z").expr == Z / 10
    assert parse_link("He3(z) + relu(z)").expr == Z**3 - 3 * Z + sp.Max(Z, 0)
    assert parse_link("z", noise=0.1).noise == sp.Rational(1, 10)


@pytest.mark.parametrize("text, token", [
    ("__import__('os')", "'os'"),
    ("z.real", "attribute access"),
    ("().__class__", "attribute access"),
    ("lambda: z", "lambda"),
    ("open('f')", "'f'"),
    ("results.csv", "attribute access"),
    ("eval(z)", "unknown function 'eval'"),
    ("[z for z in range(3)]", "comprehension"),
    ("z if z else 1", "conditional expression"),
    ("y + z", "unknown name 'y'"),
    ("z**3 +", "not a valid expression"),
    ("z**1000", "out of range"),
    ("", "empty"),
    ("He41", "He1 to He40"),
])
def test_disallowed_input_is_rejected_with_the_token(text, token):
    with pytest.raises(LinkError) as info:
        parse_link(text)
    assert token in str(info.value)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("text, why", [
    ("exp(z**2)", "not square-integrable"),
    ("exp(z**2/4)", "not square-integrable"),
    ("exp(exp(z))", "not square-integrable"),
    ("1/z", "pole"),
    ("sqrt(z)", "not real-valued"),
])
def test_inadmissible_links(text, why):
    with pytest.raises(LinkError, match=why):
        parse_link(text)


def test_borderline_square_integrable_is_accepted():
    assert parse_link("exp(z**2/5)").expr == sp.exp(Z**2 / 5)


def test_negative_noise_rejected():
    with pytest.raises(LinkError, match="noise"):
        parse_link("z", noise=-0.5)


def test_parser_executes_nothing(tmp_path, monkeypatch):
    marker = tmp_path / "pwned"
    monkeypatch.chdir(tmp_path)
    with pytest.raises(LinkError):
        parse_expression(f"__import__('pathlib').Path('{marker}').touch()", {"z": Z})
    assert not marker.exists()


def test_parity():
    assert parse_link("cos(z)").is_even and parse_link("abs").is_even
    assert parse_link("He3").is_odd and not parse_link("He3").is_even
    assert not parse_link("relu").is_even
