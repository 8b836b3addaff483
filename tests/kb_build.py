"""One real knowledge base per test session, shared by the vocabulary tests (a build takes several seconds)."""

from __future__ import annotations

from pathlib import Path

from ml.knowledge import build_kb

_built: dict[Path, Path] = {}


def session_kb_dir(tmp_path_factory) -> Path:
    """Return an output folder holding the real knowledge base, built on first call in this session."""
    root = tmp_path_factory.getbasetemp()
    if root not in _built:
        out_dir = root / "shared-kb"
        build_kb(out_dir=out_dir)
        _built[root] = out_dir
    return _built[root]
