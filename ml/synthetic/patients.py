"""Draw demo patients: diseases by tempered prevalence, findings by annotated frequency, vitals, sources.
"""


from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate

from ml.synthetic.catalogue import Catalogue, CommonInfo, Lexicons, OrphanInfo, nearest_with_words
from ml.synthetic.settings import FEVER_TERMS, FIRST_DATE, LAST_DATE, REVIEW_OF_SYSTEMS, DemoSettings


@dataclass(slots=True)
class Identity:
    """Who a patient is in the raw files; never written to the manifest."""

    first_name: str
    last_name: str
    national_id: str
    phone: str
    email: str
    address: str
    zip: str
    doctor: str


@dataclass(slots=True)
class DemoPatient:
    """One synthetic patient: truth (diseases, findings) and what the sources write about them."""

    key: str
    number: int
    orphan: bool
    diseases: list[str]
    present: list[str]
    absent: list[str]
    sex: str
    age: int
    birth_date: date
    visit_date: date
    temperature_c: float
    weight_kg: float
    height_cm: float
    language: str = "es"
    sources: list[str] = field(default_factory=list)
    identity: Identity | None = None


def orphan_case_counts(rng: random.Random, candidates: Sequence[str], total: int, max_cases: int) -> dict[str, int]:
    """Spread ``total`` rare cases over randomly chosen diseases, 1 to ``max_cases`` each (small counts likelier)."""
    sizes = list(range(1, max_cases + 1))
    cumulative = list(accumulate(1.0 / size for size in sizes))
    order = rng.sample(list(candidates), min(len(candidates), max(total, 1)))
    counts: dict[str, int] = {}
    remaining = total
    for disease_id in order:
        if remaining <= 0:
            break
        size = min(sizes[bisect(cumulative, rng.random() * cumulative[-1])], remaining)
        counts[disease_id] = size
        remaining -= size
    return counts


def _sample_terms(rng: random.Random, terms: Sequence[str], frequencies: Sequence[float], limit: int) -> list[str]:
    """Draw each annotated term with its frequency; keep at least two, at most ``limit``."""
    drawn = [term for term, frequency in zip(terms, frequencies, strict=True) if rng.random() < frequency]
    if len(drawn) < 2:
        ranked = sorted(zip(frequencies, terms, strict=True), reverse=True)
        drawn = list(dict.fromkeys(drawn + [term for _, term in ranked[:2]]))
    if len(drawn) > limit:
        drawn = rng.sample(drawn, limit)
    return drawn


def _imprecise(rng: random.Random, terms: list[str], catalogue: Catalogue, share: float) -> list[str]:
    """Replace some terms by a parent or grandparent, as a clinician coding loosely would."""
    result = []
    for term in terms:
        if rng.random() < share:
            for _ in range(rng.randint(1, 2)):
                parents = catalogue.parents(term)
                if not parents:
                    break
                term = parents[rng.randrange(len(parents))]
        result.append(term)
    return list(dict.fromkeys(result))


def _with_noise(rng: random.Random, terms: list[str], catalogue: Catalogue, settings: DemoSettings) -> list[str]:
    """Drop some findings and add unrelated common ones; never leave a patient without findings."""
    kept = [term for term in terms if rng.random() >= settings.dropped_share] or terms[:1]
    if rng.random() < settings.noise_share:
        for _ in range(rng.randint(1, 2)):
            extra = catalogue.common_terms[rng.randrange(len(catalogue.common_terms))]
            if extra not in kept:
                kept.append(extra)
    return kept


def _pertinent_negatives(
    rng: random.Random, present: list[str], candidates: Iterable[str], catalogue: Catalogue, limit: int = 4
) -> list[str]:
    """Pick findings the patient lacks, skipping any that a present finding implies (an ancestor of it)."""
    implied = set().union(*(catalogue.ancestors(term) for term in present)) if present else set()
    pool = [term for term in dict.fromkeys(candidates) if term not in implied and term in catalogue.kb.term_index]
    rng.shuffle(pool)
    return pool[:limit]


def _findings(
    rng: random.Random, diseases: Sequence[CommonInfo | OrphanInfo], catalogue: Catalogue, settings: DemoSettings
) -> tuple[list[str], list[str]]:
    """Return (present, absent) HPO ids for a patient with these diseases, noise included."""
    present: list[str] = []
    for info in diseases:
        terms = _sample_terms(rng, info.terms, info.frequencies, settings.max_terms)
        if isinstance(info, OrphanInfo):
            terms = _imprecise(rng, terms, catalogue, settings.imprecise_share)
        present.extend(term for term in terms if term not in present)
    present = _with_noise(rng, present, catalogue, settings)
    candidates: list[str] = []
    for info in diseases:
        candidates += [term for term in info.excluded if rng.random() < 0.5]
        rare_features = [term for term, f in zip(info.terms, info.frequencies, strict=True) if f <= 0.17]
        candidates += [term for term in rare_features if rng.random() < 0.25 and term not in present]
    candidates += [term for term in REVIEW_OF_SYSTEMS if rng.random() < 0.15]
    return present, _pertinent_negatives(rng, present, candidates, catalogue)


