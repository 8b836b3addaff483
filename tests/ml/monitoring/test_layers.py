"""ml.monitoring stays pure: no web, database or queue imports, in its source or at run time."""

import ast
import subprocess
import sys
from pathlib import Path

import ml.monitoring

FORBIDDEN = ("flask", "sqlalchemy", "rq", "redis", "app", "worker")
PACKAGE = Path(ml.monitoring.__file__).parent


def test_no_module_of_ml_monitoring_imports_the_app_side():
    sources = sorted(PACKAGE.glob("*.py"))
    assert len(sources) >= 6
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not [name for name in names if name.split(".")[0] in FORBIDDEN], path.name


def test_importing_ml_monitoring_loads_none_of_them():
    code = "import sys, ml.monitoring; print(','.join(sorted({m.split('.')[0] for m in sys.modules})))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parents[1]
    ).stdout
    assert "numpy" in loaded.split(",")
    assert not set(loaded.strip().split(",")) & set(FORBIDDEN)


def test_every_name_in_all_is_exported():
    assert ml.monitoring.__all__ and all(hasattr(ml.monitoring, name) for name in ml.monitoring.__all__)
