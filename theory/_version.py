"""The package version, in one place (pyproject.toml repeats it; a test checks they agree)."""

VERSION = "0.1.0"
