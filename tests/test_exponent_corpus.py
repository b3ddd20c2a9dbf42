"""Exponent corpus: links with independently derived IE, GE and power exponents p_1..p_3.

Conventions: ``He_k`` probabilists', ``u_k(f) = E[f He_k]/k!``, ``z ~ N(0,1)``; ``IE = min{k >= 1 :
u_k != 0}``; ``p_j = IE(f^j)`` (noiseless); ``GE = min{k : E[He_k(z)|y] != 0}``; ``None`` means "no
exponent" (constant link / constant power).

Tools used in the derivations (each is elementary):

* Gaussian moments ``E[z^(2m)] = (2m-1)!!``; ``E[e^{c z^2} z^(2m)] = (2m-1)!! (1-2c)^(-m-1/2)``.
* Stein: ``u_1(f) = E[f']`` (``f'`` distributional: a jump ``J`` at ``c`` contributes ``J phi(c)``),
  ``u_2(f) = E[f'']/2``.
* Association (Chebyshev): two non-decreasing functions of ``|z|``, neither constant, have
  positive covariance, so for ``g`` strictly monotone in ``|z|``,
  ``u_2(g) = Cov(g, z^2)/2 != 0`` (sign of the monotonicity).
* Even links have ``u_k = 0`` for odd ``k`` and ``E[He_k | y] = 0`` for odd ``k`` (``GE >= 2``).
* Bijections: ``GE(g o h) = GE(h)`` when ``g`` is injective on the range of ``h`` (same
  sigma-algebra).  So every strictly monotone function of ``z`` has ``GE = 1``, every strictly
  monotone function of ``|z|`` (or ``z^2``) with ``GE = 2``.
* Functions of ``r_2 = z phi(z)``: ``E[He_2 | y] = 0``  (``mu_2(B) = -int (Psi o r_2)' = 0``; see
  ``theory._ge_proofs``).  ``z^2 e^{-z^2} = 2 pi r_2^2``, so any function of it has ``u_2 = 0``
  and ``GE >= 4`` (odd k by parity).
* ``u_4(z^(2m) e^{-m z^2})``: with ``c = 2m + 1``, ``24 u_4 sqrt(c) c^m / (2m-1)!! =
  (2m+1)(2m+3)/c^2 - 6(2m+1)/c + 3 = -4m/(2m+1) != 0`` and the same computation for ``u_2`` gives
  ``(2m+1)/c - 1 = 0``.  Hence ``IE(z^(2m) e^{-m z^2}) = 4`` for every ``m >= 1``.

Where the tool honestly answers "undecided" (``UNDECIDED_OK``), the test asserts the proven
bounds contain the derived value instead.  Every derived value below was also cross-checked, when
writing this file, by independent 40-digit quadrature (mpmath) or exact Gaussian moments, except
where a coefficient is below 1e-9 (noted).
"""
import pytest

from theory.exponents import profile
from theory.links import EVEN, parity, parse_link

N = None   # no exponent

