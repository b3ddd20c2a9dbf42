"""The repository's Markdown refers to nothing outside the repository.

A fresh clone must be self-contained: every relative link or image in the Markdown resolves to
a file in the checkout, every ``#anchor`` into a Markdown file names one of its headings, and
no text cites a file that does not ship (the theory notes that lived outside the repository,
``../`` paths, absolute paths). Backticked paths that look like repository files
(``docs/...``, ``theory/...``, ``tests/...`` and so on) must exist too. External ``http(s)``
links are not fetched (CI has no network); they are only checked to be well formed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MARKDOWN = sorted(p for p in [*ROOT.glob("*.md"), *ROOT.glob("docs/**/*.md")]
                  if ".venv" not in p.parts and "_build" not in p.parts)

LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
CODE_PATH = re.compile(r"`(?P<path>(?:docs|theory|tests|notebooks|derivations|benchmarks|\.ci)/[^`\s]*"
                       r"|[A-Za-z0-9_.-]+\.(?:md|cff|toml|txt|png))`")
FORBIDDEN = re.compile(r"THEORY\.md|STYLE\.md|\.\./shared|/work/")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {_slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.*?)\s*#*\s*$", text, re.M)}


def _problems(path: Path) -> list[str]:
    raw = path.read_text(encoding="utf-8")
    text = FENCE.sub("", raw)
    where = path.relative_to(ROOT)
    out = []
    for m in FORBIDDEN.finditer(raw):
        line = raw.count("\n", 0, m.start()) + 1
        out.append(f"{where}:{line}: refers to {m.group(0)!r}, which is not in the repository")
    for m in LINK.finditer(text):
        target = m.group("target")
        line = text.count("\n", 0, m.start()) + 1
        if re.match(r"^(https?|mailto):", target):
            if not re.match(r"^https?://[\w.-]+\.[a-z]{2,}(/\S*)?$|^mailto:\S+@\S+$", target):
                out.append(f"{where}:{line}: malformed external link {target!r}")
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / file_part).resolve() if file_part else path
        if file_part and (not dest.exists() or ROOT not in dest.parents and dest != ROOT):
            out.append(f"{where}:{line}: link to {target!r} does not resolve inside the repository")
            continue
        if anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            out.append(f"{where}:{line}: no heading with anchor #{anchor} in {dest.relative_to(ROOT)}")
    for m in CODE_PATH.finditer(text):
        ref = m.group("path").rstrip(".,;:")
        if any(ch in ref for ch in "*<>{}$") or ref.endswith("/"):
            continue                                  # a pattern or a placeholder, not a file
        candidates = [ROOT / ref, path.parent / ref]
        if "/" not in ref and not any(c.exists() for c in candidates):
            continue                                  # a bare file name such as `report.json` is an output
        if not any(c.exists() for c in candidates):
            line = text.count("\n", 0, m.start()) + 1
            out.append(f"{where}:{line}: `{ref}` names a file that is not in the repository")
    return out


def test_there_is_markdown_to_check():
    names = {p.relative_to(ROOT).as_posix() for p in MARKDOWN}
    assert {"README.md", "CHANGELOG.md", "docs/theory.md"} <= names


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_markdown_refers_only_inside_the_repository(path):
    problems = _problems(path)
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_broken_reference(tmp_path, monkeypatch):
    """The checker is not vacuous: a missing file, a bad anchor and an outside file all fail."""
    doc = ROOT / "docs" / "_link_check_probe.md"
    doc.write_text("# Title\n\n[a](missing.md) [b](theory.md#no-such-heading) see THEORY.md "
                   "and `docs/nothing_here.txt`, but [c](theory.md) is fine.\n", encoding="utf-8")
    try:
        problems = _problems(doc)
    finally:
        doc.unlink()
    kinds = " ".join(problems)
    assert "missing.md" in kinds and "#no-such-heading" in kinds and "THEORY.md" in kinds
    assert "docs/nothing_here.txt" in kinds
    assert len(problems) == 4, problems


def test_license_and_citation_ship():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    cff = (ROOT / "CITATION.cff").read_text(encoding="utf-8")
    assert "cff-version: 1.2.0" in cff and "2510.21020" in cff
    version = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert f"version: {version}" in cff
