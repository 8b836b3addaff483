"""A .zip of clinic notes is one file read as one row per note, and only a safe archive of text notes is read."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest

from ml.ingest import IngestionError, pack_notes, read_file, read_sample

NOTES = {"P0002.txt": "Paciente con fiebre y tos.", "P0001.txt": "Fatigue and headache.", "P0003.md": "Rash."}


def packed(tmp_path, notes=NOTES, name="notes.zip"):
    path = tmp_path / name
    with path.open("wb") as out:
        count = pack_notes(((key, io.BytesIO(text.encode())) for key, text in notes.items()), out)
    assert count == len(notes)
    return path


def rows(path):
    frames = list(read_file(path, chunksize=2))
    assert frames
    return [row for frame in frames for row in frame.to_dict("records")]


def test_a_packed_zip_reads_back_as_one_row_per_note_in_name_order(tmp_path):
    read = rows(packed(tmp_path))
    assert [row["row_number"] for row in read] == [1, 2, 3]
    assert [(row["note_id"], row["source_ref"]) for row in read] == [
        ("P0001", "P0001.txt"), ("P0002", "P0002.txt"), ("P0003", "P0003.md")]
    assert read[1]["notes"] == "Paciente con fiebre y tos."
    assert list(read_sample(packed(tmp_path, name="again.zip")).columns) == ["row_number", "notes", "source_ref",
                                                                              "note_id"]


def test_packing_is_deterministic_so_a_batch_uploaded_twice_is_recognised(tmp_path):
    first, second = io.BytesIO(), io.BytesIO()
    pack_notes([(k, io.BytesIO(v.encode())) for k, v in NOTES.items()], first)
    pack_notes([(k, io.BytesIO(v.encode())) for k, v in reversed(NOTES.items())], second)
    assert first.getvalue() == second.getvalue()


def test_packing_refuses_what_is_not_a_note(tmp_path):
    with pytest.raises(IngestionError, match="not a text note"):
        pack_notes([("a.txt", io.BytesIO(b"x")), ("b.csv", io.BytesIO(b"id\n1\n"))], io.BytesIO())
    with pytest.raises(IngestionError, match="same file name"):
        pack_notes([("dir/a.txt", io.BytesIO(b"x")), ("a.txt", io.BytesIO(b"y"))], io.BytesIO())


def zip_with(tmp_path, entries, name="batch.zip", compression=zipfile.ZIP_DEFLATED):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for entry, data in entries:
            archive.writestr(entry, data)
    return path


def test_folders_and_macos_metadata_are_passed_over(tmp_path):
    path = zip_with(tmp_path, [("notes/", b""), ("notes/P1.txt", b"tos"), ("__MACOSX/notes/._P1.txt", b"\x00\x05"),
                               ("notes/.DS_Store", b"\x00")])
    assert [(row["note_id"], row["notes"]) for row in rows(path)] == [("P1", "tos")]


@pytest.mark.parametrize(("entries", "message"), [
    ([("../escape.txt", b"x")], "leaves the archive"),
    ([("/etc/passwd.txt", b"x")], "leaves the archive"),
    ([("ok.txt", b"x"), ("data.csv", b"id\n1\n")], "not a text note"),
    ([("run.exe", b"MZ")], "not a text note"),
    ([("a/P1.txt", b"x"), ("b/P1.txt", b"y")], "same file name"),
    ([("empty.txt", b"   ")], "note 1 is empty"),
    ([("latin.txt", "Náuseas y fiebre.".encode("cp1252"))], None),
    ([("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")], "binary file, not a text note"),
    ([], "no text notes"),
])
def test_unsafe_or_unsuitable_archives_are_refused_whole(tmp_path, entries, message):
    path = zip_with(tmp_path, entries)
    if message is None:  # a cp1252 note is decoded, not refused
        assert [row["notes"] for row in rows(path)] == ["Náuseas y fiebre."]
        return
    with pytest.raises(IngestionError, match=message) as raised:
        rows(path)
    assert "P1" not in raised.value.message and "escape" not in raised.value.message  # entries named by number


def test_a_zip_bomb_is_refused_before_inflating_it(tmp_path):
    path = zip_with(tmp_path, [("bomb.txt", b"a" * (8 * 1024 * 1024))])
    with pytest.raises(IngestionError, match="zip bomb"):
        rows(path)


def test_a_note_over_the_size_limit_is_refused(tmp_path):
    path = zip_with(tmp_path, [("big.txt", b"ab\n" * (4 * 1024 * 1024))], compression=zipfile.ZIP_STORED)
    with pytest.raises(IngestionError, match="larger than 10 MB"):
        rows(path)


def test_symbolic_links_and_encrypted_entries_are_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        info = zipfile.ZipInfo("link.txt")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(IngestionError, match="symbolic link"):
        rows(path)
    raw = bytearray(zip_with(tmp_path, [("a.txt", b"secret")], name="enc.zip").read_bytes())
    raw[6] |= 0x1  # the local header's encryption flag
    central = raw.rfind(b"PK\x01\x02")
    raw[central + 8] |= 0x1  # and the central directory's
    (tmp_path / "enc.zip").write_bytes(bytes(raw))
    with pytest.raises(IngestionError, match="encrypted"):
        rows(tmp_path / "enc.zip")


def test_a_zip_that_is_not_named_zip_is_still_refused(tmp_path):
    path = zip_with(tmp_path, [("a.txt", b"x")], name="notes.bin")
    with pytest.raises(IngestionError, match="zip archive"):
        rows(path)
