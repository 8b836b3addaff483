"""The normaliser against the real knowledge base: what each kind of text a user or a data set writes becomes."""

from __future__ import annotations

import pytest

from ml.knowledge import FUZZY_ACCEPT, Match, Vocabulary, get_kb, normalize_text
from tests.kb_build import session_kb_dir


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="session")
def vocabulary(kb) -> Vocabulary:
    return Vocabulary.build(kb)


@pytest.mark.parametrize(
    "raw,key",
    [
        (" Skin Rash ", "skin rash"),
        ("skin_rash", "skin rash"),
        ("dischromic _patches", "dischromic patch"),
        ("Náuseas", "nausea"),
        ("Crohn's disease", "crohn disease"),
        ("ALLERGIES", "allergy"),
        ("Haemorrhage", "hemorrhage"),
        ("toes", "toe"),
        ("psoriasis", "psoriasis"),
        ("loss", "loss"),
        ("fever\x00\x1b", "fever"),
        (None, ""),
        (42, ""),
        ("x" * 10_000, ""),
    ],
)
def test_normalize_text(raw, key):
    assert normalize_text(raw) == key


# (text, lang, expected id, expected method)
SYMPTOMS = [
    # ids, alt ids, obsolete ids
    ("HP:0001945", None, "HP:0001945", "id"),
    ("hp_0001945", None, "HP:0001945", "id"),
    ("HP 1945", None, "HP:0001945", "id"),
    ("http://purl.obolibrary.org/obo/HP_0001945", None, "HP:0001945", "id"),
    ("HP:0000004", None, "HP:0012823", "id"),  # alt id of Clinical modifier
    ("HP:0000057", None, "HP:0008665", "id"),  # obsolete, replaced by Clitoral hypertrophy
    # names, synonyms, spelling variants
    ("Fever", None, "HP:0001945", "exact"),
    ("  fever ", None, "HP:0001945", "exact"),
    ("Pyrexia", None, "HP:0001945", "synonym"),
    ("coughing", None, "HP:0012735", "synonym"),
    ("abdominal pains", None, "HP:0002027", "exact"),
    ("abdominal-pain", None, "HP:0002027", "exact"),
    ("Hyperglycaemia", None, "HP:0003074", "exact"),
    ("Oedema", None, "HP:0000969", "exact"),
    # Kaggle column names, as written in the data set
    ("skin_rash", None, "HP:0000988", "exact"),
    ("dischromic _patches", None, "HP:0007441", "lexicon"),
    ("spotting_ urination", None, "HP:0000790", "lexicon"),
    ("toxic_look_(typhos)", None, "HP:0001254", "lexicon"),
    ("stomach_pain", None, "HP:0410019", "lexicon"),
    ("continuous_sneezing", None, "HP:0025095", "lexicon"),
    ("family_history", None, "HP:0032316", "exact"),
    ("extra_marital_contacts", None, None, "risk_factor"),
    ("receiving_blood_transfusion", None, None, "risk_factor"),
    # English lay terms; the curated lexicon beats an HPO synonym pointing elsewhere
    ("runny nose", None, "HP:0031417", "lexicon"),
    ("tummy ache", None, "HP:0002027", "lexicon"),
    ("trouble sleeping", None, "HP:0100785", "lexicon"),
    ("dizziness", None, "HP:0002321", "lexicon"),
    # Spanish, clinical and lay, with or without accents, singular or plural
    ("fiebre", "es", "HP:0001945", "lexicon"),
    ("Fiebre alta", "es", "HP:0001945", "lexicon"),
    ("cefalea", "es", "HP:0002315", "lexicon"),
    ("dolor de cabeza", "es", "HP:0002315", "lexicon"),
    ("dolores de cabeza", "es", "HP:0002315", "lexicon"),
    ("DOLOR ABDOMINAL", "es", "HP:0002027", "lexicon"),
    ("me duele la barriga", "es", "HP:0002027", "lexicon"),
    ("vómitos", "es", "HP:0002013", "lexicon"),
    ("vomitos", None, "HP:0002013", "lexicon"),
    ("escalofríos", "es", "HP:0025143", "lexicon"),
    ("sudores nocturnos", "es", "HP:0030166", "lexicon"),
    # typos
    ("fevr", None, "HP:0001945", "fuzzy"),
    ("headahce", None, "HP:0002315", "fuzzy"),
    ("diarhea", None, "HP:0002014", "fuzzy"),
    ("vomitting", None, "HP:0002013", "fuzzy"),
    ("head ache", None, "HP:0002315", "fuzzy"),
    ("dolor de cabesa", "es", "HP:0002315", "fuzzy"),
]


