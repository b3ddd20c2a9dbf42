"""The verify profiles and the size options of the later issues: the large profile's choice of d from the
finite-d prediction, fewer runs at large d, the top of the swept learning rates, the large-eta fit's own
dimensions, and the one-worker executor.  Plans only (no simulation), except one tiny transition table."""
from dataclasses import replace

import pytest

from theory.cli import main
from theory.predict import predict
from theory.simulate.cases import rule_for
from theory.verify import DEFAULT, QUICK, VerifyError, make_plan
from theory.verify.plan import eta_max, eta_star
from theory.verify.profiles import TRANSITION_FACTOR, profile_config, transition_table


def _plan(cfg):
    return make_plan(cfg, predict(rule_for(cfg.case())), plot=False)


def test_default_and_quick_profiles_are_the_named_sizes_with_the_case_kept():
    cfg, table = profile_config("quick", replace(DEFAULT, target="He3", seed=5))
    assert table is None and cfg.ds_scaling == QUICK.ds_scaling and cfg.runs == QUICK.runs
    assert (cfg.target, cfg.seed) == ("He3", 5)
    assert profile_config("default")[0] == DEFAULT


def test_transition_table_small_d_has_no_raw_sample_win_and_it_grows_with_d():
    # the finite-d prediction (diffusion means at the theorem's step): at d = 50 large eta LOSES in raw
    # samples (the E[psi^2] cost of the stable step), at d = 800 it wins by a factor > 3
    pred = predict(rule_for(DEFAULT.case()))
    rows = transition_table(DEFAULT, pred, ds=(50, 800))
    assert rows[0]["ratio"] < 1 < 3 < rows[1]["ratio"] < TRANSITION_FACTOR
    for r in rows:
        star = eta_star(pred, r["d"])
        assert r["eta_small"] == pytest.approx(star / 16) and r["eta_best"] >= 4 * star


def test_transition_table_leaves_out_dimensions_without_a_crossing():
    cfg = replace(DEFAULT, loss="squared")
    pred = predict(rule_for(cfg.case()))
    assert [r["d"] for r in transition_table(cfg, pred, ds=(50, 800))] == [800]


def test_fewer_runs_from_a_dimension_on():
    cfg = replace(DEFAULT, ds_threshold=(50, 100, 1600), ds_scaling=(50, 100, 1600), fig_d=50, fewer_runs_from_d=1000)
    plan = _plan(cfg)
    assert {p["runs"] for p in plan.points if p["d"] == 1600} == {40}
    assert {p["runs"] for p in plan.points if p["d"] < 1000} == {100}
    assert (cfg.null_runs_at(1600), cfg.null_runs_at(100)) == (10, 40)


def test_the_large_profile_runs_80_runs_from_d_1000_so_that_its_crossing_sweeps_keep_a_finite_median():
    # with 40 runs, 15 of one d = 1600 point were trapped: 8% of the bootstrap's resamples lost the median
    cfg, table = profile_config("large", grid=(2400,))
    assert table[0]["d"] == 2400 and cfg.fig_d == 2400
    assert (cfg.runs_at(800), cfg.runs_at(1600), cfg.null_runs_at(1600)) == (100, 80, 10)


def test_eta_top_fraction_moves_the_largest_eta_of_batch_reuse_inside_the_valid_range():
    cfg = replace(QUICK, rule="batch-reuse", eta_top_fraction=0.25)
    plan = _plan(cfg)
    pred = plan.pred
    for d in QUICK.ds_scaling:
        assert plan.eta_large[d] == pytest.approx(0.25 * eta_max(pred, d)) == pytest.approx(0.25 / d)
        assert max(plan.sweep_etas[d]) == pytest.approx(0.25 / d)


def test_large_eta_fit_has_its_own_dimensions():
    cfg = replace(QUICK, rule="batch-reuse", ds_large=(100, 800, 3200))
    plan = _plan(cfg)
    assert sorted(plan.eta_large) == [100, 800, 3200] and sorted(plan.eta_small) == list(QUICK.ds_scaling)


@pytest.mark.parametrize("argv, message", [
    (["verify", "--profile", "large", "--d", "50", "100", "200"], "chooses its own dimensions"),
    (["verify", "--quick", "--profile", "large"], "ask for different sizes"),
    (["verify", "--profile", "huge"], "invalid choice"),
    (["verify", "--eta-top", "1.5"], "--eta-top"),
    (["verify", "--d-large", "100", "200"], "at least 3 distinct"),
])
def test_size_options_refuse_bad_input_with_one_line(argv, message, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_profile_large_refuses_a_case_without_a_raw_sample_win():
    # the squared loss at eta >~ 1e-2: the step size collapses (E[psi^2] ~ eta^4 d^2), so large eta never wins
    with pytest.raises(VerifyError, match="10x raw-sample win"):
        profile_config("large", replace(DEFAULT, loss="squared"), grid=(800,))


def test_simulated_transition_reads_small_and_best_large_medians_from_the_sweep():
    # synthetic sweep at d = 50: T = 1000 on the plateau, falling like eta^-1 above the crossing
    import numpy as np

    from theory.verify.profiles import simulated_transition
    from theory.verify.records import find_point, point_key

    cfg = replace(QUICK, ds_threshold=(25, 50, 100))
    plan = make_plan(cfg, predict(rule_for(cfg.case())), plot=False)
    star = eta_star(plan.pred, 50)
    groups = {}  # every point (sweep, small, large: the sweep shares some) at its eta
    for p in plan.points:
        s = eta_star(plan.pred, p["d"])
        groups[point_key(p)] = np.full(5, 1000.0 * min(1.0, s / p["eta"]) if p["eta"] > 0 else 1000.0)
    rows = simulated_transition(plan, groups, [{"d": 50}, {"d": 3200}])
    top = max(plan.sweep_etas[50])
    assert rows[0]["sim_median_small"] == 1000.0
    assert rows[0]["eta_best_sim"] == find_point(plan.points, 50, top, "sweep")["eta"]
    assert rows[0]["sim_ratio_median"] == pytest.approx(top / star) == pytest.approx(rows[0]["sim_ratio_mean"])
    assert rows[1]["sim_ratio_median"] is None  # not swept


def test_unnormalised_he3_is_h3_with_the_learning_rate_scaled_by_6():
    # y = He3(u) = sqrt(6) h3(u) and sigma = sqrt(6) h3: psi_He3(sqrt6 y, z; eta) = 6 psi_h3(y, z; 6 eta), and the
    # step size divides by sqrt(E[psi^2]) scale, so T_He3(eta) equals T_h3(6 eta) in law: the large profile of He3 is
    # the h3 picture shifted by log10(6) in eta (why the He3 large profile is not simulated separately)
    import sympy as sp

    from theory.drift import drift_coefficients
    from theory.rules import make_rule
    from theory.symbols import ETA, Y

    h3, he3 = make_rule("alternating", "h3", "h3"), make_rule("alternating", "He3", "He3")
    lhs = he3.psi.subs(Y, sp.sqrt(6) * Y)
    rhs = 6 * h3.psi.subs(ETA, 6 * ETA)
    assert sp.expand(lhs - rhs) == 0
    mu_h3, mu_he3 = drift_coefficients(h3), drift_coefficients(he3)
    for i in mu_he3:
        assert sp.simplify(mu_he3[i] - 6 * mu_h3[i].subs(ETA, 6 * ETA)) == 0
