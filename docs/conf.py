"""Sphinx configuration for the sgd-theory-verifier documentation site.

Build it with ``pip install -e ".[docs]"`` and then
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.

* The API reference is generated from the numpydoc docstrings (``autodoc`` + ``numpydoc``).
* The notebooks under ``notebooks/`` are copied into ``docs/_notebooks/`` (ignored by git) and
  executed at build time by MyST-NB at small sizes (``THEORY_NB_QUICK=1``), so no output is ever
  stored in git.
* ``docs/theory.md`` is the theory page; the figures under ``docs/`` form the gallery.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import theory  # noqa: E402

project = "sgd-theory-verifier"
author = "The sgd-theory-verifier authors"
copyright = "2026, " + author
release = version = theory.__version__

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]

# Notebooks: copied in, executed fresh at small sizes; outputs live only in the built site.
_NB_SRC, _NB_DST = ROOT / "notebooks", HERE / "_notebooks"
if _NB_DST.exists():
    shutil.rmtree(_NB_DST)
_NB_DST.mkdir()
for nb in sorted(_NB_SRC.glob("*.ipynb")):
    shutil.copy2(nb, _NB_DST / nb.name)
os.environ.setdefault("THEORY_NB_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_in_temp = True

myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "verify_default_output.txt", "other_cases.txt",
                    "verify_large_output.txt", "batch_reuse_c*.txt"]

autodoc_member_order = "bysource"
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_validation_checks: set[str] = set()

html_theme = "furo" if __import__("importlib").util.find_spec("furo") else "alabaster"
html_title = f"sgd-theory-verifier {release}"
suppress_warnings = ["mystnb.unknown_mime_type"]