@pytest.mark.parametrize("raw,lang,expected_id,method", SYMPTOMS)
def test_match_symptom(vocabulary, raw, lang, expected_id, method):
    match = vocabulary.match_symptom(raw, lang=lang)
    assert (match.id, match.method) == (expected_id, method), match
    assert match.matched == (expected_id is not None)
    if method == "fuzzy":
        assert FUZZY_ACCEPT <= match.score < 100 and match.candidates[0][0] == expected_id
    elif expected_id is not None:
        assert match.score == 100.0 and match.name == vocabulary.symptom_name(expected_id, lang=lang)


@pytest.mark.parametrize(
    "raw,lang,name",
    [("fiebre", "es", "Fiebre"), ("fiebre", None, "Fever"), ("fever", "es", "Fiebre"), ("cefalea", "en", "Headache")],
)
def test_symptom_name_follows_the_language(vocabulary, raw, lang, name):
    assert vocabulary.match_symptom(raw, lang=lang).name == name


@pytest.mark.parametrize(
    "raw,candidate_ids",
    [
        # one synonym of two terms: a human decides
        ("ear anomaly", {"HP:0000356", "HP:0000598"}),
        ("brething dificulty", {"HP:0002094", "HP:0002098"}),
        # close to a term, but a different word or a word more: suggested, never accepted
        ("manchas en la piel", {"HP:0100699"}),
        ("haemorrhage", {"HP:0002239"}),
        ("rush", {"HP:0000988"}),
    ],
)
def test_ambiguous_or_doubtful_symptoms_are_left_to_a_human(vocabulary, raw, candidate_ids):
    match = vocabulary.match_symptom(raw)
    assert (match.id, match.method, match.score) == (None, "none", 0.0)
    assert candidate_ids <= {candidate[0] for candidate in match.candidates}


# (text, expected id, expected method)
DISEASES = [
    ("Gastro-oesophageal reflux disease", "ICD10:K21.9", "exact"),
    ("Enfermedad por reflujo gastroesofágico", "ICD10:K21.9", "exact"),
    ("GERD", "ICD10:K21.9", "synonym"),
    ("K21.9", "ICD10:K21.9", "id"),
    ("K219", "ICD10:K21.9", "id"),
    ("k21.9", "ICD10:K21.9", "id"),
    ("ICD10:K21.9", "ICD10:K21.9", "id"),
    ("K21", "ICD10:K21.9", "id"),  # the one catalogue disease under the category
    ("ICD-10: I10", "ICD10:I10", "id"),
    ("ORPHA:558", "ORPHA:558", "id"),
    ("Orphanet:558", "ORPHA:558", "id"),
    ("ORPHA 558", "ORPHA:558", "id"),
    ("OMIM:154700", "OMIM:154700", "id"),
    ("MIM 154700", "OMIM:154700", "id"),
    ("MIM#154700", "OMIM:154700", "id"),
    ("DECIPHER:1", "DECIPHER:1", "id"),
    # Kaggle labels, typos and double spaces included
    ("Peptic ulcer diseae", "ICD10:K27.9", "synonym"),
    ("(vertigo) Paroymsal  Positional Vertigo", "ICD10:H81.1", "synonym"),
    ("Dimorphic hemmorhoids(piles)", "ICD10:K64.9", "synonym"),
    ("Osteoarthristis", "ICD10:M19.9", "synonym"),
    ("Diabetes ", "ICD10:E11.9", "synonym"),
    ("Paralysis (brain hemorrhage)", "ICD10:I61.9", "synonym"),
    ("Allergy", "ICD10:J30.4", "synonym"),
    # the catalogue wins over a rare disease of the same name; the preferred source wins a rare tie
    ("Typhoid", "ICD10:A01.0", "synonym"),
    ("Malaria", "ICD10:B54", "exact"),
    ("Marfan syndrome", "ORPHA:558", "exact"),
    ("Marfan sindrome", None, "none"),  # 93 from two ids at once: a human decides
]