# (link, IE, GE, (p1, p2, p3), derivation)
CORPUS = [
    # ---- polynomials (exact Gaussian moments) -------------------------------------------------
    ("z", 1, 1, (1, 2, 1), "z = He1; z^2 = He2 + 1; z^3 = He3 + 3 He1; GE: y = z is a witness."),
    ("z**2", 2, 2, (2, 2, 2), "even; z^2 = He2 + 1; z^4 = He4 + 6 He2 + 3, z^6 has u_2 = 15*... != 0."),
    ("He3", 3, 1, (3, 2, 1),
     "He3^2 = He6 + 9 He4 + 18 He2 + 6 (u_2 = 9); E[z He3^3] = E[z^10 - 9z^8 + 27z^6 - 27z^4] = "
     "945 - 945 + 405 - 81 = 324 != 0, so p_3 = 1 = GE."),
    ("He4", 4, 2, (4, 2, 2),
     "even; He4^2 = sum_r r! C(4,r)^2 He_{8-2r} has 3!*16 = 96 He2; He4^3: u_2 != 0 (exact moments)."),
    ("He5", 5, 1, (5, 2, 1),
     "He5^2 even with u_2 != 0; E[He5^3 He1] = E[He5^2 (He6 + 5 He4)] = 200*6! + 5*600*4! = 216000."),
    ("z**2 + z", 1, 1, (1, 1, 1),
     "u_1 = 1; E[z (z^2+z)^2] = 2 E[z^4] = 6; E[z (z^2+z)^3] = 3*15 + 3 = 48."),
    ("z**101", 1, 1, (1, 2, 1),
     "u_1 = E[z^102] != 0; z^202 even with u_2 = (203!! - 201!!)/2 != 0; z^303 odd, u_1 = 304!!... "
     "(exact, and no expansion to degree 303 is needed: issue item 4)."),
    ("7", N, N, (N, N, N), "constant: y independent of z."),
    ("z**4 - 6*z**2", 4, 2, (4, 2, 2), "= He4 - 3: as He4 (constants do not change u_k, k >= 1)."),
    ("z**2 - 1 + 0.01*z", 1, 1, (1, 1, 1),
     "u_1 = 0.01; E[z f^2] = 0.02 E[z^2 He2] = 0.04; E[z f^3] = 30 eps + 3 eps^3 != 0."),
    ("1e-300*z", 1, 1, (1, 2, 1), "a multiple of z: as z (tiny constant, exact rational arithmetic)."),
    ("9e30*z**3", 1, 1, (1, 2, 1), "z^3 = He3 + 3He1; z^6 even (u_2 = 45 - 15... != 0); z^9 odd, u_1 = E[z^10]."),
    # ---- piecewise (Stein with distributional derivatives) ----------------------------------
    ("relu", 1, 1, (1, 1, 1),
     "u_1 = P(z>0) = 1/2; u_1(relu^2) = E[z^3 1{z>0}] = 2 phi(0); u_1(relu^3) = E[z^4 1{z>0}] = 3/2."),
    ("abs", 2, 2, (2, 2, 2),
     "even; u_2 = (E|z|^3 - E|z|)/2 = sqrt(2/pi)/2; |z|^2 = z^2; |z|^3 strictly increasing in |z| "
     "(association)."),
    ("sign", 1, 1, (1, N, 1), "u_1 = E|z| = sqrt(2/pi); sign^2 = 1 almost everywhere (constant); sign^3 = sign."),
    ("Heaviside(z)", 1, 1, (1, 1, 1), "u_1 = phi(0) (a unit jump at 0); H^2 = H^3 = H."),
    ("Max(z - 1, 0)", 1, 1, (1, 1, 1),
     "u_1 = P(z > 1) > 0; u_1(f^j) = E[z (z-1)^j 1{z>1}] > 0 (positive integrand)."),
    ("Abs(z - 0.3)", 1, 1, (1, 1, 1),
     "u_1 = E sign(z - 0.3) = 1 - 2 Phi(0.3) < 0; u_1((z-0.3)^2) = -0.6; u_1(|z-c|^3) = "
     "3 E[(z-c)|z-c|] < 0 for c > 0 (odd in c, derivative -2E|z-c| < 0)."),
    ("sign(z)*z**2", 1, 1, (1, 2, 1), "odd; u_1 = E|z|^3; f^2 = z^4; f^3 = sign z^6, u_1 = E|z|^7."),
    ("Heaviside(z)+Heaviside(z-0.1)+Heaviside(z-0.2)", 1, 1, (1, 1, 1),
     "non-decreasing steps: u_1(f^j) = sum of jumps of f^j times phi > 0 (jumps 1, 3, 5 for j = 2)."),
    ("Abs(z)+Abs(z-0.1)+Abs(z-0.2)+Abs(z-0.3)+Abs(z-0.4)+Abs(z-0.5)+Abs(z-0.6)+Abs(z-0.7)"
     "+Abs(z-0.8)+Abs(z-0.9)", 1, 1, (1, 1, 1),
     "u_1 = sum_i (1 - 2 Phi(c_i)) < 0; u_1(f^2), u_1(f^3) != 0 by 40-digit quadrature "
     "(-1.45e1 and -3.3e2 orders)."),
    ("relu(z-2)+Heaviside(z+1)+Abs(z-0.3)", 1, 1, (1, 1, 1),
     "u_1 = Phi(-2) + phi(1) + 1 - 2 Phi(0.3) = 0.0289 != 0; f^2, f^3 by 40-digit quadrature."),
    # ---- smooth non-polynomial ------------------------------------------------------------
    ("tanh", 1, 1, (1, 2, 1),
     "odd, strictly increasing: u_1 = E[tanh'] > 0, GE = GE(z) = 1; tanh^2 increasing in |z| "
     "(association, u_2 > 0); tanh^3 increasing, u_1 > 0."),
    ("sigmoid", 1, 1, (1, 1, 1), "u_1(s^j) = E[j s^(j-1) s'] > 0; strictly increasing so GE = 1."),
    ("erf", 1, 1, (1, 2, 1), "as tanh (odd, strictly increasing)."),
    ("exp(z)", 1, 1, (1, 1, 1), "u_1(e^{jz}) = j e^{j^2/2}."),
    ("sinh(z)", 1, 1, (1, 2, 1),
     "increasing; sinh^2 = (cosh 2z - 1)/2 has u_2 = e^2 (E[cosh(az)(z^2-1)] = a^2 e^{a^2/2})."),
    ("cosh(z)", 2, 2, (2, 2, 2),
     "even; u_2(cosh(az)) = a^2 e^{a^2/2}/2 > 0 and cosh^2, cosh^3 are positive combinations of cosh(az)."),
    ("sin(z)", 1, 1, (1, 2, 1),
     "u_1 = E cos z = e^{-1/2}; sin^2 = (1 - cos 2z)/2, u_2 = e^{-2}; sin^3 = (3 sin z - sin 3z)/4, "
     "u_1 = 3(e^{-1/2} - e^{-9/2})/4."),
    ("cos(z)", 2, 2, (2, 2, 2),
     "even; u_2(cos(az)) = -a^2 e^{-a^2/2}/2; cos^2 = (1 + cos 2z)/2; cos^3 = (3 cos z + cos 3z)/4: "
     "all u_2 < 0."),
    ("cos(5*z)", 2, 2, (2, 2, 2),
     "as cos(z): u_2 = -25 e^{-25/2}/2; p_2: u_2 = -25 e^{-50} (below 1e-9, exact closed form)."),
    ("exp(-z**2)", 2, 2, (2, 2, 2),
     "even, decreasing in |z|; 2 u_2(e^{-j z^2}) = (1/(1+2j) - 1)/sqrt(1+2j) != 0."),
    ("exp(-z**2)*cos(3*z)", 2, 2, (2, 2, 2),
     "even; with A = 1 + 2a, E[e^{-a z^2} cos(bz)(z^2 - 1)] = e^{-b^2/(2A)} A^{-1/2} (1/A - b^2/A^2 - 1) "
     "< 0; the powers are positive combinations of such terms."),
    ("z*exp(-z**2/2)", 1, 1, (1, 4, 1),
     "odd; u_1 = E[z^2 e^{-z^2/2}] > 0; f^2 = z^2 e^{-z^2} has IE 4 (formula, m = 1); f^3 odd, u_1 > 0."),
    ("z**3*exp(-3*z**2/2)", 1, 1, (1, 4, 1),
     "= (z e^{-z^2/2})^3 (odd power: a bijection); f^2 = z^6 e^{-3 z^2} (m = 3); u_1 > 0."),
    # ---- bijections of z^2 e^{-z^2}: all GE 4 ----------------------------------------------------
    ("z**2*exp(-z**2)", 4, 4, (4, 4, 4),
     "m = 1 formula: u_2 = 0, u_4 != 0; a function of r_2 and even: GE >= 4, GE <= IE = 4; f^j = "
     "z^(2j) e^{-j z^2}, IE 4."),
    ("z**4*exp(-2*z**2)", 4, 4, (4, 4, 4),
     "= (z^2 e^{-z^2})^2 on a non-negative base: GE 4 (the issue's example; the old tool said 2). "
     "m = 2, 4, 6."),
    ("(z**2*exp(-z**2))**3", 4, 4, (4, 4, 4), "odd power of z^2 e^{-z^2}: GE 4; m = 3, 6, 9."),
    ("exp(z**2*exp(-z**2))", 4, 4, (4, 4, 4),
     "exp is injective: GE 4.  e^{jg} = sum_n j^n g^n/n!, g = z^2 e^{-z^2}: every u_4(g^n) < 0 "
     "(-4n/(2n+1) times positives), so u_4 != 0; u_2 = 0 (function of r_2)."),
    ("tanh(z**2*exp(-z**2))", 4, 4, (4, 4, 4),
     "tanh injective: GE 4.  u_4 = sum t_n u_4(g^n) with alternating decreasing terms: "
     "-0.01069 + 0.00039 - ... != 0; tanh^2: -0.0036 + 0.0003; tanh^3: -0.0012 + 0.0001."),
    # ---- bijections of |z| / z^2: GE 2 ---------------------------------------------------------
    ("sqrt(Abs(z))", 2, 2, (2, 2, 2), "even, strictly increasing in |z|: association gives u_2 > 0."),
    ("(z**2+1)**-0.4", 2, 2, (2, 2, 2), "even, strictly decreasing in |z|: u_2 < 0; a bijection of z^2: GE 2."),
    ("exp(-z**4)", 2, 2, (2, 2, 2), "even, strictly decreasing in |z|."),
    ("tanh(z)**2", 2, 2, (2, 2, 2), "even, strictly increasing in |z|."),
    ("z*tanh(z)", 2, 2, (2, 2, 2), "even, strictly increasing in |z| (z tanh z = |z| tanh|z|)."),
    ("sin(z**2)", 2, 2, (2, 2, 2),
     "even; u_2(sin(a z^2)) = a Re[(1-2ia)^{-3/2}]: a=1: -0.0269; sin^2(z^2): u_2 = 0.109; "
     "sin^3(z^2) = (3 sin z^2 - sin 3z^2)/4: u_2 = 0.0056."),
    ("erf(z)**3", 1, 1, (1, 2, 1), "odd, strictly increasing (a bijection of z); erf^6 increasing in |z|."),
    # ---- non-smooth switches (numeric, rigorous) ------------------------------------------------
    ("sign(sin(z))", 1, 1, (1, N, 1),
     "odd; u_1 = 2 sum_n (-1)^n (phi(n pi) - phi((n+1) pi)) = 0.7864; its square is 1 a.e.; cube = itself."),
    ("Heaviside(sin(10*z))", 1, 1, (1, 1, 1),
     "f - 1/2 is odd; u_1 = sum_{n>=0} (-1)^n (phi(n a) - phi((n+1) a)), a = pi/10: by Poisson "
     "summation about 2 e^{-50}: non-zero but ~1e-21, far below any double-precision enclosure, so "
     "the tool must say undecided with bounds containing 1.  f^j = f."),
    # ---- constants in disguise --------------------------------------------------------------
    ("sigmoid(z)+sigmoid(-z)", N, N, (N, N, N), "= 1 identically (1/(1+e^-z) + 1/(1+e^z) = 1)."),
]

