"""The Python example in README.md runs, and prints what it says it prints."""
from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_example() -> str:
    """The fenced ``python`` block of the README's "Python API" section (exactly one)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```python\n(.*?)^```$", section, flags=re.S | re.M)
    assert len(blocks) == 1, f"expected one python block in the Python API section, found {len(blocks)}"
    return blocks[0]


def test_readme_example_is_short():
    code = [line for line in _python_example().splitlines() if line.strip() and not line.startswith(("import", "from"))]
    assert len(code) <= 12, len(code)


def test_readme_example_runs_and_prints_each_kind_of_line():
    out = io.StringIO()
    namespace = {"__name__": "readme_example"}
    with contextlib.redirect_stdout(out):
        exec(compile(_python_example(), str(README), "exec"), namespace)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3, lines
    assert lines[0] == "IE = 3  GE = 1"  # He3: information exponent 3, generative exponent 1
    hit = re.fullmatch(r"hit (\d+)/20, median hitting time (\S+)", lines[1])
    assert hit, lines[1]
    # more than half the runs hit, so the median is a finite number of steps
    assert int(hit.group(1)) > 10 and float(hit.group(2)) > 0
    assert lines[2].startswith(r"\[ T(\eta) = ") and lines[2].endswith(r"\]")
    assert namespace["res"].runs == 20 and namespace["gamma"] > 0
