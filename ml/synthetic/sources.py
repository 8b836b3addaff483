"""Render demo patients as each source writes them: hospital rows, registry records, research rows, notes.
"""


from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ml.synthetic.catalogue import Catalogue, Lexicons, nearest_with_words
from ml.synthetic.identities import hospital_id, spanish_phone, split_names
from ml.synthetic.patients import DemoPatient
from ml.synthetic.settings import DemoSettings


@dataclass
class SourceRecords:
    """Rows written to one source and the manifest entries describing them."""

    rows: list = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)


def _words(
    rng: random.Random, terms: Iterable[str], table: Mapping[str, tuple[str, ...]], catalogue: Catalogue
) -> list[tuple[str, str]]:
    """Render HPO ids as words of a lexicon: (hpo id actually written, word); unrenderable terms vanish."""
    rendered: dict[str, str] = {}
    for term in terms:
        target = nearest_with_words(term, table, catalogue)
        if target is not None and target not in rendered:
            choices = table[target]
            rendered[target] = choices[rng.randrange(len(choices))]
    return list(rendered.items())


def _maybe(rng: random.Random, value: object, share: float) -> object:
    """Return None with probability ``share``, else the value."""
    return None if rng.random() < share else value


def _decimal_es(value: float) -> str:
    """Write a number with one decimal and a decimal comma, as Spanish records do."""
    return f"{value:.1f}".replace(".", ",")


def _hospital_temperature(rng: random.Random, celsius: float, settings: DemoSettings) -> tuple[str, str]:
    """Return (temperatura, unidad_temp): °C mostly, °F in some rows, sometimes no unit at all."""
    if rng.random() < settings.missing_share:
        return "", ""
    if rng.random() < settings.fahrenheit_share:
        return f"{celsius * 9 / 5 + 32:.1f}", rng.choice(("F", "°F"))
    return _decimal_es(celsius), rng.choice(("C", "C", "°C", ""))


def _hospital_note(rng: random.Random, patient: DemoPatient) -> str:
    """Return a short free-text remark, often carrying an identifier the scrubber must find."""
    who = patient.identity
    return rng.choice(
        (
            f"Acompañado por su hija, teléfono de contacto {spanish_phone(rng)}.",
            f"Remitido por el Dr. {who.doctor}.",
            f"Contactar en {who.email} para resultados.",
            "Alergia a penicilina.",
            "Control en dos semanas.",
            f"Vive en {who.address}.",
        )
    )


def hospital_row(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons, settings: DemoSettings
) -> tuple[list[str], dict]:
    """Return one hospital CSV row and its manifest entry."""
    who, missing = patient.identity, settings.missing_share
    kept = [term for term in patient.present if rng.random() >= 0.1]
    present = _words(rng, kept, lexicons.spanish, catalogue) or _words(
        rng, patient.present, lexicons.spanish, catalogue
    )
    absent = _words(rng, patient.absent, lexicons.spanish, catalogue)
    absent = [(term, word) for term, word in absent if term not in {hpo for hpo, _ in present}]
    codes = [catalogue.kb.disease_icd10[catalogue.kb.disease_index[d]] for d in patient.diseases if d[:6] == "ICD10:"]
    if codes and rng.random() < 0.03:
        present = []  # the symptom cell was left empty; the diagnosis still says what the patient had
    birth_format = "%Y-%m-%d" if rng.random() < 0.03 else "%d/%m/%Y"
    sex = {"male": rng.choice("HHHV"), "female": "M"}[patient.sex]
    temperature, unit = _hospital_temperature(rng, patient.temperature_c, settings)
    row = [
        hospital_id(patient.number, rng),
        who.first_name,
        who.last_name,
        who.national_id,
        _maybe(rng, who.phone, missing),
        _maybe(rng, who.email, 3 * missing),
        _maybe(rng, who.address, missing),
        _maybe(rng, who.zip, missing / 2),
        _maybe(rng, patient.birth_date.strftime(birth_format), missing / 2),
        _maybe(rng, sex, missing / 2),
        patient.visit_date.strftime("%d/%m/%Y"),
        temperature,
        unit,
        _maybe(rng, f"{patient.weight_kg:.0f}", 2 * missing),
        _maybe(rng, f"{patient.height_cm:.0f}", 2 * missing),
        ", ".join(word for _, word in present),
        ", ".join(word for _, word in absent),
        ",".join(codes),
        _hospital_note(rng, patient) if rng.random() < 0.15 else None,
    ]
    truth = {
        "diagnoses": [f"ICD10:{code}" for code in codes],
        "present": [t for t, _ in present],
        "absent": [t for t, _ in absent],
    }
    return ["" if value is None else value for value in row], truth


