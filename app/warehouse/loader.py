"""Bulk-load wrangled chunks into the warehouse tables, inside one transaction per upload.

PostgreSQL: one ``COPY ... FROM STDIN`` per table and chunk, fed with text the loader formats itself (in
batches, so PostgreSQL parses one batch while the next is formatted); case ids drawn from the sequence in one
round trip; patients merged through a temporary table (a plain insert of the missing ones, retried with
``ON CONFLICT DO NOTHING`` when another upload has just inserted the same new patient). SQLite: ``executemany``
with the same SQL shape. Either way nothing is visible to anybody else until the upload's transaction commits.

Cases reference their patient and upload without foreign keys (migration 0004: the two per-row checks were
half of the load time). What the keys guaranteed, the code guarantees instead: the loader takes the ids of the
patients it has just merged, checks its upload row once, and holds :data:`WAREHOUSE_LOCK` shared for its whole
transaction; ``app.warehouse.service.delete_upload`` takes it exclusively (or refuses), so no upload or patient
disappears under a load that is about to reference it, and deletion always sees committed loads whole.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from ml.ingest import WrangledChunk

# The case columns copied as they are, with their kind (see copy_column).
CASE_VALUE_COLUMNS = {"year": "text", "age_group": "text", "temperature_c": "float", "temperature_band": "text",
                      "weight_kg": "float", "height_cm": "float"}
SQLITE_BATCH = 500
# Rows formatted per write into a COPY: small enough for PostgreSQL to work while the next batch is formatted.
COPY_BATCH = 5_000
#: PostgreSQL advisory lock key ("dxflow" in ASCII): loads hold it shared, upload deletion exclusively.
WAREHOUSE_LOCK = 0x647866_6C6F77

_INSERT_PATIENTS = ("INSERT INTO patients (pseudonym, sex, zip3) SELECT t.pseudonym, t.sex, t.zip3 "
                    "FROM wh_patients AS t WHERE true")
# Patients met again keep their first sex, and their ZIP3 becomes "*" when two records disagree.
_MERGE_PATIENTS = """
UPDATE patients SET
    sex = COALESCE(patients.sex, t.sex),
    zip3 = CASE WHEN patients.zip3 IS NULL THEN t.zip3
                WHEN t.zip3 IS NULL OR t.zip3 = patients.zip3 THEN patients.zip3
                ELSE '*' END
FROM wh_patients AS t
WHERE patients.pseudonym = t.pseudonym
  AND ((patients.sex IS NULL AND t.sex IS NOT NULL)
       OR (t.zip3 IS NOT NULL AND (patients.zip3 IS NULL OR patients.zip3 <> t.zip3)))
"""


class LoadRefused(RuntimeError):
    """The upload to load into no longer exists."""


def _patient_rows(cases) -> list[tuple[str, str | None, str | None]]:
    """Return one (pseudonym, sex, zip3) per patient of a chunk: the first sex given, and the ZIP3 given, or "*"
    when the chunk gives the patient two different ones."""
    grouped = cases[["pseudonym", "sex", "zip3"]].groupby("pseudonym", sort=False)
    sexes, zip3s = grouped["sex"].first(), grouped["zip3"].agg(["first", "nunique"])
    zip3s = zip3s["first"].where(zip3s["nunique"] <= 1, "*")
    return [(pseudonym, _none(sex), _none(zip3))
            for pseudonym, sex, zip3 in zip(sexes.index, sexes.tolist(), zip3s.tolist(), strict=True)]


def _none(value):
    """Return None for pandas' missing values."""
    return None if value is None or value != value else value


def _clean_text(text: str) -> str:
    """Drop NUL characters, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "") if "\x00" in text else text


_COPY_SPECIAL = re.compile(r"[\\\t\n\r\x00]")
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": ""})
NULL = "\\N"


def copy_text_value(value) -> str:
    """Return a text value in COPY text format: backslash, tab and line breaks escaped, NUL dropped."""
    return value.translate(_COPY_ESCAPES) if _COPY_SPECIAL.search(value) else value


def copy_float(value) -> str:
    """Return a number in COPY text format, exactly (``repr``), with PostgreSQL's names for NaN and infinities."""
    value = float(value)  # NumPy's repr is "np.float64(...)"
    if math.isfinite(value):
        return repr(value)
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def copy_column(kind: str, values: Sequence) -> list[str]:
    """Format one column (``int``, ``float``, ``bool`` or ``text``) in COPY text format; None is NULL."""
    if kind == "int":
        return [NULL if value is None else str(int(value)) for value in values]
    if kind == "float":
        return [NULL if value is None else copy_float(value) for value in values]
    if kind == "bool":
        return [NULL if value is None else ("t" if value else "f") for value in values]
    # Texts repeat (HPO ids, codes, bands): escape each distinct one once.
    escaped: dict[str, str] = {}
    return [NULL if value is None else escaped.get(value) or escaped.setdefault(value, copy_text_value(value))
            for value in values]


