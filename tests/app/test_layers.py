"""Dependencies run one way, worker → app → ml: no module of ``app/`` imports ``worker``."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"


def _imports_of(path: Path) -> list[tuple[int, str]]:
    """Return (line, module) for every import statement in ``path``, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def test_no_module_of_app_imports_worker():
    modules = sorted(APP.rglob("*.py"))
    assert len(modules) > 20  # The walk found the package.
    offenders = [f"{path.relative_to(APP.parent)}:{line} imports {name}"
                 for path in modules for line, name in _imports_of(path)
                 if name == "worker" or name.startswith("worker.")]
    assert offenders == []
