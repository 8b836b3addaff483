"""``flask kb build`` and ``flask kb info`` on the real HPO files."""

import json

import pytest


def test_kb_info_without_a_build_says_what_to_do(app):
    result = app.test_cli_runner().invoke(args=["kb", "info"])
    assert result.exit_code == 1 and "run `flask kb build` first" in result.output


@pytest.mark.slow
@pytest.mark.any_backend  # files only: the build takes seconds and touches no database
def test_kb_build_then_info_reports_counts_and_versions(app):
    runner = app.test_cli_runner()
    built = runner.invoke(args=["kb", "build"])
    assert built.exit_code == 0, built.output
    info = json.loads(runner.invoke(args=["kb", "info", "--json"]).output)
    assert info["hpo_release"] == "2025-01-16"
    assert info["diseases_by_source"]["ICD10"] >= 40 and info["diseases_by_source"]["ORPHA"] > 4000
    assert info["terms"] > 19000 and info["load_seconds"] > 0
