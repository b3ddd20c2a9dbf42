"""LaTeX output: it compiles, it says what was computed, and the CLI rejects bad input cleanly.

Test policy (see conftest): every test pins a property that can fail --

* every kind of output compiles with a real TeX engine (``pdflatex -halt-on-error``); the
  test is skipped only when ``pdflatex`` is missing *and* ``THEORY_REQUIRE_TEX`` is unset
  (CI sets it, so there a missing engine fails);
* round trip: the expressions in the LaTeX, parsed back, equal the computed ones -- with
  SymPy's ``parse_latex`` when its ``antlr4`` runtime is installed, and always with a small
  independent reader for the polynomial/rational subset the templates print;
* notation: ``\\mathrm{He}_k`` appears, SymPy's ``hermite_{prob}`` never does;
* the ``latex`` CLI writes files and standalone documents, and bad input gives exit
  status 2 and exactly one line on stderr.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from theory import latex as tl
from theory.latex.escape import _TEXT_ESCAPES  # private tables, tested where they live
from theory.latex.report import _FIGURE_MACROS, _check_figure
from theory.latex.summary import simulation_summary
from theory.drift import drift_coefficients
from theory.exponents import profile
from theory.hermite import hermite_expansion
from theory.links import parse_link
from theory.predict import predict
from theory.rules import make_rule

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------------------
# TeX engine
# ---------------------------------------------------------------------------
def _require_tex() -> str:
    engine = shutil.which("pdflatex")
    if engine is None:
        if os.environ.get("THEORY_REQUIRE_TEX"):
            pytest.fail("THEORY_REQUIRE_TEX is set but pdflatex is not on PATH")
        pytest.skip("pdflatex not on PATH (set THEORY_REQUIRE_TEX to make this a failure)")
    return engine


def compile_tex(directory, name: str, document: str) -> str:
    """Compile ``document`` in ``directory``; fail with the TeX error if it does not compile. Returns the log."""
    engine = _require_tex()
    path = os.path.join(directory, f"{name}.tex")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(document)
    proc = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                          cwd=directory, capture_output=True, text=True, timeout=120)
    log_path = os.path.join(directory, f"{name}.log")
    log = open(log_path, encoding="latin-1").read() if os.path.exists(log_path) else proc.stdout
    if proc.returncode != 0:
        errors = [line for line in log.splitlines() if line.startswith("!")]
        context = log[log.find("!"):][:1500] if errors else log[-1500:]
        pytest.fail(f"{name}.tex does not compile: {errors[:3]}\n{context}")
    assert os.path.getsize(os.path.join(directory, f"{name}.pdf")) > 0
    return log


def overfull_points(log: str) -> list[float]:
    return [float(x) for x in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


# ---------------------------------------------------------------------------
# an independent reader for the polynomial / rational subset of the output
# ---------------------------------------------------------------------------
_SYMBOLS = {"eta": sp.Symbol("eta", positive=True), "d": sp.Symbol("d", positive=True),
            "a": sp.Symbol("a", real=True), "y": sp.Symbol("y", real=True), "z": sp.Symbol("z", real=True),
            "m": sp.Symbol("m", real=True), "alpha": sp.Symbol("alpha", real=True), "q": sp.Symbol("q", positive=True)}


def read_latex(text: str) -> sp.Expr:
    """LaTeX of sums of products of numbers, fractions, square roots, pi and the variables -> SymPy."""
    from sympy.parsing.sympy_parser import (implicit_multiplication_application, parse_expr,
                                            standard_transformations)

    s = text.replace(r"\left(", "(").replace(r"\right)", ")").replace(r"\quad", " ").replace("&", " ")
    s = s.replace(r"\bigl(", "(").replace(r"\bigr)", ")")
    s = s.replace("\\\\", " ").replace(r"\cdot", "*")
    s = re.sub(r"\\(eta|alpha|pi)\b", r" \1 ", s)
    for _ in range(10):  # innermost first: \frac{..}{..}, \sqrt{..}, ^{..}
        s = re.sub(r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"((\1)/(\2))", s)
        s = re.sub(r"\\sqrt\{([^{}]*)\}", r"sqrt(\1)", s)
        s = re.sub(r"\^\{([^{}]*)\}", r"**(\1)", s)
    if "\\" in s or "{" in s:
        raise ValueError(f"unsupported LaTeX: {text!r} -> {s!r}")
    local = dict(_SYMBOLS, pi=sp.pi, sqrt=sp.sqrt)
    return parse_expr(s, local_dict=local, transformations=standard_transformations
                      + (implicit_multiplication_application,))


def parse_back(text: str):
    """SymPy's own parse_latex (needs antlr4), with symbols renamed to the package's; None if unavailable."""
    try:
        import antlr4  # noqa: F401
        from sympy.parsing.latex import parse_latex
    except ImportError:
        return None
    s = text.replace("&", " ").replace(r"\quad", " ").replace("\\\\", " ")
    s = s.replace(r"\bigl(", r"\left(").replace(r"\bigr)", r"\right)")
    # parse_latex reads "d \eta" as a differential: brace the dimension d so it stays a letter
    s = re.sub(r"(?<![\\a-zA-Z])d(?![a-zA-Z])", "{d}", s)
    # ... and "y \left(...\right)" as a function call: make the product explicit
    s = re.sub(r"(?<=[a-zA-Z0-9}]) \\left\(", r" \\cdot \\left(", s)
    expr = parse_latex(s)
    names = {sp.Symbol(k): v for k, v in _SYMBOLS.items()}
    names[sp.Symbol("pi")] = sp.pi
    return expr.subs(names)


def equal(a, b) -> bool:
    return sp.simplify(sp.expand(a - b)) == 0


def align_rows(text: str) -> dict[str, str]:
    """``lhs -> rhs`` of every ``align*`` row, continuation lines joined."""
    rows, current = {}, None
    for block in re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", text, flags=re.S):
        for line in block.split("\n"):
            line = line.rstrip().removesuffix("\\\\").rstrip()
            if line.startswith(r"\intertext"):
                current = None
                continue
            if line.startswith(r"&\quad") and current is not None:
                rows[current] += " " + line[len(r"&\quad"):].strip()
                continue
            if "&=" in line:
                lhs, rhs = line.split("&=", 1)
                current = lhs.strip()
                if current:
                    rows[current] = rhs.strip()
                else:
                    current = None
    return rows


# ---------------------------------------------------------------------------
# fixtures: one object of each kind
# ---------------------------------------------------------------------------
RULES = {
    "online-He3": ("online", "He3", "He3", {}),
    "batch-He3": ("batch-reuse", "He3", "He3", {}),
    "alt-He3": ("alternating", "He3", "He3", {}),
    "alt-sq-He3": ("alternating", "He3", "He3", {"loss": "squared"}),
    "alt-keep-h3": ("alternating", "h3", "h3", {"keep_a": True}),
    "online-relu-noise": ("online", "relu", "relu", {"noise": 0.5}),
    "batch-He5": ("batch-reuse", "He5", "He5", {}),  # long groups split across lines
}


@pytest.fixture(scope="module")
def rules():
    return {k: make_rule(r, t, s, **kw) for k, (r, t, s, kw) in RULES.items()}


@pytest.fixture(scope="module")
def predictions(rules):
    return {k: predict(r, imax=8) for k, r in rules.items()}


@pytest.fixture(scope="module")
def tiny_png(tmp_path_factory):
    import zlib
    import struct

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([255, 0, 0] * 4) for _ in range(4))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path = tmp_path_factory.mktemp("fig") / "figure one.png"  # a space, on purpose
    path.write_bytes(png)
    return str(path)


SIMULATION = {"caption": "exact chain, d = 50, 100 runs a point (made-up numbers for the layout test)",
              "runs": 100, "engine": "reduced",
              "rows": [{"d": 50, "eta": 0.001, "median": 12300.0, "mean": 15000.5, "hit_fraction": 0.99},
                       {"d": 50, "eta": 0.25, "median": 740, "mean": 900.0, "hit_fraction": 1.0},
                       {"d": 50, "eta": 1.0, "median": 1210, "mean": None, "hit_fraction": 1.0}]}


# ---------------------------------------------------------------------------
# compilation of every kind of output
# ---------------------------------------------------------------------------
def test_fragments_compile(tmp_path, rules, predictions):
    """hermite (exact, closed form, numeric), exponents, psi, mu, theorem, profile: one document each."""
    pieces = {
        # 1e-20*tanh: numeric coefficients printed as a \cdot 10^{-n} that then carry the dagger mark
        "hermite": [tl.hermite_latex("He3", 5), tl.hermite_latex("relu", 6), tl.hermite_latex("tanh", 5),
                    tl.hermite_latex("1e-20*tanh(z)", 3),
                    tl.hermite_latex(profile("sign", kmax=5), role="student")],
        "exponents": [tl.exponents_latex(profile("He3", kmax=4)), tl.exponents_latex(profile("He4", kmax=4)),
                      tl.exponents_latex(profile("z**2", kmax=3, noise=1))],
        "psi": [tl.psi_latex(r) for r in rules.values()],
        "mu": [tl.mu_latex(r, 8) for r in rules.values()] + [tl.mu_latex(rules["alt-He3"], 6, symbolic_a=True)],
        "theorem": [tl.theorem_latex(p) for p in predictions.values()],
        "profile": [r"\[" + tl.profile_latex(profile(link, kmax=6)) + r"\]"
                    for link in ("He3", "relu", "tanh", "1e-20*tanh(z)")],
    }
    for kind, fragments in pieces.items():  # one document per kind keeps the test fast
        for fragment in fragments:
            assert r"hermite_{prob}" not in fragment and r"\operatorname{hermite}" not in fragment
        compile_tex(str(tmp_path), kind, tl.standalone("\n\\bigskip\n".join(fragments), title=kind))


def test_reports_compile_with_simulation_and_figure(tmp_path, rules, predictions, tiny_png):
    for key in ("alt-He3", "batch-He3", "alt-sq-He3", "online-relu-noise"):
        doc = tl.report_latex(rules[key], predictions[key], simulation=SIMULATION, figure=tiny_png)
        assert doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
        assert r"\includegraphics" in doc and r"\mathrm{He}_" in doc and "hermite_{prob}" not in doc
        log = compile_tex(str(tmp_path), f"report-{key}", doc)
        # long polynomials are broken into lines: nothing sticks out of the text block by more than 20pt
        assert max(overfull_points(log), default=0) < 20, f"{key}: overfull boxes {overfull_points(log)}"


def test_report_without_extras_and_list_simulation(tmp_path, rules, predictions):
    doc = tl.report_latex(rules["online-He3"], predictions["online-He3"])
    assert r"\section{Simulation}" not in doc and r"\includegraphics" not in doc
    compile_tex(str(tmp_path), "plain", doc)
    doc = tl.report_latex(rules["alt-He3"], predictions["alt-He3"], simulation=SIMULATION["rows"])
    assert r"\section{Simulation}" in doc
    compile_tex(str(tmp_path), "listsim", doc)


# ---------------------------------------------------------------------------
# round trips
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["batch-He3", "alt-He3", "alt-sq-He3", "online-He3"])
def test_mu_round_trip(rules, key):
    mu = drift_coefficients(rules[key], 8)
    rows = align_rows(tl.mu_latex(rules[key], 8))
    shown = {int(m.group(1)): rhs for lhs, rhs in rows.items() if (m := re.fullmatch(r"\\mu_\{(\d+)\}\(\\eta\)", lhs))}
    assert set(shown) == {i for i, v in mu.items() if v != 0}
    for i, rhs in shown.items():
        assert equal(read_latex(rhs), mu[i].subs({s: _SYMBOLS[s.name] for s in mu[i].free_symbols})), (i, rhs)
        parsed = parse_back(rhs)
        if parsed is not None:
            assert equal(parsed, mu[i].subs({s: _SYMBOLS[s.name] for s in mu[i].free_symbols})), (i, rhs)


def test_mu_round_trip_can_fail(rules):
    """The reader is not vacuous: a wrong coefficient is detected."""
    rows = align_rows(tl.mu_latex(rules["alt-He3"], 4))
    rhs = rows[r"\mu_{2}(\eta)"]
    assert equal(read_latex(rhs), 324 * _SYMBOLS["eta"])
    assert not equal(read_latex(rhs.replace("324", "325")), 324 * _SYMBOLS["eta"])


@pytest.mark.parametrize("key", ["batch-He3", "alt-He3", "alt-sq-He3", "batch-He5"])
def test_psi_round_trip(rules, key):
    rule = rules[key]
    rows = align_rows(tl.psi_latex(rule))
    rhs = rows[r"\psi_\eta(y, z)"]
    if key == "batch-He5":
        assert r"\bigl(" in rhs  # the case where one group is split over lines
    expected = rule.psi.subs({s: _SYMBOLS[s.name] for s in rule.psi.free_symbols})
    assert equal(read_latex(rhs), expected)
    parsed = parse_back(rhs)
    if parsed is not None:
        assert equal(parsed, expected)
    if rule.label_free != 0:
        free = rows[r"\psi_\eta - \psi_\eta\big|_{\text{label}}"]
        assert equal(read_latex(free), rule.label_free.subs({s: _SYMBOLS[s.name] for s in rule.label_free.free_symbols}))


@pytest.mark.parametrize("key", ["batch-He3", "alt-He3", "online-He3"])
def test_theorem_round_trip(predictions, key):
    prediction = predictions[key]
    text = tl.theorem_latex(prediction)
    block = re.search(r"e\(\\alpha\) = \\begin\{cases\}\n(.*?)\n\\end\{cases\}", text, flags=re.S).group(1)
    lines = block.split(" \\\\\n")
    assert len(lines) == len(prediction.pieces)
    alpha = _SYMBOLS["alpha"]
    for line, piece in zip(lines, prediction.pieces):
        value, condition = line.split(", &", 1)
        assert equal(read_latex(value), piece.slope * alpha + piece.intercept), line
        bounds = [read_latex(b) for b in re.split(r"\\le", condition.split(r",\quad")[0]) if r"\alpha" not in b
                  and "all" not in b]
        expected = [b for b in (piece.alpha_min, piece.alpha_max) if b is not None and b != -sp.oo]
        assert bounds == expected, (line, bounds, expected)
        assert f"i = {piece.index}" in line
    for t in prediction.thresholds:
        want = f"\\alpha = {tl.latex(t.alpha)}\\ (\\eta = {tl.latex(tl.PowerProduct((tl.D, -t.alpha)))})"
        assert want in text and f"i = {t.from_index} \\to {t.to_index}" in text
    if not prediction.thresholds:
        assert "No threshold" in text


def test_hermite_round_trip():
    text = tl.hermite_latex("relu", 6)
    expansion = hermite_expansion(parse_link("relu"), 6)
    rows = re.findall(r"^(\d+) & \$(.*?)\$ & ", text, flags=re.M)
    assert [int(k) for k, _ in rows] == list(range(7))
    for k, cell in rows:
        exact = expansion.coefficients[int(k)].exact
        assert equal(read_latex(cell), exact), (k, cell)
        parsed = parse_back(cell)
        if parsed is not None:
            assert equal(parsed, exact)
    # the displayed sum is the expansion: He_k(z) replaced by the polynomial, it equals sum u_k He_k
    series = re.search(r"\\sigma_\*\(z\) &= (\\frac\{\\sqrt\{2\}\}.*?)\s*\+ \\cdots", text, flags=re.S).group(1)
    z = _SYMBOLS["z"]
    as_poly = re.sub(r"\\mathrm\{He\}_\{(\d+)\}\(z\)", lambda m: f"({sp.latex(sp.hermite_prob(int(m.group(1)), z))})",
                     series)
    total = sum(c.exact * sp.hermite_prob(c.k, z) for c in expansion.coefficients)
    assert equal(read_latex(as_poly), total)


def test_numeric_coefficients_are_marked():
    text = tl.hermite_latex("tanh", 3)
    assert r"{0.6057055096}^{\dagger}" in text and "numeric" in text
    assert r"\mathrm{He}_{1}(z)" in text and "hermite_{prob}" not in text


def test_notation():
    z = _SYMBOLS["z"]
    assert tl.latex(sp.hermite_prob(5, z, evaluate=False)) == r"\mathrm{He}_{5}(z)"
    assert tl.latex(sp.Max(z, 0)) == r"\max(z, 0)"
    assert tl.latex(sp.sign(z)) == r"\operatorname{sign}(z)"
    assert tl.latex(tl.Student(z).diff(z, 2)) == r"\sigma''(z)"
    assert tl.latex(tl.SoftTheta(tl.D ** tl.Vee(tl.P - 1, 1))) == r"\tilde\Theta\left(d^{(p - 1) \vee 1}\right)"
    assert tl.latex(tl.Mu(3)) == r"\mu_{3}(\eta)" and tl.latex(tl.Psi(tl.Y, z)) == r"\psi_\eta(y, z)"
    # SymPy alone would print the hermite_prob it has no printer for
    assert "hermite" in sp.latex(sp.hermite_prob(5, z, evaluate=False))


def test_profile_repr_latex():
    p = profile("He3", kmax=4)
    text = p._repr_latex_()
    assert text.startswith("$") and text.endswith("$") and text.count("$") == 2
    assert r"\mathrm{He}_{3}(z)" in text and r"\mathrm{GE} = 1" in text


def test_bad_inputs_raise_theory_errors(rules, predictions, tmp_path):
    from theory.errors import TheoryInputError

    with pytest.raises(TheoryInputError, match="does not exist"):
        tl.report_latex(rules["alt-He3"], predictions["alt-He3"], figure=str(tmp_path / "none.png"))
    fake = tmp_path / "fake.png"
    fake.write_text("not a png")
    with pytest.raises(TheoryInputError, match="not a PNG"):
        tl.report_latex(rules["alt-He3"], predictions["alt-He3"], figure=str(fake))
    with pytest.raises(TheoryInputError, match="rows"):
        tl.report_latex(rules["alt-He3"], predictions["alt-He3"], simulation={"rows": [1, 2]})
    with pytest.raises(TheoryInputError, match="JSON object or a list"):
        tl.report_latex(rules["alt-He3"], predictions["alt-He3"], simulation=3)
    with pytest.raises(TheoryInputError, match="role"):
        tl.hermite_latex("He3", 3, role="teacher")


# ---------------------------------------------------------------------------
# the CLI
# ---------------------------------------------------------------------------
_RUNNER = ("import sys\n"
           "from theory.cli import main\n"
           "sys.exit(main(sys.argv[1:]))\n")


@pytest.fixture
def latex_main():
    """``theory.cli.main``, which has the ``latex`` command."""
    from theory.cli import main

    return main


def run_latex_cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-c", _RUNNER, "latex", *args], capture_output=True, text=True,
                          timeout=300, env=env, cwd=cwd or ROOT)


def test_cli_writes_fragment_standalone_and_report(tmp_path, tiny_png):
    out = tmp_path / "mu.tex"
    proc = run_latex_cli("mu", "--rule", "alternating", "--target", "He3", "--imax", "6", "-o", str(out))
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    assert r"\mu_{2}(\eta) &= 324 \eta" in out.read_text()
    assert r"\documentclass" not in out.read_text()
    proc = run_latex_cli("hermite", "relu", "--kmax", "4", "--standalone")
    assert proc.returncode == 0 and proc.stdout.startswith(r"\documentclass")
    compile_tex(str(tmp_path), "cli-hermite", proc.stdout)
    sim = tmp_path / "sim.json"
    sim.write_text(json.dumps(SIMULATION))
    report = tmp_path / "report.tex"
    proc = run_latex_cli("report", "--rule", "alternating", "--target", "He3", "--simulation", str(sim),
                         "--figure", tiny_png, "-o", str(report))
    assert proc.returncode == 0, proc.stderr
    compile_tex(str(tmp_path), "report", report.read_text())


@pytest.mark.parametrize("args, message", [
    (["hermite", "exp(z**2)"], "not square-integrable"),
    (["hermite", "He3", "--kmax", "0"], "--kmax"),
    (["exponents", "__import__('os')"], "allowed"),
    (["nope"], "invalid choice"),
    ([], "required"),
    (["psi", "--target", "He3"], "--rule"),
    (["mu", "--rule", "sideways", "--target", "He3"], "unknown rule"),
    (["theorem", "--rule", "alternating", "--target", "He3", "--imax", "0"], "--imax"),
    (["report", "--rule", "alternating", "--target", "He3", "--figure", "/no/such/figure.png"], "does not exist"),
    (["report", "--rule", "alternating", "--target", "He3", "--simulation", "/no/such.json"], "does not exist"),
    (["report", "--rule", "alternating", "--target", "He3", "--simulation", "BADJSON"], "not valid JSON"),
    (["report", "--rule", "alternating", "--target", "He3", "--simulation", "LISTOFNUMBERS"], "list of objects"),
    (["mu", "--rule", "alternating", "--target", "He3", "-o", "/no/such/dir/out.tex"], "does not exist"),
])
def test_cli_bad_input_one_line_exit_2(tmp_path, capsys, latex_main, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    numbers = tmp_path / "numbers.json"
    numbers.write_text("[1, 2, 3]")
    args = [str(bad) if a == "BADJSON" else str(numbers) if a == "LISTOFNUMBERS" else a for a in args]
    status = latex_main(["latex", *args])
    out, err = capsys.readouterr()
    assert status == 2, (status, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("theory: error:") and message in lines[0], err


def test_cli_bad_input_in_a_subprocess():
    """The same contract end to end: exit status 2, one stderr line, no traceback."""
    proc = run_latex_cli("hermite", "exp(z**2)")
    assert proc.returncode == 2 and proc.stdout == ""
    assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr


# ---------------------------------------------------------------------------
# no user text reaches TeX unescaped (issue 9, item 11)
# ---------------------------------------------------------------------------
HOSTILE = ["}", "%", "\\", "#", "$", "^", "~", "{", "\n", "&", "_", "[", "]", "*", " ", "\t", "'", "`",
           "\\write18{touch pwned}", "}\\immediate\\write18{touch pwned}\\detokenize{", "\\input{/etc/passwd}",
           "\\def\\x{y}\\x", "^^5cwrite18", "é", "日本", "\x01", "\\\\[3pt]", "%\n\\end{document}"]
_CONTROL_WORD = re.compile(r"\\[A-Za-z@]+")


def control_words(tex: str) -> set:
    return set(_CONTROL_WORD.findall(tex))


def test_escape_text_leaves_nothing_tex_can_act_on():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    forms = sorted(set(_TEXT_ESCAPES.values()) - {" "}, key=len, reverse=True)

    @settings(max_examples=400, deadline=None)
    @given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(HOSTILE))
    def check(text):
        out = tl.escape_text(text)
        rest = re.sub(r"\\['`^\"~=crv]\{[A-Za-z]\}", "", out)  # accent commands on one ASCII letter
        rest = rest.replace("{[}U+", "").replace("{]}", "")
        for form in forms:
            rest = rest.replace(form, "")
        assert rest.isascii() and rest.isprintable(), (text, out, rest)
        assert not set(rest) & set("\\{}$&#%_^~[]*"), (text, out, rest)

    check()


def test_hostile_figure_paths_compile_and_include_the_file(tmp_path, tiny_png):
    names = [h for h in HOSTILE if "/" not in h and "\x00" not in h] + ["all" + "".join(
        h for h in HOSTILE if "/" not in h)]
    directory = tmp_path / "figs"
    directory.mkdir()
    body = []
    for k, name in enumerate(names):
        path = directory / f"f{k}-{name}.png"
        path.write_bytes(Path(tiny_png).read_bytes())
        tex = tl.figure_path_tex(_check_figure(str(path)))
        assert not control_words(tex) - {r"\gdef", r"\TheoryFigName", r"\TheoryFigLit", r"\TheoryFigChar"}, tex
        body.append(tex + "\n\\TheoryFigInclude{width=1cm}")
    doc = tl.PREAMBLE + "\n" + _FIGURE_MACROS + "\n\\begin{document}\n" + "\n".join(body) + "\n\\end{document}\n"
    for bad in (r"\write", r"\immediate", r"\input", r"\def\x"):
        assert bad not in doc
    # -halt-on-error: a missing file is an error, so compiling means every figure was found and included
    log = compile_tex(str(tmp_path), "figures", doc)
    assert "pwned" not in os.listdir(tmp_path)
    assert log.count("<" + str(directory)) + log.count("<" + str(directory)[:20]) >= 1


def test_a_double_quote_in_a_figure_path_is_refused(tmp_path, tiny_png, rules, predictions):
    from theory.errors import TheoryInputError

    path = tmp_path / 'a"b.png'
    path.write_bytes(Path(tiny_png).read_bytes())
    with pytest.raises(TheoryInputError, match="double quote"):
        tl.report_latex(rules["alt-He3"], predictions["alt-He3"], figure=str(path))


def test_report_with_hostile_strings_compiles_and_runs_nothing(tmp_path, tiny_png, rules, predictions):
    worst = "".join(h for h in HOSTILE if "/" not in h)
    fig = tmp_path / f"fig{worst}.png"
    fig.write_bytes(Path(tiny_png).read_bytes())
    hostile = {"caption": worst, worst: worst, "engine": "\\write18{touch pwned}",
               "rows": [{"d": 50, "eta": 0.01, "median": 1200.0, "note": h} for h in HOSTILE]
               + [{"d": 50, "eta": 0.02, worst[:30]: 3, "median": None}]}
    benign = {"caption": "x", "y": "y", "engine": "z",
              "rows": [{"d": 50, "eta": 0.01, "median": 1200.0, "note": "n"} for _ in HOSTILE]
              + [{"d": 50, "eta": 0.02, "k": 3, "median": None}]}
    plain = tmp_path / "plainfig.png"
    plain.write_bytes(Path(tiny_png).read_bytes())
    rule, prediction = rules["alt-He3"], predictions["alt-He3"]
    doc = tl.report_latex(rule, prediction, simulation=hostile, figure=str(fig))
    reference = tl.report_latex(rule, prediction, simulation=benign, figure=str(plain))
    escapes = {r"\textbackslash", r"\textasciicircum", r"\textasciitilde", r"\ensuremath"}
    assert control_words(doc) <= control_words(reference) | escapes, control_words(doc) - control_words(reference)
    for bad in (r"\write18", r"\immediate", r"\input{", r"\def\x"):
        assert bad not in doc
    compile_tex(str(tmp_path), "hostile", doc)  # (a long unbreakable hostile caption may stick out: cosmetic)
    assert "pwned" not in os.listdir(tmp_path)
    assert "U+65E5" in doc and r"'{e}" in doc  # non-ASCII shown, never passed through raw


# ---------------------------------------------------------------------------
# --simulation: any of the package's own outputs, typeset as a summary
# ---------------------------------------------------------------------------
def _simulate_output(runs=300):
    from theory.simulate import simulate
    from theory.simulate.cases import model_for

    case = {"rule": "alternating", "loss": "correlation", "target": "He3", "student": "He3", "a": 1.0,
            "order": None, "keep_a": False, "psi": None, "noise": 0.0}
    res = simulate(model_for(case, 0.01, 20), 20, 0.002, runs=runs, seed=1, max_steps=3000)
    return dict(res.to_dict(), rule="alternating", target="He3", eta=0.01), res


def test_simulate_json_is_summarised_not_dumped(tmp_path, rules, predictions):
    import numpy as np

    obj, res = _simulate_output()
    summary = simulation_summary(obj)
    (row,) = summary["rows"]
    t = np.where(res.status == "hit", res.hitting_times.astype(float), np.inf)
    assert row["runs"] == 300 and row["hits"] == res.hits and row["censored"] == res.censored
    assert row["median"] == (float(np.median(t)) if np.isfinite(np.median(t)) else None)
    assert row["q25"] == float(np.quantile(t, 0.25))
    doc = tl.report_latex(rules["alt-He3"], predictions["alt-He3"], simulation=obj)
    assert doc.count(" \\\\\n") < 120  # a summary, not 300 runs x 4 arrays
    log = compile_tex(str(tmp_path), "simjson", doc)
    assert max(overfull_points(log), default=0) < 20, overfull_points(log)


def test_verify_outputs_are_accepted(tmp_path, rules, predictions):
    from theory.simulate.cases import simulate_point
    from theory.simulate.sweep import run_sweep

    case = {"rule": "online", "loss": "correlation", "target": "He3", "student": "He3", "a": 1.0, "order": None,
            "keep_a": False, "psi": None, "noise": 0.0}
    pts = [dict(case, tag="small", d=d, eta=0.0, gamma=0.1 * d ** -1.5, runs=12, max_steps=4000, m_thr=0.5,
                signed=False, engine="reduced", start="positive", null=False, seed=3) for d in (10, 20)]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as ex:
        records = run_sweep(pts, simulate_point, tmp_path / "sweep", executor=ex, progress=False)
    summary = simulation_summary(records)
    assert [r["d"] for r in summary["rows"]] == [10, 20] and all(r["runs"] == 12 for r in summary["rows"])
    point_file = next((tmp_path / "sweep" / "points").glob("*.json"))
    assert len(simulation_summary(json.loads(point_file.read_text()))["rows"]) == 1
    report = {"case": case, "description": "case: online SGD\nmore", "config": {"runs": 12}, "verdict": "pass",
              "counts": {"claims": 2, "passed": 2, "failed": 0, "skipped": 0},
              "claims": [{"name": "small-eta exponent of T in d", "predicted": 2.0, "measured": 2.1, "se": 0.1,
                          "status": "pass", "pass": True},
                         {"name": "threshold moves as d^-1/2", "predicted": -0.5, "measured": None, "se": None,
                          "status": "skip", "pass": False}],
              "tables": {"null controls (median steps)": [{"tag": "small", "d": 10, "eta": 0.0, "gamma": 0.03,
                                                           "median": 500.0, "null_median": None, "null_ok": True}]}}
    summary = simulation_summary(report)
    assert summary["kind"] == "verify report.json" and len(summary["claims"]) == 2
    doc = tl.report_latex(rules["online-He3"], predictions["online-He3"], simulation=report)
    assert "SKIP" in doc and "PASS" in doc
    compile_tex(str(tmp_path), "verifyreport", doc)
    doc = tl.report_latex(rules["online-He3"], predictions["online-He3"], simulation=records)
    compile_tex(str(tmp_path), "records", doc)


def test_rows_the_theorem_cannot_be_evaluated_at_are_shown_not_crashed(tmp_path, rules, predictions):
    rows = [{"d": 1e308, "eta": 0.1, "median": 5.0}, {"d": 50, "eta": 1e-320, "median": 5.0},
            {"d": 50, "eta": float("inf"), "median": float("nan")}]
    for row in rows:
        doc = tl.report_latex(rules["online-He3"], predictions["online-He3"], simulation=[row])
        assert r"\section{Simulation}" in doc
    compile_tex(str(tmp_path), "oddrows", doc)


def test_wide_rows_are_split_into_tables_that_fit(tmp_path, rules, predictions):
    rows = [{f"column{j}": j * 1.5 for j in range(20)} | {"d": 50, "eta": 0.01, "median": 900.0} for _ in range(5)]
    doc = tl.report_latex(rules["alt-He3"], predictions["alt-He3"], simulation={"rows": rows,
                                                                              "raw": list(range(5000))})
    assert "5000 numbers: median 2.5e+03, 0 to 5e+03" in doc  # a list is summarised, not dumped
    log = compile_tex(str(tmp_path), "wide", doc)
    assert max(overfull_points(log), default=0) < 20, overfull_points(log)


# ---------------------------------------------------------------------------
# notebook display through theory.display (renderers registered by theory.latex)
# ---------------------------------------------------------------------------
def _rich(obj):
    from theory.display import RichDisplay

    if not isinstance(obj, RichDisplay):  # the lower layers adopt the mixin in their own branches
        pytest.skip(f"{type(obj).__name__} does not inherit theory.display.RichDisplay yet")
    return obj


def test_profile_displays_as_profile_latex():
    import theory

    p = _rich(theory.profile("He3", kmax=4, powers=2))
    assert p._repr_latex_() == "$" + tl.profile_latex(p) + "$"


def test_rule_and_prediction_display_as_their_fragments():
    import theory

    rule = _rich(theory.make_rule("online", "He3", "He3"))
    assert rule._repr_latex_() == tl.psi_latex(rule)
    prediction = _rich(theory.predict(rule))
    assert prediction._repr_latex_() == tl.theorem_latex(prediction)


def test_renderers_are_registered_by_importing_theory():
    """Independent of the mixin: the registry renders each result class as its LaTeX fragment."""
    import theory
    from theory.display import render

    rule = theory.make_rule("alternating", "He3", "He3")
    prediction = theory.predict(rule)
    profile = theory.profile("He2", kmax=3, powers=1)
    assert render(profile, "latex") == "$" + tl.profile_latex(profile) + "$"
    assert render(rule, "latex") == tl.psi_latex(rule)
    assert render(prediction, "latex") == tl.theorem_latex(prediction)
    assert render(object(), "latex") is None
