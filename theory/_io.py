"""Writing files and JSON, once for every layer.

* :func:`atomic_write` — a temporary file in the target's folder, ``fsync``, ``os.replace``: a
  reader (or a resumed sweep) sees the old file or the new one, never half of one.
* :func:`json_default` — the ``default=`` hook that turns numpy scalars, arrays and sets into
  JSON values; used with ``allow_nan=False`` after non-finite floats have been mapped to ``null``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

__all__ = ["atomic_write", "json_default"]


def _default_mode() -> int:
    """The mode ``open()`` would give a new file: ``0o666`` less the process umask."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path, data: str | bytes, mode: int | None = None) -> None:
    """Write ``data`` (text as UTF-8, or bytes) to ``path`` atomically.

    The file gets ``mode`` (default: what ``open()`` would give a new file, ``0o666`` less the
    umask), not the ``0o600`` of the temporary file it is written through.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _default_mode() if mode is None else mode)
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def json_default(obj):
    """``json.dumps(default=...)`` hook for numpy scalars and arrays and for sets (sorted)."""
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"object of type {type(obj).__name__} is not JSON-serialisable")