def registry_record(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, settings: DemoSettings
) -> tuple[dict, dict]:
    """Return one registry JSON object (HPO ids, ORPHA or OMIM code, excluded terms) and its manifest entry."""
    who, missing = patient.identity, settings.missing_share
    rare = patient.diseases[0]
    system, number = rare.split(":", 1)
    code: object = rare if rng.random() < 0.5 else (int(number) if rng.random() < 0.5 else number)
    present = [term for term in patient.present if rng.random() >= 0.05] or patient.present[:1]
    digits = f"{patient.number:06d}"
    record = {
        "patient_id": digits if rng.random() < 0.7 else f"{digits[:3]}_{digits[3:]}",
        "name": f"{who.first_name} {who.last_name}",
        "birth_date": _maybe(rng, patient.birth_date.isoformat(), missing),
        "sex": _maybe(rng, rng.choice((patient.sex, patient.sex[0].upper())), missing),
        "visit_date": patient.visit_date.isoformat(),
        "zip": _maybe(rng, who.zip, missing),
        "temperature_c": _maybe(rng, patient.temperature_c, 0.5),
        "hpo_terms": present,
        "excluded_hpo_terms": list(patient.absent),
        "orpha_code": code if system == "ORPHA" else None,
        "omim_id": code if system == "OMIM" else None,
        "notes": _registry_note(rng, patient) if rng.random() < 0.3 else None,
    }
    truth = {"diagnoses": [rare], "present": present, "absent": list(patient.absent)}
    return record, truth


def _registry_note(rng: random.Random, patient: DemoPatient) -> str:
    """Return a registry curator's remark, sometimes with a contact detail."""
    who = patient.identity
    return rng.choice(
        (
            "Diagnosis confirmed by genetic testing.",
            f"Family contact: {who.phone}.",
            f"Referred by Dr. {who.doctor}.",
            "Sibling under evaluation.",
            f"Enrolled on {patient.visit_date:%B %d, %Y}.",
        )
    )


def research_row(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons, settings: DemoSettings
) -> tuple[list, dict]:
    """Return one wide research row (0/1 per Kaggle symptom, blank when not recorded) and its manifest entry."""
    missing = settings.missing_share
    present = _words(rng, patient.present, lexicons.kaggle_by_hpo, catalogue)
    columns = {word for _, word in present}
    cells = []
    risk_factors = frozenset(lexicons.risk_factor_columns)
    for column in lexicons.kaggle_columns:
        # Risk-factor columns (family_history, ...) are exposures, not findings: a few patients have them.
        value = int(rng.random() < 0.05) if column in risk_factors else int(column in columns)
        cells.append(None if value == 0 and rng.random() < 0.02 else value)
    disease = catalogue.common_by_id[patient.diseases[0]]
    subject = patient.number if rng.random() < 0.6 else f" {patient.number:06d}"
    gender = rng.choice(({"male": "Male", "female": "Female"}[patient.sex], patient.sex[0].upper()))
    row = [
        subject,
        _maybe(rng, patient.age, missing),
        _maybe(rng, gender, missing / 2),
        _maybe(rng, round(patient.weight_kg / 0.45359237, 1), 2 * missing),
        _maybe(rng, round(patient.height_cm / 2.54, 1), 2 * missing),
        _maybe(rng, round(patient.temperature_c * 9 / 5 + 32, 1), missing),
        *cells,
        disease.label,
    ]
    return row, {"diagnoses": [disease.id], "present": [term for term, _ in present], "absent": []}


SPANISH_MONTHS = split_names("enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre")


