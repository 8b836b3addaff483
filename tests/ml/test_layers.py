"""The layer rule: no module of ml/ imports the web app, the worker, or their frameworks."""

import ast
from pathlib import Path

ML_DIR = Path(__file__).resolve().parents[2] / "ml"
FORBIDDEN = ("flask", "sqlalchemy", "rq", "app", "worker")


def forbidden_imports(source: str) -> list[str]:
    """Return the forbidden modules a source imports, as written (``flask_login``, ``app.audit``...)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FORBIDDEN or top.startswith("flask_"):
                found.append(name)
    return found


def test_the_check_catches_each_forbidden_import():
    source = "import flask\nfrom flask_login import current_user\nimport sqlalchemy.orm\nfrom rq import Queue\n"
    source += "from app.audit import record\nimport worker.registry\nimport numpy\nfrom ml.schema import X\n"
    assert forbidden_imports(source) == ["flask", "flask_login", "sqlalchemy.orm", "rq", "app.audit", "worker.registry"]
    assert forbidden_imports("import apply\nimport rqa\nfrom . import app\n") == []


def test_no_ml_module_imports_flask_sqlalchemy_rq_app_or_worker():
    modules = sorted(ML_DIR.rglob("*.py"))
    assert len(modules) > 20, modules
    offences = [
        f"{path.relative_to(ML_DIR.parent)} imports {name}"
        for path in modules
        for name in forbidden_imports(path.read_text(encoding="utf-8"))
    ]
    assert not offences, "ml/ must stay pure:\n" + "\n".join(offences)
