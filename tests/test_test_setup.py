"""`make test` prepares its own machine (scripts/ensure_test_services.sh), and CI runs exactly `make test`."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "ensure_test_services.sh"


def recipe(target: str) -> list[str]:
    """Return the command lines of a Makefile target."""
    match = re.search(rf"^{target}:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), flags=re.M)
    assert match, f"no {target} target"
    return [line.strip() for line in match.group(1).splitlines()]


def test_make_test_runs_the_set_up_before_pytest_and_ci_runs_make_test():
    lines = recipe("test")
    assert lines[0] == "scripts/ensure_test_services.sh" and "pytest" in lines[-1]
    ci = [line for line in (ROOT / ".ci" / "run").read_text().splitlines() if line and not line.startswith("#")]
    assert ci[-1] == "make test"
    assert "apt-get" not in "\n".join(ci), "one copy of the set-up: the script"


def test_set_up_does_nothing_and_says_nothing_when_everything_is_there():
    # Installing or starting anything prints a "make test: …" line, so silence means nothing was done.
    result = subprocess.run([str(SCRIPT)], capture_output=True, text=True, cwd=ROOT)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_set_up_says_in_one_line_what_to_install_when_it_cannot_install(tmp_path):
    (tmp_path / "id").symlink_to("/usr/bin/id")  # a PATH without chromium nor apt-get
    result = subprocess.run(["/bin/bash", str(SCRIPT)], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": str(tmp_path)})
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "install chromium" in result.stderr
