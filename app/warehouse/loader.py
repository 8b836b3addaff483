"""Bulk-load wrangled chunks into the warehouse tables, inside one transaction per upload.

PostgreSQL: ``COPY ... FROM STDIN`` through psycopg on the SQLAlchemy connection, case ids drawn from the
sequence in one round trip, patients merged through a temporary table with ``ON CONFLICT DO NOTHING`` (so
two uploads loading the same new patient at once do not collide). SQLite: ``executemany`` with the same SQL
shape. Either way nothing is visible to anybody else until the upload's transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ml.wrangling import WrangledChunk

CASE_TABLE_COLUMNS = (
    "id",
    "patient_id",
    "upload_id",
    "source",
    "row_number",
    "year",
    "age_group",
    "temperature_c",
    "temperature_band",
    "weight_kg",
    "height_cm",
)
SQLITE_BATCH = 500

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


def _patient_rows(cases) -> list[tuple[str, str | None, str | None]]:
    """Return one (pseudonym, sex, zip3) per patient of a chunk; a ZIP3 that varies within it becomes "*"."""
    patients: dict[str, list] = {}
    for pseudonym, sex, zip3 in zip(cases["pseudonym"], cases["sex"], cases["zip3"], strict=True):
        known = patients.get(pseudonym)
        if known is None:
            patients[pseudonym] = [pseudonym, sex, zip3]
            continue
        known[1] = known[1] or sex
        if zip3 is not None and known[2] != zip3:
            known[2] = zip3 if known[2] is None else "*"
    return [tuple(row) for row in patients.values()]


def _clean_text(text: str) -> str:
    """Drop NUL characters, which PostgreSQL text cannot hold."""
    return text.replace("\x00", "") if "\x00" in text else text


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

    def _prepare(self) -> None:
        """Create the temporary patients table (dropped when the transaction ends on PostgreSQL)."""
        cursor = self.driver.cursor()
        if self.dialect == "postgresql":
            cursor.execute("CREATE TEMP TABLE wh_patients (pseudonym text PRIMARY KEY, sex text, zip3 text) "
                           "ON COMMIT DROP")
        else:
            cursor.execute("CREATE TEMP TABLE IF NOT EXISTS wh_patients "
                           "(pseudonym TEXT PRIMARY KEY, sex TEXT, zip3 TEXT)")
        self._prepared = True

    def load(self, chunk: WrangledChunk) -> None:
        """Insert one chunk: patients (merged), cases, symptoms, diagnoses and notes."""
        if chunk.cases.empty:
            return
        if not self._prepared:
            self._prepare()
        patient_ids = self._merge_patients(_patient_rows(chunk.cases))
        case_ids = self._case_ids(len(chunk.cases))
        cases = chunk.cases
        case_rows = [
            (case_id, patient_ids[pseudonym], self.upload_id, self.source, row_number, year, age_group,
             temperature, band, weight, height)
            for case_id, pseudonym, row_number, year, age_group, temperature, band, weight, height in zip(
                case_ids, cases["pseudonym"], cases["row_number"], cases["year"], cases["age_group"],
                cases["temperature_c"], cases["temperature_band"], cases["weight_kg"], cases["height_cm"],
                strict=True,
            )
        ]
        self._insert("cases", CASE_TABLE_COLUMNS, case_rows)
        self._insert("case_symptoms", ("case_id", "upload_id", "hpo_id", "present", "severity"),
                     [(case_ids[at], self.upload_id, hpo_id, present, level)
                      for at, hpo_id, present, level in chunk.symptoms])
        self._insert("case_diagnoses", ("case_id", "upload_id", "disease_id", "code_system"),
                     [(case_ids[at], self.upload_id, disease_id, system) for at, disease_id, system in chunk.diagnoses])
        self._insert("notes", ("case_id", "upload_id", "text"),
                     [(case_ids[at], self.upload_id, _clean_text(text)) for at, text in chunk.notes])
        self.counts["cases"] += len(case_rows)
        self.counts["symptoms"] += len(chunk.symptoms)
        self.counts["diagnoses"] += len(chunk.diagnoses)
        self.counts["notes"] += len(chunk.notes)

    def _merge_patients(self, rows: list[tuple]) -> dict[str, int]:
        """Insert new patients, merge known ones, and return pseudonym → patient id for the chunk."""
        cursor = self.driver.cursor()
        cursor.execute("DELETE FROM wh_patients")
        self._insert("wh_patients", ("pseudonym", "sex", "zip3"), rows)
        cursor.execute("INSERT INTO patients (pseudonym, sex, zip3) SELECT pseudonym, sex, zip3 FROM wh_patients "
                       "WHERE true ON CONFLICT (pseudonym) DO NOTHING RETURNING id")
        self.counts["new_patients"] += len(cursor.fetchall())
        cursor.execute(_MERGE_PATIENTS)
        cursor.execute("SELECT p.pseudonym, p.id FROM patients AS p JOIN wh_patients AS t ON t.pseudonym = p.pseudonym")
        return dict(cursor.fetchall())

    def _scalar(self, sql: str) -> int:
        cursor = self.driver.cursor()
        cursor.execute(sql)
        return int(cursor.fetchone()[0])

    def _case_ids(self, count: int) -> list[int]:
        """Reserve ``count`` case ids: from the sequence on PostgreSQL, after the largest id on SQLite."""
        cursor = self.driver.cursor()
        if self.dialect == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence('cases', 'id')) FROM generate_series(1, %s)",
                           (count,))
            return [row[0] for row in cursor.fetchall()]
        # SQLite serialises writers, and this transaction already holds the write lock (it wrote patients).
        first = self._scalar("SELECT COALESCE(MAX(id), 0) FROM cases") + 1
        return list(range(first, first + count))

    def _insert(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """Append rows to a table: COPY on PostgreSQL, executemany in batches on SQLite."""
        rows = list(rows)
        if not rows:
            return
        cursor = self.driver.cursor()
        names = ", ".join(columns)
        if self.dialect == "postgresql":
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join("?" * len(columns))
        for start in range(0, len(rows), SQLITE_BATCH):
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows[start : start + SQLITE_BATCH])
