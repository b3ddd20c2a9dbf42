import json

import pytest


def test_predict_json_schema(cli):
    r = cli("predict", "--rule", "alternating", "--target", "He3", "--student", "He3", "--json")
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    for key in ("rule", "loss", "psi", "mu", "pieces", "thresholds", "small_lr_exponent", "large_lr_exponent"):
        assert key in o
    assert o["mu"]["3"] == "3" and o["mu"]["2"] == "324*eta"
    assert o["pieces"][0] == {"alpha_min": "0", "alpha_max": "1/2", "index": 2, "regime": "generative regime",
                              "slope": "2", "intercept": "1"}
    assert o["thresholds"] == [{"alpha": "1/2", "from_index": 3, "to_index": 2, "at_boundary": False}]


def test_predict_text_with_d(cli):
    r = cli("predict", "--rule", "alternating", "--target", "h3", "--d", "50", "--eta", "0.01")
    assert r.returncode == 0 and "sqrt(2)/180" in r.stdout and "index 2 wins" in r.stdout


@pytest.mark.parametrize("args", [
    ["--rule", "nope", "--target", "He3"],
    ["--rule", "batch-reuse", "--target", "He3", "--student", "relu"],
    ["--rule", "alternating", "--target", "He3", "--d", "50", "--eta", "3"],
    ["--rule", "alternating", "--target", "He3", "--d", "50", "--eta", "-1"],
    ["--rule", "batch-reuse", "--target", "He3", "--d", "50", "--eta", "0.1"],
    ["--rule", "batch-reuse", "--target", "He3", "--order", "8"],
    ["--rule", "online", "--target", "He3", "--d", "1"],
    ["--rule", "custom", "--target", "He3", "--psi", "__import__('os')"],
])
def test_predict_bad_input(cli, args):
    r = cli("predict", *args)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
