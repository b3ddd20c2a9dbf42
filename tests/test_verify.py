"""verify: the claim machinery on synthetic data (it must be able to fail), and the quick run."""
import json
import math

import numpy as np
import pytest

from theory.verify import _break, _judge


def test_break_recovers_a_known_crossing():
    etas = 0.01 * 2.0 ** np.arange(-4, 5)
    for eta_b in (0.005, 0.01, 0.03):
        tn = 1000.0 / (1 + (etas / eta_b) ** 2)
        assert _break(etas, tn) == pytest.approx(eta_b, rel=0.01)  # grid step in log eta is 0.5% of the range


def test_break_is_nan_without_a_break():
    etas = 0.01 * 2.0 ** np.arange(-4, 5)
    assert math.isnan(_break(etas, np.full(etas.size, 1000.0)))


@pytest.mark.parametrize("measured, se, predicted, alternative, ok, why", [
    (2.1, 0.1, 2.0, 1.0, True, ""),
    (2.5, 0.1, 2.0, 1.0, False, "5.0 SE"),
    (2.0, 0.5, 2.0, 1.0, False, "inconclusive"),   # 3 SE = 1.5 >= |2 - 1|
    (None, 0.1, 2.0, 1.0, False, "not measurable"),
    (2.0, None, 2.0, 1.0, False, "not measurable"),
])
def test_judge(measured, se, predicted, alternative, ok, why):
    passed, reason = _judge(measured, se, predicted, alternative)
    assert passed is ok and why in reason


@pytest.mark.slow
def test_verify_quick_cli(cli, tmp_path):
    r = cli("verify", "--quick", "--json", "--out", str(tmp_path / "v"))
    obj = json.loads(r.stdout)
    assert set(obj) >= {"claims", "pass", "plot"}
    for c in obj["claims"]:
        assert set(c) >= {"name", "predicted", "measured", "pass"}
    names = [c["name"] for c in obj["claims"]]
    assert any("small-eta exponent" in n for n in names) and any("threshold moves" in n for n in names)
    assert r.returncode == (0 if obj["pass"] else 1)
    # the headline case at quick sizes: the theorem's scaling claims hold (seeded, deterministic)
    assert obj["pass"], [c for c in obj["claims"] if not c["pass"]]
    assert obj["plot"] and (tmp_path / "v" / "figure1.png").stat().st_size > 10_000


def test_simulate_cli_json(cli):
    r = cli("simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01", "--runs", "8",
            "--seed", "3", "--json")
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    assert set(o) >= {"hitting_times", "median", "censored", "gamma", "engine"}
    assert len(o["hitting_times"]) == 8 and o["engine"] == "reduced"
    again = json.loads(cli("simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01",
                           "--runs", "8", "--seed", "3", "--json").stdout)
    assert again["hitting_times"] == o["hitting_times"]  # seeds in, identical results out


@pytest.mark.parametrize("args", [
    ["--d", "1", "--eta", "0.1"],
    ["--d", "20", "--eta", "0"],
    ["--d", "20", "--eta", "0.1", "--gamma", "-1"],
    ["--d", "20", "--eta", "0.1", "--runs", "0"],
    ["--d", "20", "--eta", "0.1", "--m-thr", "1"],
    ["--d", "20", "--eta", "5"],
])
def test_simulate_bad_input(cli, args):
    r = cli("simulate", "--rule", "alternating", "--target", "h3", *args)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_simulate_divergence_is_reported(cli):
    # a huge step makes the normalisation overflow: reported as diverged, never as a hit
    r = cli("simulate", "--rule", "custom", "--psi", "y*exp(100*z**2)", "--target", "He3", "--d", "20",
            "--eta", "0.1", "--gamma", "1e300", "--runs", "4", "--json", "--max-steps", "50")
    o = json.loads(r.stdout)
    assert r.returncode == 0 and o["diverged"] == 4 and o["hitting_times"] == [None] * 4
