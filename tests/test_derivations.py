"""The executable derivations in ``derivations/``: each runs, checks its claims, and writes LaTeX that compiles.

Test policy: a derivation script is a proof that executes.  Each one is imported by path,
its ``main(outdir)`` is run (it raises ``AssertionError`` when a claim fails), and the
document it writes is compiled with ``pdflatex`` (skipped only when there is no TeX
engine and ``THEORY_REQUIRE_TEX`` is unset).  A last test breaks one of the package's
answers and checks that the derivation notices: the claims are not vacuous.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
import sympy as sp

from test_latex import _require_tex, compile_tex

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "derivations").glob("*.py") if not p.name.startswith("_"))
EXPECTED = {"online_sgd", "batch_reuse", "alternating_sgd", "general_theorem", "kept_second_layer", "deep_alternating"}


def load(path: Path):
    name = f"derivation_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def test_every_result_has_a_script():
    assert EXPECTED <= {p.stem for p in SCRIPTS}
    for path in SCRIPTS:
        text = path.read_text()
        assert 'if __name__ == "__main__":' in text and "def main(outdir=None)" in text, path.name


@pytest.mark.parametrize("path", SCRIPTS, ids=[p.stem for p in SCRIPTS])
def test_derivation_runs_and_its_latex_compiles(path, tmp_path):
    module = load(path)
    result = module.main(outdir=tmp_path)
    assert isinstance(result, dict) and result
    fragment = tmp_path / f"{path.stem}.tex"
    assert fragment.is_file() and fragment.stat().st_size > 0
    assert r"\documentclass" not in fragment.read_text()  # a fragment, wrapped by <name>_doc.tex
    doc = tmp_path / f"{path.stem}_doc.tex"
    _require_tex()
    compile_tex(str(tmp_path), f"{path.stem}_doc", doc.read_text())


def test_derived_values_are_the_papers(tmp_path):
    """Spot checks of what the scripts return (their own claims check the rest)."""
    scripts = {p.stem: p for p in SCRIPTS}
    batch = load(scripts["batch_reuse"]).main(outdir=tmp_path)
    assert batch["thresholds"] == [(sp.Rational(3, 2), 3, 2)] and batch["large_eta_exponent"] == 1
    alt = load(scripts["alternating_sgd"]).main(outdir=tmp_path)
    assert {k: t[0][0] for k, t in alt["thresholds"].items()} == {k: sp.Rational(k - 2, 2) for k in range(3, 9)}
    assert alt["squared_effects"]["He3"]["eta0"] == sp.Rational(1, 666)


def test_a_wrong_answer_is_caught(tmp_path, monkeypatch):
    """Break theory.drift as the online-SGD script sees it: the derivation must raise, naming the claim."""
    module = load(next(p for p in SCRIPTS if p.stem == "online_sgd"))
    real = module.drift_coefficients

    def off_by_one(rule, imax, **kw):
        mu = real(rule, imax, **kw)
        return {i: v + (1 if i == 1 else 0) for i, v in mu.items()}

    monkeypatch.setattr(module, "drift_coefficients", off_by_one)
    with pytest.raises(AssertionError, match="online_sgd: claim failed: He_1: theory.drift"):
        module.main(outdir=tmp_path)


def test_tex_requirement_is_enforced(monkeypatch):
    """With THEORY_REQUIRE_TEX set, a missing engine is a failure, not a skip."""
    import test_latex

    monkeypatch.setattr(test_latex.shutil, "which", lambda name: None)
    monkeypatch.setenv("THEORY_REQUIRE_TEX", "1")
    with pytest.raises(pytest.fail.Exception):
        test_latex._require_tex()
    monkeypatch.delenv("THEORY_REQUIRE_TEX")
    with pytest.raises(pytest.skip.Exception):
        test_latex._require_tex()


def test_default_outdir_is_gitignored():
    shared = load(ROOT / "derivations" / "_shared.py")
    out = shared.default_outdir()
    assert out == ROOT / "out" / "derivations"
    ignore = (ROOT / ".gitignore").read_text().split()
    assert "/out/" in ignore or "out/" in ignore
    assert os.path.relpath(out, ROOT).startswith("out")
