import pytest
import sympy as sp

from theory.errors import PredictionError
from theory.exponents import generative_exponent, information_exponent, power_exponents
from theory.predict import check_eta, crossing_etas, index_weight, predict, step_size, winning_index
from theory.rules import make_rule
from theory.symbols import D, ETA

R = sp.Rational


def curve(p):
    return [(p_.alpha_min, p_.alpha_max, p_.index, p_.slope, p_.intercept) for p_ in p.pieces]


def test_online_he3_exponent_two_everywhere():
    p = predict(make_rule("online", "He3", "He3"))
    assert curve(p) == [(-sp.oo, None, 3, 0, 2)]
    assert p.thresholds == () and p.small_lr_exponent == 2 == p.large_lr_exponent


def test_alternating_he3():
    p = predict(make_rule("alternating", "He3", "He3"))
    assert curve(p) == [(0, R(1, 2), 2, 2, 1), (R(1, 2), None, 3, 0, 2)]
    assert [(t.alpha, t.from_index, t.to_index) for t in p.thresholds] == [(R(1, 2), 3, 2)]
    assert p.pieces[0].regime == "generative regime" and p.pieces[1].regime == "information-exponent regime"
    assert (p.small_lr_exponent, p.large_lr_exponent) == (2, 1)


def test_batch_reuse_he3():
    p = predict(make_rule("batch-reuse", "He3", "He3"))
    assert curve(p) == [(1, R(3, 2), 2, 2, -1), (R(3, 2), None, 3, 0, 2)]
    ts = [(t.alpha, t.from_index, t.to_index, t.at_boundary) for t in p.thresholds]
    assert ts == [(R(3, 2), 3, 2, False), (1, 2, 1, True)]  # index 1 (the GE) reached at eta ~ 1/d
    # at the edge eta = 1/d, mu_1 = 17496 d^2 eta^2 is Theta(1): index 1, the generative exponent of He3,
    # costs d^((1-1) v 1) = d there (was `== 1 == (information_exponent(...).value and 1)`: 1 for any value)
    ge = generative_exponent("He3").value
    assert ge == 1 and p.mu[1].subs(ETA, 1 / D).is_number and p.mu[1].subs(ETA, 1 / D) > 0
    assert p.large_lr_exponent == index_weight(ge) == 1


@pytest.mark.parametrize("k", range(3, 9))
def test_alternating_threshold_is_half_gap(k):
    p = predict(make_rule("alternating", f"He{k}", f"He{k}"), imax=2 * k + 2)
    ie = information_exponent(f"He{k}").value
    p2 = power_exponents(f"He{k}", 2)[2].value
    assert [(t.alpha, t.from_index, t.to_index) for t in p.thresholds] == [(R(ie - p2, 2), ie, p2)]


def test_unit_variance_he3_crossing_at_finite_d():
    """h3: mu_3 = 1/2, mu_2 = 9 eta (hand derivation); d^2 mu_3^-2 = d mu_2^-2 at eta = 1/(18 sqrt d)."""
    p = predict(make_rule("alternating", "h3", "h3"))
    for d in (50, 200):
        ((eta, below, above),) = crossing_etas(p, d)
        assert sp.simplify(eta - 1 / (18 * sp.sqrt(d))) == 0 and (below, above) == (3, 2)
    assert winning_index(p, 50, 0.001) == 3 and winning_index(p, 50, 0.5) == 2


def test_step_size_rule():
    p = predict(make_rule("online", "h3", "h3"))
    # mu_3 = 1/2; E[psi^2] = E[y^2] E[s'^2] = 1 * 9 E[(z^2-1)^2] / 6 = 3;
    # gamma = kappa * 2 * 3! * mu_3 d^{-3/2} / E[psi^2]
    gamma, i = step_size(p, 100, 0.1, kappa=0.25)
    assert i == 3 and gamma == pytest.approx(0.25 * 12 * 0.5 * 100**-1.5 / 3)


def test_step_size_is_continuous_across_the_threshold():
    p = predict(make_rule("alternating", "h3", "h3"))
    ((star, _, _),) = crossing_etas(p, 50)
    below, i_below = step_size(p, 50, float(star) * 0.999)
    above, i_above = step_size(p, 50, float(star) * 1.001)
    assert abs(above / below - 1) < 0.01


def test_squared_loss_sign_note():
    p = predict(make_rule("alternating", "He3", "He3", loss="squared"))
    assert any("mu_2" in n and "alpha = 0" in n for n in p.sign_notes)


def test_eta_out_of_range():
    p = predict(make_rule("batch-reuse", "He3", "He3"))
    with pytest.raises(PredictionError, match="eta d <= 1"):
        check_eta(p, 100, 0.05)
    with pytest.raises(PredictionError, match="d must be"):
        check_eta(p, 1, 0.001)
