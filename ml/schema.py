"""The canonical patient record and the rows built from it: columns, identifier columns, date columns, defined once.

Every stage imports these from here; ``ml.dataset`` holds the separate shape of the warehouse frames.
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

#: Measurements harmonised to SI units (``ml.harmonization.harmonize_units``); they carry no identifier.
MEASURED_COLUMNS = ("temperature_c", "temperature_band", "weight_kg", "height_cm")

#: A case row as the ingestion pipeline hands it to the warehouse: pseudonym, quasi-identifiers, measurements.
CASE_ROW_COLUMNS = (
    "row_number",
    "pseudonym",
    "sex",
    "zip3",
    "year",
    "age_group",
    "temperature_c",
    "temperature_band",
    "weight_kg",
    "height_cm",
)
