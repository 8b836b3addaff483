"""``flask demo generate`` writes the four demo sources and the manifest, and says clearly when it cannot."""

import json

import pytest

from tests.kb_build import session_kb_dir


@pytest.fixture(scope="session")
def kb_dir(tmp_path_factory):
    return session_kb_dir(tmp_path_factory)


def test_demo_generate_writes_four_sources_and_reports_their_counts(app, kb_dir, tmp_path):
    out = tmp_path / "demo"
    args = ["demo", "generate", "--out", str(out), "--patients", "120", "--seed", "5", "--kb", str(kb_dir)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["patients"] == 120 and manifest["seed"] == 5
    for source, entry in manifest["sources"].items():
        assert (out / entry["path"]).exists()
        assert f"{source:16} {entry['records']:>7} records" in result.output
    assert len(list((out / "notes").glob("*.txt"))) == manifest["sources"]["clinic_notes"]["records"]
    assert "Wrote 120 patients" in result.output


def test_demo_generate_defaults_to_the_instance_folder_and_knowledge_base(make_app, kb_dir, tmp_path):
    app = make_app(KB_DIR=str(kb_dir), INSTANCE_DIR=str(tmp_path / "instance"))
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--patients", "30"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "instance" / "demo" / "hospital_records.csv").is_file()


def test_demo_generate_without_a_knowledge_base_says_what_to_do(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 1 and "run `flask kb build` first" in result.output
    assert not (tmp_path / "demo").exists()


def test_demo_generate_refuses_a_folder_holding_other_files(app, kb_dir, tmp_path):
    out = tmp_path / "exports"
    out.mkdir()
    (out / "mine.csv").write_text("keep me")
    args = ["demo", "generate", "--out", str(out), "--patients", "20", "--kb", str(kb_dir)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1 and "not empty" in result.output
    assert [path.name for path in out.iterdir()] == ["mine.csv"]


def test_demo_generate_rejects_a_non_positive_patient_count(app, kb_dir, tmp_path):
    args = ["demo", "generate", "--out", str(tmp_path / "d"), "--patients", "0", "--kb", str(kb_dir)]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 2 and "--patients" in result.output
