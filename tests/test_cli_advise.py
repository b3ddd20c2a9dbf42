"""``python -m theory advise``: the advised learning rate, as text and as strict JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def _advise(*argv):
    return subprocess.run([sys.executable, "-m", "theory", "advise", *argv], capture_output=True, text=True,
                          timeout=900)


def test_advise_json_has_the_documented_keys():
    out = _advise("--rule", "online", "--target", "He3", "--d", "30", "--json", "--simulate", "--runs", "16")
    assert out.returncode == 0, out.stderr
    obj = json.loads(out.stdout, parse_constant=lambda c: pytest.fail(f"non-strict JSON constant {c}"))
    for key, kind in (("eta", float), ("gamma", float), ("predicted_T", float), ("index", int), ("regime", str)):
        assert isinstance(obj[key], kind), key
    assert obj["index"] == 3 and obj["predicted_T"] > 0 and obj["label"] == "numeric"
    # online SGD's drift does not depend on eta: the advice is the best step size, and the small-eta
    # choice costs nothing
    assert obj["small_eta_ratio"] == pytest.approx(1.0, rel=1e-9)
    # the plateau is a range of the evaluated grid containing the advice; with --simulate the check's
    # verdict carries both criteria and the rows it was decided on
    lo, hi = obj["plateau"]
    assert lo <= obj["eta"] <= hi
    sim = obj["simulation"]
    verdict = sim["verdict"]
    assert verdict["verdict"] in ("PASS", "FAIL") and verdict["label"] == "numeric"
    assert verdict["eta_check"]["status"] in ("PASS", "FAIL") and verdict["T_check"]["status"] in ("PASS", "FAIL")
    assert verdict["eta_check"]["tolerance"] == 2.0 and verdict["T_check"]["tolerance"] == 0.30
    assert set(verdict["optimum_set"]) <= {r["eta"] for r in sim["rows"]}
    assert any(r["eta"] == obj["eta"] for r in sim["rows"]) and all(r["se"] >= 0 for r in sim["rows"])


def test_advise_refuses_bad_input_in_one_line():
    out = _advise("--rule", "all", "--target", "He3", "--d", "30", "--keep-a")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "--rule all" in out.stderr


def test_an_optimum_at_the_edge_of_the_grid_is_flagged():
    """The advisor never presents a grid-edge optimum as an interior one."""
    from theory.advise import DEFAULT_KAPPA_GRID, advise
    from theory.predict import predict
    from theory.rules import make_rule
    adv = advise(predict(make_rule("online", "He3")), 30, kappas=(0.125, 0.25))
    # with two constants every optimum is at an edge of the grid, so the note must be there
    assert any("edge of the step-size grid" in n for n in adv.notes)
    assert "NOTE:" in adv.text()
    assert max(DEFAULT_KAPPA_GRID) == 1.0