@pytest.mark.parametrize("raw,expected_id,method", DISEASES)
def test_match_disease(vocabulary, raw, expected_id, method):
    match = vocabulary.match_disease(raw)
    assert (match.id, match.method) == (expected_id, method), match


def test_a_tie_broken_by_source_keeps_the_other_ids(vocabulary):
    assert vocabulary.match_disease("Marfan syndrome").candidates == (("OMIM:154700", "Marfan syndrome", 100.0),)
    assert {candidate[0] for candidate in vocabulary.match_disease("Marfan sindrome").candidates} >= {
        "ORPHA:558",
        "OMIM:154700",
    }


@pytest.mark.parametrize(
    "raw,candidate_ids", [("B17", {"ICD10:B17.0", "ICD10:B17.1", "ICD10:B17.2"}), ("K21.0", {"ICD10:K21.9"})]
)
def test_icd10_codes_outside_the_catalogue_suggest_their_neighbours(vocabulary, raw, candidate_ids):
    match = vocabulary.match_disease(raw)
    assert match.method == "none" and {candidate[0] for candidate in match.candidates} == candidate_ids


BAD_INPUT = [
    None,
    42,
    3.5,
    ["fever"],
    {"q": "fever"},
    b"fever",
    "",
    "   ",
    "\x00\x01\x02",
    "x" * 10_000,
    "fever " * 2_000,
    "'; DROP TABLE users; --",
    "<script>alert(1)</script>",
    "HP:9999999",
    "ORPHA:99999999",
    "A90",
]


@pytest.mark.parametrize("raw", BAD_INPUT)
def test_bad_input_gives_none_and_never_raises(vocabulary, raw):
    matches = [vocabulary.match_symptom(raw), vocabulary.match_symptom(raw, lang="es"), vocabulary.match_disease(raw)]
    assert len(matches) == 3
    for match in matches:
        assert isinstance(match, Match) and match.method == "none" and match.id is None and not match.matched
        assert len(match.query) <= 300


def test_unknown_language_gives_none(vocabulary):
    assert vocabulary.match_symptom("fever", lang="xx").method == "none"


def test_mappings_come_first_and_ignored_texts_stay_unmatched(vocabulary):
    mapped = vocabulary.with_mappings(
        {
            ("symptom", "Me pica todo"): "HP:0000989",
            ("symptom", "n/a"): None,
            ("disease", "GERD"): "ORPHA:558",
            ("symptom", "fever"): "HP:0000004",
        }
    )
    assert mapped.match_symptom("ME PICA TODO") == Match("ME PICA TODO", "HP:0000989", "Pruritus", "mapping", 100.0)
    ignored = mapped.match_symptom("N/A")
    assert (ignored.id, ignored.method, ignored.matched) == (None, "mapping", False)
    assert mapped.match_disease("gerd").id == "ORPHA:558"
    assert mapped.match_symptom("fever").id == "HP:0012823"  # a mapping to an alt id lands on the current term
    assert vocabulary.match_symptom("me pica todo").method == "none"  # the original is untouched


