"""One real knowledge base per test run, shared by the tests that need one (a build takes several seconds).

Under pytest-xdist the workers share it too: the first to ask builds it under the run's common temporary folder
while holding a lock, the others wait for it and read the same files.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ml.knowledge import build_kb

_built: dict[Path, Path] = {}


def session_kb_dir(tmp_path_factory) -> Path:
    """Return an output folder holding the real knowledge base, built on first call in this run."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # The run's folder, holding one basetemp per worker.
    if root not in _built:
        out_dir = root / "shared-kb"
        with open(root / "shared-kb.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            done = root / "shared-kb.built"
            if not done.exists():
                build_kb(out_dir=out_dir)
                done.touch()
        _built[root] = out_dir
    return _built[root]