def _join(words: Sequence[str], conjunction: str) -> str:
    """Join words as a list in prose: "a, b y c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _spanish_note(rng: random.Random, patient: DemoPatient, present: list[str], absent: list[str], dx: str) -> str:
    """Write a Spanish consultation note with identifiers, symptom mentions and pertinent negatives."""
    who, visit = patient.identity, patient.visit_date
    lines = [
        rng.choice((f"Nº historia: {hospital_id(patient.number, rng)}", f"NHC {patient.number:06d}")),
        rng.choice(
            (
                f"Fecha: {visit:%d/%m/%Y}",
                f"Fecha de consulta: {visit.day} de {SPANISH_MONTHS[visit.month - 1]} de {visit.year}",
            )
        ),
        rng.choice(
            (
                f"Paciente {who.first_name} {who.last_name}, {patient.age} años.",
                f"Nombre: {who.first_name} {who.last_name}. DNI {who.national_id}.",
            )
        ),
    ]
    if rng.random() < 0.6:
        lines.append(rng.choice((f"Teléfono: {who.phone}.", f"Correo: {who.email}.")))
    if present:
        lines.append(
            rng.choice(
                (
                    f"Acude por {_join(present, 'y')}.",
                    f"Refiere {_join(present, 'y')} desde hace {rng.randint(2, 14)} días.",
                    f"Presenta {_join(present, 'y')}.",
                )
            )
        )
    for word in absent:
        lines.append(rng.choice((f"Niega {word}.", f"Sin {word}.", f"No refiere {word}.")))
    lines.append(f"Tª {_decimal_es(patient.temperature_c)} °C.")
    if dx:
        lines.append(f"Juicio clínico: {dx}.")
    lines.append(f"{rng.choice(('Dr.', 'Dra.'))} {who.doctor}")
    return "\n".join(lines) + "\n"


def _english_note(rng: random.Random, patient: DemoPatient, present: list[str], absent: list[str], dx: str) -> str:
    """Write an English clinic note with identifiers, symptom mentions and pertinent negatives."""
    who, visit = patient.identity, patient.visit_date
    lines = [
        rng.choice((f"MRN: {patient.number:06d}", f"Medical record number {patient.number:06d}")),
        rng.choice((f"Date of visit: {visit:%B} {visit.day}, {visit.year}", f"Seen on {visit:%m/%d/%Y}")),
        rng.choice(
            (
                f"Name: {who.first_name} {who.last_name}, {patient.age}-year-old {patient.sex}.",
                f"Patient {who.first_name} {who.last_name}, age {patient.age}.",
            )
        ),
    ]
    if rng.random() < 0.6:
        lines.append(rng.choice((f"Phone: {who.phone}.", f"Email: {who.email}.", f"Lives at {who.address}.")))
    if present:
        lines.append(
            rng.choice(
                (
                    f"Presents with {_join(present, 'and')}.",
                    f"Complains of {_join(present, 'and')} for {rng.randint(2, 14)} days.",
                    f"Reports {_join(present, 'and')}.",
                )
            )
        )
    for word in absent:
        lines.append(rng.choice((f"Denies {word}.", f"No {word}.", f"Negative for {word}.")))
    lines.append(f"Temp {patient.temperature_c * 9 / 5 + 32:.1f} F.")
    if dx:
        lines.append(f"Assessment: {dx}.")
    lines.append(f"Seen by Dr. {who.doctor}.")
    return "\n".join(lines) + "\n"


def note_file(
    rng: random.Random, patient: DemoPatient, catalogue: Catalogue, lexicons: Lexicons
) -> tuple[tuple[str, str], dict]:
    """Return (file name, text) of a doctor's note and its manifest entry."""
    spanish = patient.language == "es"
    table = lexicons.spanish_notes if spanish else lexicons.english_notes
    present = _words(rng, patient.present, table, catalogue)[:6]
    absent = [pair for pair in _words(rng, patient.absent[:3], table, catalogue) if pair[0] not in dict(present)]
    info = next((catalogue.common_by_id[d] for d in patient.diseases if d in catalogue.common_by_id), None)
    dx = "" if info is None or rng.random() < 0.5 else (info.name_es if spanish else info.name_en)
    write = _spanish_note if spanish else _english_note
    text = write(rng, patient, [word for _, word in present], [word for _, word in absent], dx)
    name = f"{patient.number:06d}.txt" if rng.random() < 0.5 else f"{hospital_id(patient.number, rng)}.txt"
    truth = {
        "diagnoses": [],
        "present": [t for t, _ in present],
        "absent": [t for t, _ in absent],
        "language": patient.language,
    }
    return (name.replace(" ", "_"), text), truth


