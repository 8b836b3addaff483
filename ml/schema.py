"""The canonical patient record: its columns, which identify a person, which are dates, defined once.
"""

from __future__ import annotations

#: Every field of a canonical record, in order: what ``ml.ingest.apply_profile`` produces from any source.
CANONICAL_COLUMNS: list[str] = [
    "row_number",
    "patient_id",
    "name",
    "first_name",
    "last_name",
    "birth_date",
    "age",
    "sex",
    "visit_date",
    "zip",
    "address",
    "phone",
    "fax",
    "email",
    "national_id",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
    "temperature",
    "temperature_unit",
    "weight",
    "weight_unit",
    "height",
    "height_unit",
    "symptoms",
    "absent_symptoms",
    "severity",
    "diagnoses",
    "notes",
]
STRUCTURED_FIELDS = frozenset({"row_number", "symptoms", "absent_symptoms", "severity", "diagnoses", "notes"})
SCALAR_FIELDS = tuple(column for column in CANONICAL_COLUMNS if column not in STRUCTURED_FIELDS)

NAME_COLUMNS = ("name", "first_name", "last_name")

#: Columns that identify a person directly; none of them survives ``anonymize_records``.
#: ``zip`` is listed because only its generalisation (``zip3``) is kept.
DIRECT_IDENTIFIER_COLUMNS = (
    "patient_id",
    *NAME_COLUMNS,
    "zip",
    "address",
    "phone",
    "fax",
    "email",
    "national_id",
    "mrn",
    "health_plan_id",
    "account_number",
    "license_number",
    "vehicle_id",
    "device_id",
    "url",
    "ip_address",
)

#: Dates of the record: dropped in ``date_mode="year"``, shifted per patient in ``date_mode="shift"``.
DATE_COLUMNS = ("birth_date", "visit_date")

#: Clinical columns copied unchanged: measurements, units and coded categories carry no identifiers.
CLINICAL_COLUMNS = (
    "sex",
    "temperature",
    "temperature_unit",
    "weight",
    "weight_unit",
    "height",
    "height_unit",
    "severity",
)

#: Columns anonymize_records computes; "age" is kept only when it is a quasi-identifier.
DERIVED_COLUMNS = ("pseudonym", "age", "age_group", "year", "zip3")

