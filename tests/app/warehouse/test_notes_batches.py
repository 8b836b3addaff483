"""A folder, a multi-file selection or a .zip of clinic notes is one upload, one job and one report."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Job, Note, Upload, UploadStatus
from app.warehouse import UploadRefused, create_upload
from tests.app.warehouse.test_warehouse import COUGH, FEVER, ingest, symptoms_of
from tests.kb_build import session_kb_dir

NOTES = {
    "P-0001.txt": "Paciente Carmen Vidal, DNI 11223344B. Refiere tos y fiebre; niega disnea.",
    "P-0002.txt": "Patient John Smith reports cough since Monday.",
    "P-0003.txt": "Refiere fiebre alta desde ayer.",
}


@pytest.fixture
def wh(make_app, tmp_path_factory):
    """The app under test with the session's knowledge base and k=1 (tiny uploads), with a twin's context."""
    settings = {"KB_DIR": str(session_kb_dir(tmp_path_factory)), "K_ANONYMITY": 1}
    app = make_app(**settings)
    with make_app(**settings).app_context():
        yield app


def notes_zip(notes=NOTES) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in notes.items():
            archive.writestr(f"clinic/{name}", text)
    return buffer.getvalue()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def assert_one_upload_of_every_note(upload: Upload) -> None:
    assert (upload.status, upload.error) == (UploadStatus.LOADED, None), upload.report
    assert count(Upload) == 1 and upload.rows_read == upload.rows_loaded == len(NOTES)
    assert upload.report["read"]["rows"] == len(NOTES) and upload.report["load"]["cases"] == len(NOTES)
    assert count(Case) == count(Note) == len(NOTES)
    assert upload.filename.startswith("note-") and upload.filename.endswith(".zip")  # entry names are patient ids
    texts = db.session.scalars(select(Note.text)).all()
    assert texts and not any("Carmen" in text or "11223344B" in text for text in texts)
    symptoms = [symptoms_of(case) for case in db.session.scalars(select(Case).order_by(Case.row_number))]
    assert [FEVER in found and found[FEVER] for found in symptoms] == [True, False, True]
    assert symptoms[0][COUGH] and symptoms[1][COUGH]


def test_a_zip_of_notes_is_one_upload_with_one_report_and_a_case_per_note(wh):
    [upload] = ingest([("clinic-2026.zip", notes_zip())], source="clinic", profile="clinic_notes")
    assert_one_upload_of_every_note(upload)
    assert upload.format == "zip" and upload.report["read"]["format"] == "zip"


def test_several_notes_in_one_batch_are_packed_into_one_upload(wh):
    uploads = ingest([(name, text.encode()) for name, text in NOTES.items()], source="clinic",
                     profile="clinic_notes")
    assert len(uploads) == 1
    assert_one_upload_of_every_note(uploads[0])
    with pytest.raises(UploadRefused, match="already uploaded"):  # the same selection packs to the same bytes
        create_upload([(name, io.BytesIO(text.encode())) for name, text in reversed(NOTES.items())], "clinic",
                      "clinic_notes", enqueue=False)
    assert count(Upload) == 1


def test_a_zip_with_a_path_out_of_the_archive_fails_clearly_and_loads_nothing(wh):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../etc/P-0001.txt", "tos")
    [upload] = ingest([("evil.zip", buffer.getvalue())], source="clinic", profile="clinic_notes")
    assert upload.status == UploadStatus.FAILED and "leaves the archive" in upload.error
    assert count(Case) == 0


def test_a_zip_without_notes_fails_with_a_message_that_reads_right(wh):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("folder/", "")
    [upload] = ingest([("notes.zip", buffer.getvalue())], source="clinic", profile="clinic_notes")
    assert upload.status == UploadStatus.FAILED
    assert upload.error == f"{upload.filename} holds no text notes (.txt, .text, .note, .md)."


def test_flask_ingest_of_a_folder_is_one_upload_and_one_job(wh, tmp_path, run_worker):
    folder = tmp_path / "notes"
    (folder / "older").mkdir(parents=True)
    for index, (name, text) in enumerate(NOTES.items()):
        (folder / ("older" if index == 2 else "") / name).write_text(text, encoding="utf-8")
    (folder / ".hidden.txt").write_text("not a note", encoding="utf-8")
    runner = wh.test_cli_runner()
    queued = runner.invoke(args=["ingest", str(folder), "--source", "clinic", "--profile", "clinic_notes"])
    assert queued.exit_code == 0, queued.output
    assert queued.output.count("queued as job #") == 1 and count(Job) == 1
    run_worker()
    [upload] = db.session.scalars(select(Upload)).all()
    db.session.refresh(upload)
    assert_one_upload_of_every_note(upload)


def test_flask_ingest_of_a_folder_without_notes_says_so(wh, tmp_path):
    (tmp_path / "empty").mkdir()
    result = wh.test_cli_runner().invoke(args=["ingest", str(tmp_path / "empty"), "--source", "clinic",
                                               "--profile", "clinic_notes", "--wait"])
    assert result.exit_code == 1 and "holds no text notes" in result.output and count(Upload) == 0


def test_flask_ingest_wait_prints_one_report_for_a_folder(wh, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    for name, text in NOTES.items():
        (folder / name).write_text(text, encoding="utf-8")
    result = wh.test_cli_runner().invoke(args=["ingest", str(folder), "--source", "clinic", "--profile",
                                               "clinic_notes", "--wait"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows_loaded"] == len(NOTES)
