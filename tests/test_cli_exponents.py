import json

import pytest


def strict_json(text):
    """RFC 8259: reject NaN / Infinity (Python's json accepts them by default)."""
    def bad(token):
        raise ValueError(f"non-standard JSON constant {token}")
    return json.loads(text, parse_constant=bad)


def test_exponents_json_schema(cli):
    r = cli("exponents", "He3", "--json", "--kmax", "5")
    assert r.returncode == 0, r.stderr
    obj = strict_json(r.stdout)  # exactly one JSON object
    assert obj["link"] == "He3" and obj["noise"] == 0.0
    assert obj["information_exponent"] == 3 and obj["generative_exponent"] == 1
    assert obj["generative_exponent_status"] == "exact"
    assert [h["k"] for h in obj["hermite"]] == list(range(6))
    assert obj["hermite"][3] == {"k": 3, "exact": "1", "value": 1.0, "error": 0.0, "method": "polynomial",
                                 "error_is_bound": True}
    assert obj["power_exponents"] == {"1": 3, "2": 2, "3": 1}
    assert "null" in obj["conventions"] and "basis" in obj["conventions"]


def test_exponents_table(cli):
    r = cli("exponents", "relu", "--kmax", "2")
    assert r.returncode == 0
    assert "sqrt(2)/(2*sqrt(pi))" in r.stdout and "information exponent  1" in r.stdout


def test_numeric_link_json_has_null_exact(cli):
    obj = strict_json(cli("exponents", "tanh", "--json", "--kmax", "3").stdout)
    # odd k numeric (exact null), even k exact zeros by parity
    assert [h["exact"] for h in obj["hermite"]] == ["0", None, "0", None]
    assert [h["method"] for h in obj["hermite"]] == ["parity", "numeric"] * 2
    assert all(h["error_is_bound"] for h in obj["hermite"])
    assert obj["information_exponent"] == 1 and obj["information_exponent_status"] == "certified"


def test_issue_example_generative_exponent_is_four(cli):
    """Issue item 1: z^4 e^{-2z^2} = (z^2 e^{-z^2})^2; the old tool said GE = 2 (numeric)."""
    obj = strict_json(cli("exponents", "z**4*exp(-2*z**2)", "--json").stdout)
    assert obj["generative_exponent"] == 4 and obj["generative_exponent_status"] == "exact"
    assert obj["generative_exponent_lower"] == obj["generative_exponent_upper"] == 4
    assert obj["power_exponents"] == {"1": 4, "2": 4, "3": 4}


def test_undecided_generative_exponent_in_json(cli):
    """A true GE of 1 whose witnesses are ~1e-21: undecided, null value, proven bounds, evidence."""
    obj = strict_json(cli("exponents", "Heaviside(sin(10*z))", "--json", "--kmax", "4").stdout)
    assert obj["generative_exponent"] is None and obj["generative_exponent_status"] == "undecided"
    assert obj["generative_exponent_lower"] == 1 and obj["generative_exponent_upper"] is None
    detail = obj["generative_exponent_detail"]
    assert all(ev["kind"].startswith("numeric estimate") for ev in detail["evidence"])


def test_high_degree_polynomial(cli):
    """Issue item 4: no "degree 202 exceeds kmax 200" for z**101 with the default --powers 3."""
    r = cli("exponents", "z**101", "--json")
    assert r.returncode == 0, r.stderr
    obj = strict_json(r.stdout)
    assert obj["power_exponents"] == {"1": 1, "2": 2, "3": 1} and obj["generative_exponent"] == 1


@pytest.mark.parametrize("link, ge", [
    ("sigmoid(z)+sigmoid(-z)", None), ("(z**2*exp(-z**2))**3", 4), ("sign(sin(z))", 1),
    ("Heaviside(sin(10*z))", None), ("Heaviside(z)+Heaviside(z-0.1)+Heaviside(z-0.2)", 1),
    ("+".join(f"Abs(z-0.{i})" for i in range(10)), 1),
])
def test_former_crashes_and_hangs_answer(capsys, link, ge):
    """Issue items 6/7: no exception, an answer (possibly undecided); in-process (same code path
    as the CLI, without the interpreter start-up of a subprocess)."""
    from theory.cli import main

    assert main(["exponents", link, "--json"]) == 0
    out = capsys.readouterr()
    obj = strict_json(out.out)
    assert obj["generative_exponent"] == ge


def test_large_request_is_fast_enough(cli):
    """Issue item 7: exponents tanh --kmax 200 --powers 12 (measured ~2.5 s of CPU)."""
    r = cli("exponents", "tanh", "--kmax", "200", "--powers", "12", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    obj = strict_json(r.stdout)
    assert [obj["power_exponents"][str(j)] for j in range(1, 13)] == [1, 2] * 6


@pytest.mark.parametrize("link", [
    "relu(z-2)+Heaviside(z+1)+Abs(z-0.3)", "tanh(sinh(z))", "(Abs(z-0.3)+relu(z-1))**0.5",
    "(z**2+1)**-0.4", "1e-300*z + 9e30*z**3", "2**64*tanh(z)", "exp(-z**2)*sign(z**3 - 2)",
    "cos(3*z)*relu(z)", "sigmoid(Abs(z-0.1)+Abs(z-0.5)+relu(z-0.7))",
])
def test_grammar_links_strict_json(capsys, link):
    from theory.cli import main

    code = main(["exponents", link, "--json"])
    out = capsys.readouterr()
    assert code in (0, 2)
    if code == 0:
        obj = strict_json(out.out)
        ge = obj["generative_exponent_detail"]
        assert ge["status"] in ("exact", "certified", "undecided", "none")
        if ge["status"] == "undecided":
            assert obj["generative_exponent"] is None and ge["lower"] >= 1


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
