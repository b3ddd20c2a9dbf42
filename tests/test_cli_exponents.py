import json

import pytest


def test_exponents_json_schema(cli):
    r = cli("exponents", "He3", "--json", "--kmax", "5")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)  # exactly one JSON object
    assert obj["link"] == "He3" and obj["noise"] == 0.0
    assert obj["information_exponent"] == 3 and obj["generative_exponent"] == 1
    assert [h["k"] for h in obj["hermite"]] == list(range(6))
    assert obj["hermite"][3] == {"k": 3, "exact": "1", "value": 1.0, "error": 0.0, "method": "polynomial"}
    assert obj["power_exponents"] == {"1": 3, "2": 2, "3": 1}


def test_exponents_table(cli):
    r = cli("exponents", "relu", "--kmax", "2")
    assert r.returncode == 0
    assert "sqrt(2)/(2*sqrt(pi))" in r.stdout and "information exponent  1" in r.stdout


def test_numeric_link_json_has_null_exact(cli):
    obj = json.loads(cli("exponents", "tanh", "--json", "--kmax", "3").stdout)
    # odd k numeric (exact null), even k exact zeros by parity
    assert [h["exact"] for h in obj["hermite"]] == ["0", None, "0", None]
    assert [h["method"] for h in obj["hermite"]] == ["parity", "numeric"] * 2
    assert obj["information_exponent"] == 1


@pytest.mark.parametrize("args", [
    ["exponents", "z**3 +"],
    ["exponents", "__import__('os').system('touch /tmp/theory_pwned')"],
    ["exponents", "z.__class__"],
    ["exponents", "lambda: z"],
    ["exponents", "/etc/passwd"],
    ["exponents", "exp(z**2)"],
    ["exponents", "He3", "--kmax", "0"],
    ["exponents", "He3", "--kmax", "1000"],
    ["exponents", "He3", "--noise", "-0.1"],
    ["exponents"],
    ["frobnicate"],
])
def test_bad_input_one_line_exit_2(cli, args):
    r = cli(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("theory: error:"), r.stderr
    assert "Traceback" not in r.stderr
