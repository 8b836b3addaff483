"""De-identify canonical patient records before they reach the warehouse.

Everything here is a pure function over pandas and the standard library. The ingestion pipeline hands
:func:`anonymize_records` (:mod:`ml.privacy.records`) a frame of canonical records; what comes back holds a keyed
pseudonym instead of any identifier (:mod:`ml.privacy.pseudonyms`), coarse quasi-identifiers (age group, visit
year, ZIP3; :mod:`ml.privacy.generalize`) that are k-anonymous (:mod:`ml.privacy.kanon`), and free text with
identifiers replaced by typed placeholders such as ``[NAME]`` or ``[PHONE]`` (:mod:`ml.privacy.scrub`).
See docs/PRIVACY.md for what this does and does not cover relative to HIPAA Safe Harbor.
"""

from ml.privacy.generalize import (
    AGE_GROUP_WIDENING,
    AGE_GROUPS,
    MAX_PLAUSIBLE_AGE,
    RESTRICTED_ZIP3,
    SAFE_HARBOR_AGE_CAP,
    UNKNOWN_AGE_GROUP,
    age_from,
    age_group,
    clean_age,
    generalize_date,
    safe_harbor_age,
    zip3,
)
from ml.privacy.kanon import (
    DEFAULT_QUASI_IDENTIFIERS,
    GENERALIZATION_STEPS,
    AnonymizationReport,
    class_sizes,
    enforce_k_anonymity,
    equivalence_classes,
    k_anonymity,
)
from ml.privacy.patterns import MAX_TEXT_CHARS, NOT_A_NAME, PLACEHOLDER_TYPES, dni_checksum_ok
from ml.privacy.pseudonyms import (
    PSEUDONYM_HEX_CHARS,
    PSEUDONYM_PREFIX,
    ROW_PSEUDONYM_PREFIX,
    normalize_patient_id,
    patient_date_shift,
    pseudonym_key,
    pseudonymize,
    row_pseudonym,
)
from ml.privacy.records import anonymize_records
from ml.privacy.scrub import (
    OWN_IDENTIFIER_TYPES,
    SHORT_NAME_CHARS,
    CachedScrubber,
    OwnIdentifiers,
    ScrubResult,
    find_identifiers,
    known_name_tokens,
    own_identifier_needles,
    own_identifiers,
    scrub_text,
)

__all__ = [
    "AGE_GROUPS",
    "AGE_GROUP_WIDENING",
    "AnonymizationReport",
    "CachedScrubber",
    "DEFAULT_QUASI_IDENTIFIERS",
    "GENERALIZATION_STEPS",
    "MAX_PLAUSIBLE_AGE",
    "MAX_TEXT_CHARS",
    "NOT_A_NAME",
    "OWN_IDENTIFIER_TYPES",
    "OwnIdentifiers",
    "PLACEHOLDER_TYPES",
    "PSEUDONYM_HEX_CHARS",
    "PSEUDONYM_PREFIX",
    "RESTRICTED_ZIP3",
    "ROW_PSEUDONYM_PREFIX",
    "SAFE_HARBOR_AGE_CAP",
    "SHORT_NAME_CHARS",
    "ScrubResult",
    "UNKNOWN_AGE_GROUP",
    "age_from",
    "age_group",
    "anonymize_records",
    "class_sizes",
    "clean_age",
    "dni_checksum_ok",
    "enforce_k_anonymity",
    "equivalence_classes",
    "find_identifiers",
    "generalize_date",
    "k_anonymity",
    "known_name_tokens",
    "normalize_patient_id",
    "own_identifier_needles",
    "own_identifiers",
    "patient_date_shift",
    "pseudonym_key",
    "pseudonymize",
    "row_pseudonym",
    "safe_harbor_age",
    "scrub_text",
    "zip3",
]