# A column to load: its kind and either one value per row or one value for every row.
Column = tuple[str, object]


def _column_values(column: Column, count: int) -> Sequence:
    """Return a column's values, one per row."""
    _, values = column
    return values if isinstance(values, list | tuple) else [values] * count


def _batch_text(kind: str, values, start: int, stop: int) -> Sequence[str]:
    """Return rows ``start:stop`` of a column as COPY text (a constant column is formatted once)."""
    if isinstance(values, list | tuple):
        return copy_column(kind, values[start:stop])
    return [copy_column(kind, [values])[0]] * (stop - start)


def _columns(rows: Sequence[tuple], width: int) -> list[list]:
    """Transpose row tuples into ``width`` columns (empty ones when there are no rows)."""
    return [[row[index] for row in rows] for index in range(width)]  # zip(*rows) is ten times slower


class WarehouseLoader:
    """Load the chunks of one upload through a connection whose transaction the caller owns."""

    def __init__(self, connection, *, upload_id: int, source: str) -> None:
        self.connection = connection
        self.dialect = connection.dialect.name
        self.driver = connection.connection.driver_connection
        self.upload_id = upload_id
        self.source = source
        self.counts = {"cases": 0, "symptoms": 0, "diagnoses": 0, "notes": 0, "new_patients": 0}
        self._prepared = False
        self._case_sequence = ""

    def _prepare(self) -> None:
        """Lock out deletions, check the upload, and create the temporary patients table."""
        cursor = self.driver.cursor()
        if self.dialect == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", (WAREHOUSE_LOCK,))
            cursor.execute("SELECT pg_get_serial_sequence('cases', 'id')")
            self._case_sequence = cursor.fetchone()[0]
            cursor.execute("CREATE TEMP TABLE wh_patients (pseudonym text, sex text, zip3 text) ON COMMIT DROP")
        else:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS wh_patients "
                           "(pseudonym TEXT PRIMARY KEY, sex TEXT, zip3 TEXT)")
        cursor.execute(
            "SELECT 1 FROM uploads WHERE id = %s FOR KEY SHARE" if self.dialect == "postgresql"
            else "SELECT 1 FROM uploads WHERE id = ?", (self.upload_id,))
        if cursor.fetchone() is None:
            raise LoadRefused(f"upload {self.upload_id} does not exist")
        self._prepared = True

    def load(self, chunk: WrangledChunk) -> None:
        """Insert one chunk: patients (merged), cases, symptoms, diagnoses and notes."""
        if chunk.cases.empty:
            return
        if not self._prepared:
            self._prepare()
        cases, upload = chunk.cases, ("int", self.upload_id)
        patient_ids = self._merge_patients(_patient_rows(cases))
        case_ids = self._case_ids(len(cases))
        self._insert("cases", {
            "id": ("int", case_ids),
            "patient_id": ("int", [patient_ids[pseudonym] for pseudonym in cases["pseudonym"]]),
            "upload_id": upload,
            "source": ("text", self.source),
            "row_number": ("int", cases["row_number"].tolist()),
            **{column: (kind, cases[column].tolist()) for column, kind in CASE_VALUE_COLUMNS.items()},
        }, len(cases))
        positions, hpo_ids, present, levels = _columns(chunk.symptoms, 4)
        self._insert("case_symptoms", {
            "case_id": ("int", [case_ids[at] for at in positions]), "upload_id": upload, "hpo_id": ("text", hpo_ids),
            "present": ("bool", present), "severity": ("float", levels),
        }, len(chunk.symptoms))
        positions, disease_ids, systems = _columns(chunk.diagnoses, 3)
        self._insert("case_diagnoses", {
            "case_id": ("int", [case_ids[at] for at in positions]), "upload_id": upload,
            "disease_id": ("text", disease_ids), "code_system": ("text", systems),
        }, len(chunk.diagnoses))
        positions, texts = _columns(chunk.notes, 2)
        self._insert("notes", {
            "case_id": ("int", [case_ids[at] for at in positions]), "upload_id": upload,
            "text": ("text", [_clean_text(text) for text in texts]),
        }, len(chunk.notes))
        self.counts["cases"] += len(cases)
        self.counts["symptoms"] += len(chunk.symptoms)
        self.counts["diagnoses"] += len(chunk.diagnoses)
        self.counts["notes"] += len(chunk.notes)

    def _merge_patients(self, rows: list[tuple]) -> dict[str, int]:
        """Insert new patients, merge known ones, and return pseudonym → patient id for the chunk."""
        cursor = self.driver.cursor()
        cursor.execute("TRUNCATE wh_patients" if self.dialect == "postgresql" else "DELETE FROM wh_patients")
        pseudonyms, sexes, zip3s = _columns(rows, 3)
        self._insert("wh_patients", {"pseudonym": ("text", pseudonyms), "sex": ("text", sexes),
                                     "zip3": ("text", zip3s)}, len(rows))
        ids = self._insert_new_patients(cursor)
        self.counts["new_patients"] += len(ids)
        if len(ids) < len(rows):  # some were known: merge them and fetch their ids
            cursor.execute(_MERGE_PATIENTS)
            cursor.execute("SELECT p.pseudonym, p.id FROM patients AS p JOIN wh_patients AS t "
                           "ON t.pseudonym = p.pseudonym")
            ids = dict(cursor.fetchall())
        return ids

    def _insert_new_patients(self, cursor) -> dict[str, int]:
        """Insert the chunk's patients not in the table yet; return pseudonym → id of those inserted.

        A plain insert of the missing ones is a third cheaper than ``ON CONFLICT`` (no speculative insertion); if
        a concurrent upload has just inserted one of them, the insert is retried with ``ON CONFLICT DO NOTHING``.
        """
        if self.dialect != "postgresql":
            cursor.execute(_INSERT_PATIENTS + " ON CONFLICT (pseudonym) DO NOTHING RETURNING pseudonym, id")
            return dict(cursor.fetchall())
        from psycopg.errors import UniqueViolation

        cursor.execute("SAVEPOINT wh_new_patients")
        try:
            cursor.execute(_INSERT_PATIENTS + " AND NOT EXISTS (SELECT 1 FROM patients AS p "
                           "WHERE p.pseudonym = t.pseudonym) RETURNING pseudonym, id")
        except UniqueViolation:
            cursor.execute("ROLLBACK TO SAVEPOINT wh_new_patients")
            cursor.execute(_INSERT_PATIENTS + " ON CONFLICT (pseudonym) DO NOTHING RETURNING pseudonym, id")
        ids = dict(cursor.fetchall())
        cursor.execute("RELEASE SAVEPOINT wh_new_patients")
        return ids

    def _scalar(self, sql: str) -> int:
        cursor = self.driver.cursor()
        cursor.execute(sql)
        return int(cursor.fetchone()[0])

    def _case_ids(self, count: int) -> list[int]:
        """Reserve ``count`` case ids: from the sequence on PostgreSQL, after the largest id on SQLite."""
        cursor = self.driver.cursor()
        if self.dialect == "postgresql":
            # The sequence is named once (_prepare): pg_get_serial_sequence per row cost 0.6 s per 100,000 ids.
            cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", (self._case_sequence, count))
            return [row[0] for row in cursor.fetchall()]
        # SQLite serialises writers, and this transaction already holds the write lock (it wrote patients).
        first = self._scalar("SELECT COALESCE(MAX(id), 0) FROM cases") + 1
        return list(range(first, first + count))

    def _insert(self, table: str, columns: dict[str, Column], count: int) -> None:
        """Append ``count`` rows to a table: COPY on PostgreSQL, executemany in batches on SQLite."""
        if not count:
            return
        cursor = self.driver.cursor()
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for start in range(0, count, COPY_BATCH):
                    stop = min(start + COPY_BATCH, count)
                    fields = [_batch_text(kind, values, start, stop) for kind, values in columns.values()]
                    copy.write("".join([f"{line}\n" for line in map("\t".join, zip(*fields, strict=True))]))
            return
        rows = list(zip(*(_column_values(column, count) for column in columns.values()), strict=True))
        marks = ", ".join("?" * len(columns))
        for start in range(0, count, SQLITE_BATCH):
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows[start : start + SQLITE_BATCH])