def test_build_accepts_mappings(kb):
    built = Vocabulary.build(kb, mappings={("disease", "la gripe"): "ICD10:J11.1"})
    assert built.match_disease("La Gripe").method == "mapping"


@pytest.mark.parametrize(
    "prefix,lang,first_id,first_name",
    [
        ("fieb", "es", "HP:0001945", "Fiebre"),
        ("fev", "en", "HP:0001945", "Fever"),
        ("dolor de cab", "es", "HP:0002315", "Dolor de cabeza"),
        ("Head", "en", "HP:0002315", "Headache"),
        ("fevr", "en", "HP:0001945", "Fever"),  # no prefix hit: the typo fallback
    ],
)
def test_autocomplete_puts_the_obvious_term_first(vocabulary, prefix, lang, first_id, first_name):
    found = vocabulary.autocomplete(prefix, lang=lang)
    assert found[0]["id"] == first_id and found[0]["name"] == first_name
    assert 1 <= len(found) <= 10 and len({item["id"] for item in found}) == len(found)


def test_autocomplete_finds_words_inside_terms_and_diseases(vocabulary):
    assert "HP:0002027" in {item["id"] for item in vocabulary.autocomplete("abdominal", limit=50)}
    assert "HP:0002027" in {item["id"] for item in vocabulary.autocomplete("pain", limit=50)}
    diseases = vocabulary.autocomplete("reflujo", lang="es", kind="disease")
    assert diseases[0] == {
        "id": "ICD10:K21.9",
        "name": "Enfermedad por reflujo gastroesofágico",
        "matched": "Enfermedad por reflujo gastroesofágico",
    }


@pytest.mark.parametrize("prefix", ["", "   ", "zzzzqqq", "\x00"])
def test_autocomplete_with_nothing_to_offer_is_empty(vocabulary, prefix):
    assert vocabulary.autocomplete(prefix) == []


def test_autocomplete_answers_every_prefix_length(vocabulary):
    """Every prefix length gets suggestions; their speed is measured by bench/bench_vocabulary.py."""
    for word in ("a", "ab", "abd", "abdo", "s", "sk", "skin", "f", "fi", "fieb", "d", "do", "dolor"):
        assert vocabulary.autocomplete(word, lang="es" if word.startswith(("fi", "do")) else "en"), word


@pytest.mark.parametrize(
    "typed,kind,expected",
    [
        ("HP:0001945", "symptom", "HP:0001945"),
        ("hp_0012735", "symptom", "HP:0012735"),
        ("HP_0002315", "symptom", "HP:0002315"),
        (" hp:0012378 ", "symptom", "HP:0012378"),
        ("HP:0000004", "symptom", "HP:0012823"),  # alt id of Clinical modifier
        ("HP:0000057", "symptom", "HP:0008665"),  # obsolete, replaced by Clitoral hypertrophy
        ("ORPHA:558", "disease", "ORPHA:558"),
        ("J11.1", "disease", "ICD10:J11.1"),
    ],
)
def test_autocomplete_resolves_a_pasted_id_to_its_current_term(vocabulary, typed, kind, expected):
    found = vocabulary.autocomplete(typed, kind=kind)
    assert [item["id"] for item in found] == [expected]
    assert found[0]["matched"] == typed.strip() and found[0]["name"]


def test_autocomplete_of_an_unknown_id_offers_nothing_rather_than_words(vocabulary):
    assert vocabulary.autocomplete("HP:9999999") == []


@pytest.mark.parametrize(
    "typed,lang,first_id",
    [("fatiga", "es", "HP:0012378"), ("Fatiga", "en", "HP:0012378"), ("cansancio", "es", "HP:0012378"),
     ("fatigue", "en", "HP:0012378"), ("fiebre", "es", "HP:0001945")],
)
def test_autocomplete_ranks_an_exact_lexicon_entry_first(vocabulary, typed, lang, first_id):
    found = vocabulary.autocomplete(typed, lang=lang)
    assert found[0]["id"] == first_id
