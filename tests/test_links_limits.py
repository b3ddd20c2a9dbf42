"""Sizes are bounded before work starts: every user expression (link, psi, noise) either parses
quickly or is refused with one line naming the input and the limit it hit (issue 9, items 6, 7).

Each case says what would go wrong without the bound.  The expected values of accepted inputs
are computed by hand (e.g. 500 copies of z sum to 500 z), not by the code under test.
"""
import pytest
import sympy as sp

from theory import links
from theory.errors import LinkError, TheoryInputError
from theory.links import Z, parse_expression, parse_link

PSI_SYMBOLS = {name: sp.Symbol(name, real=True) for name in ("y", "eta", "d", "a")} | {"z": Z}

# (text, substring of the message, what goes wrong without the bound)
REFUSED = [
    ("1e99999999*z", "the number 1e99999999 is out of range", "a 10^8-digit integer is built"),
    ("1e5000*z", "the number 1e5000 is out of range", "Python's 4300-digit conversion limit"),
    ("1e400*z", "the number 1e400 is out of range", "overflows every double; not a growth problem"),
    ("1e-400*z", "the number 1e-400 is out of range", "underflows to 0 in doubles"),
    ("((10**200)**200)*z", "the power is about 1e40000", "a 40000-digit integer, checked by logarithms first"),
    ("(1e300*z)**2", "the power is about 1e600", "the coefficient of z^2 would be 1e600"),
    ("1e200*1e200*z", "the coefficient 1e400 is out of range", "a product of numbers in range"),
    ("0x" + "f" * 300 + "*z", "too many digits", "a hexadecimal literal of 360 decimal digits"),
    ("1.234567890123456789012345678901234567890123*z", "significant digits", "43 significant digits"),
    ("exp(1000)*z", "out of range", "exp of a constant beyond +-690 leaves the double range"),
    ("sigmoid(1e200)*z", "involves exp(-x) out of range", "exp(-1e200) inside sigmoid"),
    ("1j*z", "imaginary numbers are not allowed", "a complex literal"),
    ("sqrt(-1)*z", "not a real number", "the imaginary unit as a constant"),
    ("z/0", "division by zero", "zoo"),
    ("0**-1*z", "division by zero", "0 to a negative power"),
    ("z**201", "exponent 201 is out of range", "numeric exponents are bounded"),
    ("z**200*z**200", "total degree 400 exceeds the limit 200", "degree 400 (issue 9)"),
    ("*".join(["z"] * 499), "total degree 499", "a 997-character product z*z*...*z"),
    ("(z+sin(z)+cos(z)+exp(z))**50", "terms", "the expansion has 23426 terms"),
    ("(z+1e3)**200", "coefficients could reach 1e601", "||z + 1000||_1^200 = 1001^200 ~ 1.2e600"),
    ("(1e-200+z)**200", "digits", "the constant term of the expansion has a 40000-digit denominator"),
    ("+".join(f"Abs(z-{k})" for k in range(17)), "17 non-smooth pieces", "piecewise engines need 2^17 pieces"),
    ("sin(" * 60 + "z" + ")" * 60, "nested 61 levels deep, more than the limit 50", "recursion"),
    ("-(" * 300 + "z" + ")" * 300, "too many nested parentheses", "Python's own parser limit"),
    ("sin(" * 9 + "1" + ")" * 9 + "*z", "a constant nests 9 function applications",
     "SymPy evaluates nested constants in exponential time"),
    ("z" * 2001, "too long", "the text itself"),
]


@pytest.mark.parametrize("text, needle, why", REFUSED, ids=[c[0][:40] for c in REFUSED])
def test_oversized_input_is_refused_with_the_limit(text, needle, why):
    with pytest.raises(LinkError) as info:
        parse_link(text)
    message = str(info.value)
    assert needle in message, message
    assert "\n" not in message and len(message) < 600
    assert message.startswith("link ")


def test_expanded_coefficients_within_the_bound_are_accepted():
    # ||z + 10||_1^200 = 11^200 ~ 2e208 <= 1e300: every coefficient of the expansion is in range
    assert sp.degree(parse_link("(z+10)**200").expr, Z) == 200


@pytest.mark.parametrize("text, expected", [
    ("+".join(["z"] * 500), 500 * Z),                 # 999 characters, was a RecursionError
    ("-".join(["z"] * 500), -498 * Z),               # z - z - ... - z: 1 - 499 = -498
    ("-" * 1999 + "z", -Z),                           # 1999 signs: odd count
    ("1e300*z", sp.Integer(10) ** 300 * Z),           # the top of the range is included
    ("1e-300*z", Z / sp.Integer(10) ** 300),          # and the bottom
    ("0x1F*z", 31 * Z),
    ("1_000*z", 1000 * Z),
    ("2**64*z", sp.Integer(2) ** 64 * Z),
    ("0.000*z", sp.Integer(0)),
    ("sin(" * 40 + "z" + ")" * 40, None),             # 41 levels: within the limit
])
def test_long_flat_and_boundary_inputs_are_accepted(text, expected):
    expr = parse_expression(text, {"z": Z})
    if expected is not None:
        assert expr == expected


@pytest.mark.parametrize("text, needle", [
    ("y**200*z**200", "total degree 400"),            # issue 9: --psi hung
    ("1e99999999*y*z", "out of range"),
    ("y*z/eta**201", "exponent 201 is out of range"),
    ("+".join(["y*z"] * 300), None),                  # 1199 characters, accepted: 300 y z
    ("sin(" * 55 + "y*z" + ")" * 55, "nested"),
])
def test_psi_expressions_share_the_bounds(text, needle):
    if needle is None:
        assert parse_expression(text, PSI_SYMBOLS, what="psi") == 300 * PSI_SYMBOLS["y"] * Z
        return
    with pytest.raises(LinkError) as info:
        parse_expression(text, PSI_SYMBOLS, what="psi")
    assert needle in str(info.value) and str(info.value).startswith("psi ")


@pytest.mark.parametrize("noise, needle", [
    ("1e400", "out of range"), ("1e-400", "out of range"), (1e-320, "out of range"),
    ("1e99999999", "out of range"), (float("inf"), "finite"), (-1, ">= 0"), ("z", "unknown name"),
])
def test_noise_is_bounded(noise, needle):
    with pytest.raises(TheoryInputError) as info:
        parse_link("z", noise=noise)
    assert needle in str(info.value)


def test_limits_are_public_and_named_in_the_docstring():
    for name in ("MAX_TEXT", "MAX_DEPTH", "MAX_DEGREE", "MAX_TERMS", "MAX_NONSMOOTH", "MAX_EXPONENT",
                 "MAX_LITERAL_DIGITS", "MAX_EXACT_DIGITS", "MAX_CONSTANT_NESTING"):
        assert isinstance(getattr(links, name), int)
        assert name in links.parse_expression.__doc__
    assert links.NUMBER_MIN == 1e-300 and links.NUMBER_MAX == 1e300


def test_sixteen_kinks_are_allowed():
    # the limit is 16 pieces: Abs(z-0) ... Abs(z-15) is accepted, one more is refused above
    expr = parse_link("+".join(f"Abs(z-{k})" for k in range(16))).expr
    assert len(expr.atoms(sp.Abs)) == 16