def _vitals(rng: random.Random, present: Sequence[str], sex: str, age: int) -> tuple[float, float, float]:
    """Return temperature (°C), weight (kg) and height (cm) consistent with the findings, sex and age."""
    low, high = next((FEVER_TERMS[term] for term in FEVER_TERMS if term in present), (36.1, 37.2))
    temperature = round(rng.uniform(low, high), 1)
    if age < 18:
        height = 52 + 6.2 * age + rng.gauss(0, 5)
        weight = max(3.0, 3.5 + 2.6 * age + rng.gauss(0, 3))
    else:
        height = rng.gauss(176, 7) if sex == "male" else rng.gauss(163, 6.5)
        weight = (height / 100) ** 2 * rng.gauss(26, 4)
    return temperature, round(max(weight, 2.5), 1), round(height, 1)


def _age(rng: random.Random, orphan: bool) -> int:
    """Draw an age: rare diseases come to registries mostly in childhood, common ones across adult life."""
    if orphan and rng.random() < 0.6:
        return rng.randint(0, 17)
    return max(0, min(99, int(rng.gauss(46, 21))))


def make_patient(
    rng: random.Random,
    key: str,
    number: int,
    diseases: Sequence[CommonInfo | OrphanInfo],
    catalogue: Catalogue,
    settings: DemoSettings,
) -> DemoPatient:
    """Build one patient: findings from the diseases, age, sex, dates and vitals."""
    orphan = isinstance(diseases[0], OrphanInfo)
    required_sex = diseases[0].sex.lower() if orphan else ""
    sex = required_sex if required_sex in ("male", "female") else rng.choice(("male", "female"))
    age = _age(rng, orphan)
    visit = FIRST_DATE + timedelta(days=rng.randrange((LAST_DATE - FIRST_DATE).days + 1))
    birth = visit - timedelta(days=age * 365 + rng.randrange(365) + age // 4)
    present, absent = _findings(rng, diseases, catalogue, settings)
    temperature, weight, height = _vitals(rng, present, sex, age)
    return DemoPatient(
        key=key,
        number=number,
        orphan=orphan,
        diseases=[info.id for info in diseases],
        present=present,
        absent=absent,
        sex=sex,
        age=age,
        birth_date=birth,
        visit_date=visit,
        temperature_c=temperature,
        weight_kg=weight,
        height_cm=height,
    )


def draw_disease_lists(
    rng: random.Random, n_patients: int, catalogue: Catalogue, settings: DemoSettings
) -> tuple[list[list[CommonInfo | OrphanInfo]], dict[str, int]]:
    """Return each patient's diseases (shuffled) and the rare-disease case counts."""
    n_orphan = round(n_patients * settings.orphan_share)
    counts = orphan_case_counts(rng, catalogue.orphan_candidates, n_orphan, settings.max_orphan_cases)
    lists: list[list[CommonInfo | OrphanInfo]] = []
    for disease_id, count in counts.items():
        info = catalogue.orphan(disease_id)
        lists += [[info] for _ in range(count)]
    lists += [[catalogue.draw_common(rng)] for _ in range(n_patients - len(lists))]
    for diseases in lists:
        if rng.random() < settings.multi_disease_share:
            diseases.append(catalogue.draw_common(rng, exclude=[diseases[0].id]))
    rng.shuffle(lists)
    return lists, counts


def _quota(rng: random.Random, patients: Sequence[DemoPatient], share: float) -> list[DemoPatient]:
    """Pick ``share`` of the patients (at least one when there are any), so small demos still show each case."""
    if not patients:
        return []
    return rng.sample(list(patients), max(1, round(share * len(patients))))


def assign_sources(
    rng: random.Random,
    population: Sequence[DemoPatient],
    lexicons: Lexicons,
    catalogue: Catalogue,
    settings: DemoSettings,
) -> None:
    """Choose each patient's sources: a home source, a second one for a few, a note for some; then the language."""
    for patient in population:
        if patient.orphan:
            patient.sources.append("registry_jsonl")
        # A Kaggle-style research row has one prognosis, so patients with two diseases go to the hospital.
        elif len(patient.diseases) > 1 or rng.random() < settings.hospital_share:
            patient.sources.append("hospital_csv")
        else:
            patient.sources.append("research_xlsx")
    # A rare patient seen at the hospital needs findings the Spanish lexicon can name.
    nameable = [
        patient
        for patient in population
        if patient.orphan
        and len({nearest_with_words(term, lexicons.spanish, catalogue) for term in patient.present} - {None}) >= 2
    ]
    for patient in _quota(rng, nameable, settings.shared_orphan_share):
        patient.sources.append("hospital_csv")
    single = [patient for patient in population if not patient.orphan and len(patient.diseases) == 1]
    for patient in _quota(rng, single, settings.shared_common_share):
        patient.sources.append("research_xlsx" if patient.sources[0] == "hospital_csv" else "hospital_csv")
    for patient in population:
        patient.language = "es" if "hospital_csv" in patient.sources else ("en" if rng.random() < 0.8 else "es")
    for patient in _quota(rng, population, settings.note_share):
        patient.sources.append("clinic_notes")


