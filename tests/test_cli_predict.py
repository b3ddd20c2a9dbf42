import json

import pytest


def test_predict_json_schema(cli):
    r = cli("predict", "--rule", "alternating", "--target", "He3", "--student", "He3", "--json")
    assert r.returncode == 0, r.stderr
    o = json.loads(r.stdout)
    for key in ("rule", "loss", "psi", "mu", "pieces", "thresholds", "small_lr_exponent", "large_lr_exponent"):
        assert key in o
    assert o["mu"]["3"] == "3" and o["mu"]["2"] == "324*eta"
    assert o["pieces"][0] == {"alpha_min": "0", "alpha_max": "1/2", "left_open": False, "index": 2,
                              "regime": "generative regime",
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


def _strict(text):
    return json.loads(text, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(f"non-JSON constant {c}")))


@pytest.mark.parametrize("args", [
    ["--rule", "alternating", "--target", "tanh"],
    ["--rule", "alternating", "--target", "sigmoid", "--student", "tanh", "--loss", "squared"],
    ["--rule", "online", "--target", "erf", "--student", "sigmoid"],
    ["--rule", "batch-reuse", "--target", "tanh", "--d", "100", "--eta", "0.001"],
    ["--rule", "online", "--target", "He3", "--student", "sign", "--a", "-1", "--d", "50", "--eta", "0.1"],
    ["--rule", "alternating", "--target", "h3", "--d", "100", "--eta", "1e-300"],
    ["--rule", "custom", "--target", "tanh", "--psi", "y/eta + y**2*z*abs(z)/d", "--d", "100", "--eta", "0.01"],
    ["--rule", "online", "--target", "He3", "--student", "sign", "--d", "50", "--eta", "0.1"],  # no mu_i > 0
])
def test_predict_any_admissible_link_text_and_strict_json(cli, args):
    text = cli("predict", *args, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "Traceback" not in text.stderr and "drift coefficients" in text.stdout
    js = cli("predict", *args, "--json", timeout=60)
    assert js.returncode == 0, js.stderr
    o = _strict(js.stdout)
    assert "conventions" in o and ("pieces" in o)


def test_predict_numeric_is_labelled(cli):
    r = cli("predict", "--rule", "alternating", "--target", "tanh", "--json", timeout=60)
    o = _strict(r.stdout)
    assert o["numeric"] is True and o["mu_exact"]["1"] is False and o["mu_error"]["1"] != "0"
    assert o["psi_second_moment_exact"] is False and o["psi_second_moment_error"]
    t = cli("predict", "--rule", "alternating", "--target", "tanh", timeout=60).stdout
    assert "[numeric; |error| <=" in t


def test_predict_crossing_direction_in_cli(cli):
    """alternating h3 at d = 100: index 3 wins below eta = 1/180 and index 2 above."""
    r = cli("predict", "--rule", "alternating", "--target", "h3", "--d", "100", "--json")
    (c,) = _strict(r.stdout)["finite_d"]["crossings"]
    assert (c["from_index"], c["to_index"], c["eta"]) == (3, 2, "1/180")
    t = cli("predict", "--rule", "alternating", "--target", "h3", "--d", "100").stdout
    assert "index 3 -> 2 as eta grows" in t


@pytest.mark.parametrize("args", [
    ["--rule", "custom", "--target", "He3", "--psi", "y**200*z**200"],
    ["--rule", "custom", "--target", "He3", "--psi", "exp(eta)*y*z"],
    ["--rule", "custom", "--target", "He3", "--psi", "sin(y)*z"],
    ["--rule", "custom", "--target", "He3", "--psi", "y/(1+eta)"],
    ["--rule", "online", "--target", "He3", "--psi", "y*z"],
    ["--rule", "online", "--target", "He3", "--keep-a"],
    ["--rule", "alternating", "--target", "He3", "--order", "2"],
    ["--rule", "batch-reuse", "--target", "He3", "--student", "sign"],
])
def test_predict_refusals_are_one_line(cli, args):
    r = cli("predict", *args, timeout=30)
    assert r.returncode == 2 and r.stdout == "", (r.returncode, r.stdout, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [
    ["--rule", "online", "--target", "He3", "--student", "sign(sin(z))"],
    ["--rule", "alternating", "--target", "Heaviside(sin(10*z))", "--student", "tanh"],
])
def test_engine_failures_are_answers_or_one_line_refusals(cli, args):
    """A failure inside the Hermite engine (SymPy cannot split sign(sin(z)) into intervals) must come
    out as an answer or as one clear line with exit 2, never as a traceback."""
    r = cli("predict", *args, timeout=60)
    assert r.returncode in (0, 2) and "Traceback" not in r.stderr
    if r.returncode == 2:
        assert len(r.stderr.strip().splitlines()) == 1 and r.stdout == ""
