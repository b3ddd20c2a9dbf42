"""The CLI on hostile input (issue 9, items 6, 7 and 12 at the CLI layer).

One test per class: every file the CLI reads or writes (missing, a directory, a device, a FIFO,
huge, malformed, wrong schema, unwritable); sizes bounded up front (workers against cores, the
work of a simulation); options that do not apply or cannot be combined; the version; one error
prefix; a description with default and range for every option.  Each bad input must give exit
status 2, exactly one line on stderr, no traceback, and finish well inside a generous timeout
(a hang is a failure, not a slow pass).
"""
from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import pytest

from theory.simulate.sweep import available_cores

TIMEOUT = 60  # generous: each case below fails fast; a hang (reading a FIFO, /dev/zero) would exceed it


def one_line_error(r, *needles):
    """Exit 2, nothing on stdout, one line on stderr with a single prefix, no traceback."""
    assert r.returncode == 2, (r.returncode, r.stdout[-500:], r.stderr[-2000:])
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith("theory: error: ") and not lines[0].startswith("theory: error: theory"), lines[0]
    assert r.stdout == ""
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Hostile files: a FIFO, a directory, a huge sparse file, malformed and mis-shaped JSON, binary, a fake PNG."""
    d = tmp_path_factory.mktemp("hostile")
    os.mkfifo(d / "fifo")
    (d / "dir").mkdir()
    with open(d / "huge.json", "wb") as fh:  # sparse: 100 MB on paper, nothing on disk
        fh.truncate(100 * 2**20)
    (d / "bad.json").write_text("{not json")
    (d / "deep.json").write_text("[" * 200_000)
    (d / "numbers.json").write_text("[1, 2, 3]")
    (d / "binary.json").write_bytes(b"\xff\xfe\x00\x01")
    (d / "digits.json").write_text('{"rows": [{"d": ' + "9" * 5000 + ', "eta": 0.1}]}')
    (d / "bigint.json").write_text('{"rows": [{"d": ' + "9" * 400 + ', "eta": 0.1}]}')
    (d / "infhit.json").write_text('{"hitting_times": [1e400, 5], "status": ["hit", "hit"], "d": 20}')
    (d / "badsim.json").write_text('{"hitting_times": 5, "status": "hit"}')
    (d / "badreport.json").write_text('{"claims": 3, "config": {}}')
    (d / "fake.png").write_text("not a png")
    (d / "regular").write_text("x")
    os.symlink(d / "nowhere", d / "dangling")
    return d


# ---------------------------------------------------------------------------
# files the CLI reads: latex report --simulation / --figure
# ---------------------------------------------------------------------------
REPORT = ["latex", "report", "--rule", "online", "--target", "He3"]


@pytest.mark.parametrize("name, needle", [
    ("/dev/zero", "not a regular file"),
    ("fifo", "FIFO"),
    ("dir", "not a regular file"),
    ("missing.json", "does not exist"),
    ("huge.json", "over the 64 MB limit"),
    ("bad.json", "not valid JSON"),
    ("deep.json", "nested too deeply"),
    ("numbers.json", "list of objects"),
    ("binary.json", "not UTF-8"),
    ("digits.json", "more than 4300 digits"),
    ("bigint.json", "out of the range"),
    ("infhit.json", "finite hitting time"),
    ("badsim.json", "lists of the same length"),
    ("badreport.json", "'claims' must be a list"),
])
def test_simulation_file_refused_in_bounded_time(cli, files, name, needle):
    path = name if name.startswith("/") else str(files / name)
    one_line_error(cli(*REPORT, "--simulation", path, timeout=TIMEOUT), "--simulation", needle)


@pytest.mark.parametrize("name, needle", [
    ("/dev/zero", "not a regular file"),
    ("fifo", "not a regular file"),
    ("dir", "a directory"),
    ("missing.png", "does not exist"),
    ("fake.png", "not a PNG"),
    ("regular", "must be a .png"),
])
def test_figure_file_refused(cli, files, name, needle):
    path = name if name.startswith("/") else str(files / name)
    one_line_error(cli(*REPORT, "--figure", path, timeout=TIMEOUT), "figure", needle)


# ---------------------------------------------------------------------------
# files the CLI writes: latex -o, verify --out
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("target, needle", [
    ("fifo", "FIFO"),
    ("dir", "a directory"),
    ("/dev/full", "character device"),
    ("dangling", "dangling"),
    ("no/such/dir/x.tex", "does not exist"),
    ("regular/x.tex", "not a directory"),
])
def test_latex_output_refused_before_any_work(cli, files, target, needle):
    path = target if target.startswith("/") else str(files / target)
    one_line_error(cli("latex", "mu", "--rule", "online", "--target", "He3", "-o", path, timeout=TIMEOUT),
                   "-o", needle)


def test_latex_output_replaces_a_regular_file_whole(cli, tmp_path):
    out = tmp_path / "mu.tex"
    out.write_text("old")
    r = cli("latex", "mu", "--rule", "online", "--target", "He3", "-o", str(out), timeout=TIMEOUT)
    assert r.returncode == 0 and r.stderr == ""
    assert r"\mu_{3}(\eta)" in out.read_text() and not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("target, needle", [
    ("/proc/x", "cannot create"),
    ("regular", "not a directory"),
    ("regular/sub", "cannot create"),
    ("/dev/null", "not a directory"),
])
def test_verify_out_refused(cli, files, target, needle):
    path = target if target.startswith("/") else str(files / target)
    one_line_error(cli("verify", "--quick", "--out", path, timeout=TIMEOUT), "--out", needle)


def test_verify_out_holding_another_configuration_is_refused(cli, tmp_path):
    out = tmp_path / "v"
    out.mkdir()
    (out / "config.json").write_text(json.dumps({"format": 1, "config_hash": "0" * 10, "config": {"runs": 7}}))
    one_line_error(cli("verify", "--quick", "--out", str(out), timeout=TIMEOUT), "another configuration", "runs 7")
    os.unlink(out / "config.json")
    os.mkfifo(out / "config.json")  # must not block
    one_line_error(cli("verify", "--quick", "--resume", "--out", str(out), timeout=TIMEOUT), "unreadable")


# ---------------------------------------------------------------------------
# sizes bounded up front
# ---------------------------------------------------------------------------
def test_workers_are_bounded_by_the_cores(cli):
    cores = available_cores()
    if cores < 64:
        one_line_error(cli("verify", "--quick", "--workers", str(cores + 1), timeout=TIMEOUT),
                       f"more than the {cores} CPU core", "--force-workers")
    one_line_error(cli("verify", "--quick", "--workers", "256", "--force-workers", timeout=TIMEOUT),
                   "at most 64", "internal limit")
    one_line_error(cli("verify", "--quick", "--force-workers", timeout=TIMEOUT), "--force-workers needs --workers")


@pytest.mark.parametrize("args, needle", [
    (["--runs", "1000000", "--max-steps", "1000000000"], "limit"),
    (["--engine", "full", "--d", "10000000", "--runs", "100"], "full engine"),
])
def test_simulation_work_is_bounded_up_front(cli, args, needle):
    base = ["simulate", "--rule", "online", "--target", "h3", "--d", "20", "--eta", "0.01"]
    one_line_error(cli(*base, *args, timeout=TIMEOUT), needle, "internal")


# ---------------------------------------------------------------------------
# options: CLI-specific refusals, "not given" passed as not given, help, version, prefix
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("args, needle", [
    (["simulate", "--rule", "online", "--target", "h3", "--d", "20", "--eta", "0.01", "--gamma", "1", "--kappa", "1"],
     "not both"),
    (["predict", "--rule", "online", "--target", "h3", "--eta", "0.01"], "--eta needs --d"),
    (["latex", "report", "--rule", "online", "--target", "h3", "--standalone"], "--standalone does not apply"),
    (["latex", "psi", "--rule", "online", "--target", "h3", "--imax", "3"], "--imax"),
    (["latex", "hermite", "He3", "--powers", "3"], "--powers"),
    (["predict", "--rule", "online", "--target", "h3", "--d", "abc"], "must be an integer"),
    (["simulate", "--rule", "online", "--target", "h3", "--d", "20", "--eta", "1e999"], "finite"),
])
def test_cli_specific_refusals(cli, args, needle):
    one_line_error(cli(*args, timeout=TIMEOUT), needle)


def test_options_not_given_are_not_passed_to_make_rule(monkeypatch):
    """make_rule sees only the options the user gave, so it can refuse those that do not apply."""
    import theory.errors
    import theory.latex  # noqa: F401  (imported before the patch: modules that bind make_rule at import
    import theory.rules  # time must keep the real one after the test)
    import theory.simulate.cases  # noqa: F401
    import theory.verify  # noqa: F401
    from theory import cli as cli_module

    seen = []

    class Stop(theory.errors.RuleError):
        pass

    def fake_make_rule(rule, target, student, **options):
        seen.append((rule, target, student, options))
        raise Stop("stop")

    monkeypatch.setattr(theory.rules, "make_rule", fake_make_rule)
    cases = [
        (["predict", "--rule", "online", "--target", "h3"], ("online", "h3", "h3", {})),
        (["predict", "--rule", "online", "--target", "h3", "--keep-a"], ("online", "h3", "h3", {"keep_a": True})),
        (["predict", "--rule", "online", "--target", "h3", "--psi", "y*z"], ("online", "h3", "h3", {"psi": "y*z"})),
        (["predict", "--rule", "alternating", "--target", "h3", "--order", "2"],
         ("alternating", "h3", "h3", {"order": 2})),
        (["predict", "--rule", "online", "--target", "He3", "--student", "relu", "--a", "2", "--noise", "0.5",
          "--loss", "squared"], ("online", "He3", "relu", {"a": 2.0, "noise": 0.5, "loss": "squared"})),
        (["simulate", "--rule", "online", "--target", "h3", "--d", "20", "--eta", "0.1", "--keep-a"],
         ("online", "h3", "h3", {"keep_a": True})),
        (["verify", "--keep-a", "--rule", "online"], ("online", "h3", "h3", {"keep_a": True})),
        (["verify"], ("alternating", "h3", "h3", {})),
        (["latex", "mu", "--rule", "online", "--target", "h3", "--order", "3"], ("online", "h3", "h3", {"order": 3})),
    ]
    for argv, expected in cases:
        seen.clear()
        assert cli_module.main(argv) == 2
        assert seen[0] == expected, (argv, seen)


def _all_parsers(parser, prefix="theory"):
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_parsers(sub, f"{prefix} {name}")


def test_every_option_has_a_description_with_its_default_and_range():
    from theory.cli import build_parser

    missing = []
    for where, parser in _all_parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction, argparse._SubParsersAction)):
                continue
            text = action.help or ""
            name = "/".join(action.option_strings) or action.dest
            if len(text) < 15:
                missing.append(f"{where} {name}: no description")
                continue
            if action.option_strings and "default" not in text and "required" not in text:
                missing.append(f"{where} {name}: no default in {text!r}")
            numeric = action.type is not None and getattr(action.type, "__qualname__", "").startswith(("_int_in",
                                                                                                        "_float"))
            if numeric and not re.search(r"in \[?[-\d(]|>|<|integer from|number", text):
                missing.append(f"{where} {name}: no range in {text!r}")
    assert not missing, "\n".join(missing)


def test_help_lists_the_defaults(cli):
    r = cli("simulate", "--help", timeout=TIMEOUT)
    assert r.returncode == 0
    text = " ".join(r.stdout.split())
    for option, default in [("--runs", "default 100"), ("--seed", "default 0"), ("--engine", "default reduced"),
                            ("--m-thr", "default 0.5"), ("--max-steps", "default 200000"),
                            ("--kappa", "default 0.125"), ("--loss", "default: correlation")]:
        assert option in text and default in text, (option, default)
    r = cli("verify", "--help", timeout=TIMEOUT)
    assert "--workers" in r.stdout and "number of available cores" in " ".join(r.stdout.split())


def test_version():
    import subprocess
    import sys

    import theory

    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    declared = re.search(r'^version = "([^"]+)"', pyproject, flags=re.M).group(1)
    r = subprocess.run([sys.executable, "-m", "theory", "--version"], capture_output=True, text=True, timeout=TIMEOUT,
                       cwd=Path(__file__).resolve().parents[1])
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.strip().endswith(declared) and theory.__version__ == declared


@pytest.mark.parametrize("args", [
    ["predict", "--rule", "online"],
    ["predict", "--rule", "online", "--target", "h3", "--imax", "0"],
    ["latex", "report", "--rule", "online", "--target", "h3", "--nope"],
    ["simulate", "--rule", "online", "--target", "h3", "--d", "20"],
    ["frobnicate"],
])
def test_errors_carry_one_prefix(cli, args):
    line = one_line_error(cli(*args, timeout=TIMEOUT))
    assert not re.search(r"theory: error: theory", line) and "error:" not in line[len("theory: error: "):]


# ---------------------------------------------------------------------------
# simulate: diverged runs are reported as diverged
# ---------------------------------------------------------------------------
def test_diverged_runs_are_called_diverged_not_censored(cli):
    base = ["simulate", "--rule", "alternating", "--target", "h3", "--d", "20", "--eta", "0.01", "--gamma", "1e300",
            "--runs", "6", "--max-steps", "1000"]
    r = cli(*base, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    assert "diverged 6" in r.stdout and "censored 0" in r.stdout
    median_line = next(line for line in r.stdout.splitlines() if line.startswith("median"))
    assert "6 diverged" in median_line and "0 censored" in median_line
    assert "DIVERGED: 6 of 6 runs" in r.stdout
    obj = json.loads(cli(*base, "--json", timeout=TIMEOUT).stdout)
    assert obj["diverged"] == 6 and obj["censored"] == 0 and obj["status"] == ["diverged"] * 6
    assert obj["median"] is None and "diverged" in obj["conventions"]
