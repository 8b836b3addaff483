"""``flask evaluate simulated`` and ``flask rank-cases`` on the session's knowledge base."""

from __future__ import annotations

import csv
import json

import pytest

from tests.kb_build import session_kb_dir


@pytest.fixture
def runner(make_app, tmp_path_factory):
    return make_app(KB_DIR=str(session_kb_dir(tmp_path_factory))).test_cli_runner()


def write_cohort(path, rows, header=("case_id", "present_hpo", "excluded_hpo", "note")):
    path.write_text("\n".join("\t".join(row) for row in [header, *rows]) + "\n")
    return path


def read_rows(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_rank_cases_ranks_each_case_and_reports_unknown_ids_without_failing(runner, tmp_path):
    cohort = write_cohort(
        tmp_path / "cases.tsv",
        [
            ("marfan", "HP:0001083,HP:0001166,HP:0002616,HP:0000098", "", "ignored"),
            ("mixed", "HP:9999999, HP:0000057", "HP:0001250", ""),  # unknown id; obsolete id with a replacement
            ("nothing", "HP:1234567", "", ""),
            ("empty", "", "", ""),
        ],
    )
    output = tmp_path / "ranked.tsv"
    result = runner.invoke(args=["rank-cases", "--input", str(cohort), "--output", str(output), "--top", "5"])
    assert result.exit_code == 0, result.output
    rows = read_rows(output)
    assert rows and list(rows[0]) == ["case_id", "rank", "disease_id", "score", "warning"]
    by_case = {}
    for row in rows:
        by_case.setdefault(row["case_id"], []).append(row)
    ranked = [row for row in by_case["marfan"] if row["rank"]]
    assert [row["rank"] for row in ranked] == ["1", "2", "3", "4", "5"]
    assert {"OMIM:154700", "ORPHA:558"} & {row["disease_id"] for row in ranked[:3]}  # Marfan, OMIM or Orphanet
    assert [float(row["score"]) for row in ranked] == sorted((float(row["score"]) for row in ranked), reverse=True)
    mixed = by_case["mixed"]
    assert mixed[0]["warning"] == "unknown HPO ids ignored: HP:9999999" and len(mixed) == 6
    assert by_case["nothing"][-1]["warning"] == "no usable HPO term: case not ranked"
    assert by_case["empty"] == [
        {
            "case_id": "empty",
            "rank": "",
            "disease_id": "",
            "score": "",
            "warning": "no usable HPO term: case not ranked",
        }
    ]
    assert "4 cases" in result.output


def test_rank_cases_refuses_a_file_without_the_columns_and_the_champion_without_one(runner, tmp_path):
    bad = write_cohort(tmp_path / "bad.tsv", [("a", "HP:0001083")], header=("id", "terms"))
    result = runner.invoke(args=["rank-cases", "--input", str(bad), "--output", str(tmp_path / "out.tsv")])
    assert result.exit_code == 1 and "missing column(s) case_id, present_hpo" in result.output
    good = write_cohort(tmp_path / "good.tsv", [("a", "HP:0001083", "", "")])
    result = runner.invoke(
        args=["rank-cases", "--input", str(good), "--output", str(tmp_path / "out.tsv"), "--model", "champion"]
    )
    assert result.exit_code == 1 and "No champion model to rank with" in result.output and "--model kb" in result.output
    assert not (tmp_path / "out.tsv").exists()


def test_evaluate_simulated_prints_both_models_on_the_same_patients(runner):
    result = runner.invoke(
        args=[
            "evaluate",
            "simulated",
            "--patients",
            "40",
            "--terms",
            "3",
            "--imprecision",
            "0.5",
            "--noise",
            "1",
            "--excluded",
            "1",
            "--seed",
            "3",
            "--json",
        ]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"dxflow", "resnik"}
    for name in figures:
        assert figures[name]["patients"] == 40
        assert 0 <= figures[name]["top1"] <= figures[name]["top3"] <= figures[name]["top10"] <= 1
    table = runner.invoke(args=["evaluate", "simulated", "--patients", "10", "--seed", "3"])
    assert table.exit_code == 0 and "dxflow" in table.output and "resnik" in table.output