# Links for which an honest "undecided" (with bounds containing the truth) is acceptable, and
# which exponents may be undecided: the reason is in the derivation above.
UNDECIDED_OK = {
    "Heaviside(sin(10*z))": {"ie", "ge", "p1", "p2", "p3"},
    "sign(sin(z))": {"p2"},            # 1 a.e.: no structural proof of constancy for sign(sin z)^2
}

assert len(CORPUS) >= 40


def _contains(e, truth):
    """The proven bounds of an undecided exponent contain ``truth`` (``None``: no exponent)."""
    if truth is None:
        return e.upper is None
    return e.lower <= truth and (e.upper is None or truth <= e.upper)


def _check(e, truth, name, which):
    if e.is_decided:
        assert e.value == truth, (name, which, str(e), e.reason)
        if truth is None:
            assert e.status == "none"
    else:
        assert which in UNDECIDED_OK.get(name, set()), (name, which, str(e), e.reason)
        assert _contains(e, truth), (name, which, str(e))


@pytest.fixture(scope="module")
def profiles():
    return {name: profile(name, kmax=10, powers=3) for name, *_ in CORPUS}


@pytest.mark.parametrize("name, ie, ge, ps, why", CORPUS, ids=[c[0][:40] for c in CORPUS])
def test_corpus(profiles, name, ie, ge, ps, why):
    p = profiles[name]
    _check(p.information_exponent, ie, name, "ie")
    _check(p.generative_exponent, ge, name, "ge")
    for j, pj in zip((1, 2, 3), ps):
        _check(p.power_exponents[j], pj, name, f"p{j}")


