"""Every command's --json output, and every file verify writes, is strict RFC 8259 JSON (issue 9, item 10).

The parser refuses the non-standard constants NaN, Infinity and -Infinity that Python's json module
would otherwise accept; infinities are encoded as null, and each object says so (``json_encoding``).
"""
from __future__ import annotations

import json

import pytest

TIMEOUT = 300


def _refuse(name):
    raise ValueError(f"non-standard JSON constant {name!r}")


def strict_loads(text: str):
    return json.loads(text, parse_constant=_refuse)


def test_the_strict_parser_refuses_infinity():
    for bad in ('{"x": Infinity}', '[NaN]', '{"y": -Infinity}'):
        with pytest.raises(ValueError, match="non-standard"):
            strict_loads(bad)
    assert strict_loads('{"x": null, "y": 1e308}') == {"x": None, "y": 1e308}


@pytest.mark.parametrize("args", [
    ["exponents", "He3", "--json"],
    ["exponents", "relu", "--json", "--kmax", "4"],
    ["exponents", "tanh", "--json", "--kmax", "3"],
    ["predict", "--rule", "alternating", "--target", "h3", "--json"],
    ["predict", "--rule", "online", "--target", "h3", "--json"],
    ["predict", "--rule", "batch-reuse", "--target", "h3", "--json", "--d", "100", "--eta", "0.001"],
    ["simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01", "--runs", "6", "--json"],
    # every run censored and diverged: median and hitting times are infinite, so null
    ["simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01", "--runs", "4",
     "--max-steps", "3", "--json"],
    ["simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01", "--gamma", "1e300",
     "--runs", "4", "--json"],
])
def test_command_json_is_strict(cli, args):
    r = cli(*args, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    obj = strict_loads(r.stdout)
    assert isinstance(obj, dict) and "null" in obj["json_encoding"]
    if args[0] == "simulate":
        assert "null" in obj["conventions"]


def test_verify_json_and_every_file_it_writes_are_strict(cli, tmp_path):
    out = tmp_path / "v"
    r = cli("verify", "--rule", "online", "--target", "h3", "--quick", "--d", "16", "24", "32", "--runs", "10",
            "--json", "--out", str(out), timeout=TIMEOUT)
    assert r.returncode in (0, 1), r.stderr
    obj = strict_loads(r.stdout)
    assert obj["verdict"] in ("pass", "fail", "incomplete") and "null" in obj["conventions"]
    # the null runs are censored, so their medians are infinite: written as null, not Infinity
    nulls = obj["tables"][next(k for k in obj["tables"] if k.startswith("null controls"))]
    assert nulls and all(row["null_median"] is None for row in nulls if row["null_ok"])
    written = [out / "report.json", out / "config.json", *out.rglob("records.json"), *out.rglob("points/*.json")]
    assert len(written) > 5
    for path in written:
        strict_loads(path.read_text())
    assert strict_loads((out / "report.json").read_text())["claims"] == obj["claims"]


def test_every_json_and_report_names_the_version(tmp_path):
    """The package version is in every command's JSON, in report.json and in the LaTeX report."""
    import subprocess
    import sys

    from theory import __version__
    for argv in (["exponents", "He3", "--json"], ["predict", "--rule", "online", "--target", "He3", "--json"]):
        out = subprocess.run([sys.executable, "-m", "theory", *argv], capture_output=True, text=True, timeout=600,
                             check=True).stdout
        assert json.loads(out)["version"] == __version__
    tex = subprocess.run([sys.executable, "-m", "theory", "latex", "report", "--rule", "online", "--target", "He3"],
                         capture_output=True, text=True, timeout=600, check=True).stdout
    assert f"% written by sgd-theory-verifier {__version__}" in tex