@pytest.mark.parametrize("name", [c[0] for c in CORPUS], ids=[c[0][:40] for c in CORPUS])
def test_consistency_rules(profiles, name):
    """GE <= IE, GE <= min_j p_j (on proven bounds), parity, and p_1 = IE."""
    p = profiles[name]
    ge, ie = p.generative_exponent, p.information_exponent
    assert p.power_exponents[1].value == ie.value and p.power_exponents[1].status == ie.status
    if ge.status == "none":
        assert ie.status == "none"
        return
    for e in [ie, *p.power_exponents.values()]:
        if e.upper is not None:
            assert ge.lower <= e.upper          # every proven witness bounds GE from above
            if ge.is_decided:
                assert ge.value <= e.upper
    if parity(p.link.expr) == EVEN:
        assert ge.lower >= 2 and ge.only_even
        if ge.is_decided:
            assert ge.value % 2 == 0
    if ge.is_decided and ie.is_decided and ie.value is not None:
        assert ge.value <= ie.value


BIJECTION_CLASSES = {
    1: ["z", "tanh", "sigmoid", "erf", "sinh(z)", "exp(z)", "z**101", "erf(z)**3", "9e30*z**3",
        "tanh(2*z + 1)", "exp(tanh(z))"],
    2: ["z**2", "abs", "sqrt(Abs(z))", "(z**2+1)**-0.4", "exp(-z**4)", "tanh(z)**2", "cosh(z)",
        "exp(-z**2)", "sigmoid(z**2)"],
    4: ["z**2*exp(-z**2)", "(z**2*exp(-z**2))**3", "exp(z**2*exp(-z**2))", "tanh(z**2*exp(-z**2))",
        "z**4*exp(-2*z**2)", "sinh(z**2*exp(-z**2)) + 3", "(z**2*exp(-z**2))**0.5",
        "1/(1 + z**2*exp(-z**2))"],
}


@pytest.mark.parametrize("ge, name", [(g, n) for g, names in BIJECTION_CLASSES.items() for n in names])
def test_bijections_share_their_generative_exponent(ge, name):
    """Injective functions of one another generate the same sigma-algebra: the same GE, decided."""
    e = profile(name, kmax=8, powers=2).generative_exponent
    assert e.is_decided and e.value == ge, (name, str(e), e.reason)


@pytest.mark.parametrize("name", ["z**2*exp(-z**2)", "tanh", "He3", "abs", "relu", "z**4*exp(-2*z**2)",
                                  "sign(sin(z))", "Heaviside(sin(10*z))", "cos(z)"])
def test_noise_never_changes_the_generative_exponent(name):
    """Label noise: ``E[He_k|y + s xi] = 0`` iff the noiseless one is (the Gaussian kernel has no
    Fourier zero), so the generative exponent, its status and its bounds are the same."""
    base = profile(name, kmax=8, powers=3).generative_exponent
    for s in (0.5, 2.0):
        prof = profile(parse_link(name, noise=s), kmax=8, powers=3)
        noisy = prof.generative_exponent
        assert (noisy.value, noisy.status, noisy.lower, noisy.upper) == \
            (base.value, base.status, base.lower, base.upper)
        for pj in prof.power_exponents.values():       # GE <= p_j for the noisy p_j too
            if pj.upper is not None and noisy.status != "none":
                assert noisy.lower <= pj.upper
                assert not noisy.is_decided or noisy.value <= pj.upper


def test_noise_does_change_power_exponents_where_it_should():
    """``E[y^2|z] = z^2 + s^2`` for y = z + noise: p_2 stays 2; ``E[y^3|z] = z^3 + 3 s^2 z``: 1.
    ``He_3`` with noise: ``E[y^2|z] = He3^2 + s^2`` (p_2 = 2).  And z^2 e^{-z^2} with noise: the
    power exponents stay 4 (a constant added to f^2 does not change u_k, k >= 1; f^3 + 3 s^2 f
    is still a function of r_2)."""
    p = profile(parse_link("z", noise=1), kmax=4, powers=3)
    assert [p.power_exponents[j].value for j in (1, 2, 3)] == [1, 2, 1]
    p = profile(parse_link("z**2*exp(-z**2)", noise=0.7), kmax=6, powers=3)
    assert [p.power_exponents[j].value for j in (1, 2, 3)] == [4, 4, 4]


OLD_ESTIMATOR_WRONG = {
    # link: (old numeric answer with its "error", measured with theory._numeric_ge before this change)
    "z**4*exp(-2*z**2)": "2 (lambda_2 = 1.9e-6 +- 1.3e-7)",
    "exp(z**2*exp(-z**2))": "2 (lambda_2 = 1.2e-5 +- 6.9e-8)",
    "(z**2*exp(-z**2))**0.5": "2 (lambda_2 = 4.0e-9 +- 1.0e-11)",
    "1/(1 + z**2*exp(-z**2))": "2 (lambda_2 = 1.2e-5 +- 2.0e-6)",
    "sinh(z**2*exp(-z**2)) + 3": "2 (lambda_2 = 1.6e-5 +- 3.1e-6)",
    "(z**2*exp(-z**2))**3": "UndecidedExponentError (a traceback)",
    "z**8*exp(-4*z**2)": "UndecidedExponentError (a traceback)",
}


@pytest.mark.parametrize("name", list(OLD_ESTIMATOR_WRONG))
def test_where_the_old_estimator_was_confidently_wrong(name):
    """All of these are strictly monotone functions of ``g = z^2 e^{-z^2}`` (``x^4``, ``exp``,
    ``sqrt``, ``1/(1+x)``, ``sinh(x)+3``, ``x^3``, ``x^4`` on ``g >= 0``), so GE = GE(g) = 4 (module
    docstring: g is even, a function of ``r_2``, and ``u_4(g) != 0``).  The old estimator's
    "error" did not bound its error; the decision now rests on the identity and a witness."""
    e = profile(name, kmax=6, powers=3).generative_exponent
    assert e.is_decided and e.value == 4, (name, str(e), e.reason)
