"""Symptom mentions in notes and their negation."""

import pytest

from ml.mentions import extract_mentions

LEXICON = {
    "fever": "HP:0001945",
    "cough": "HP:0012735",
    "rash": "HP:0000988",
    "headache": "HP:0002315",
    "seizures": "HP:0001250",
    "fiebre": "HP:0001945",
    "fiebre alta": "HP:0001945",
    "tos": "HP:0012735",
    "erupción cutánea": "HP:0000988",
    "dolor de cabeza": "HP:0002315",
    "neumonia": "HP:0002090",
    "tos no productiva": "HP:0031245",
    "opresion en el pecho": "HP:0031352",
}


@pytest.mark.parametrize(
    "text,expected",
    [
        ("No fever, cough or rash.", {"fever": False, "cough": False, "rash": False}),
        ("Denies fever. Has cough", {"fever": False, "cough": True}),
        ("Patient has fever but no cough.", {"fever": True, "cough": False}),
        ("Fever and cough, without rash.", {"fever": True, "cough": True, "rash": False}),
        ("Negative for rash; reports headache.", {"rash": False, "headache": True}),
        ("No fever, reports cough.", {"fever": False, "cough": True}),
        ("Never had seizures.", {"seizures": False}),
        ("Absence of fever and cough", {"fever": False, "cough": False}),
        ("Free of rash since Monday; severe HEADACHE", {"rash": False, "headache": True}),
        ("Fever: negative. Cough present.", {"fever": False, "cough": True}),
        ("No change in diet, fever", {"fever": False}),
        ("No change in diet this week, fever", {"fever": True}),
        ("Feverish and coughing", {}),
    ],
)
def test_negation_english(text, expected):
    mentions = extract_mentions(text, lexicon=LEXICON, lang="en")
    assert {mention.term: mention.present for mention in mentions} == expected


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Sin fiebre ni tos.", {"fiebre": False, "tos": False}),
        ("Niega fiebre, refiere tos.", {"fiebre": False, "tos": True}),
        ("No presenta erupción cutánea.", {"erupción cutánea": False}),
        ("No refiere dolor de cabeza; tos seca.", {"dolor de cabeza": False, "tos": True}),
        ("Fiebre alta pero no tos.", {"fiebre alta": True, "tos": False}),
        ("Ausencia de fiebre. Tos productiva.", {"fiebre": False, "tos": True}),
        ("Se descarta neumonía.", {"neumonia": False}),
        ("Negativo para fiebre, aunque tos persistente.", {"fiebre": False, "tos": True}),
        ("Negó fiebre", {"fiebre": False}),
        (
            "Paciente con DOLOR DE CABEZA y erupcion cutanea",
            {"dolor de cabeza": True, "erupción cutánea": True},
        ),
        ("Tos: negativa. Fiebre ausente.", {"tos": False, "fiebre": False}),
        ("Comió una tostada", {}),
        # "no" inside a lexicon phrase is part of the phrase, not a negation of what follows
        ("Presenta tos no productiva y opresión en el pecho.", {"tos no productiva": True,
                                                                "opresion en el pecho": True}),
    ],
)
def test_negation_spanish(text, expected):
    mentions = extract_mentions(text, lexicon=LEXICON, lang="es")
    assert {mention.term: mention.present for mention in mentions} == expected


def test_mentions_carry_hpo_ids_and_spans_into_the_original_text():
    text = "Niña con FIEBRE ALTA, sin tos"
    mentions = extract_mentions(text, lexicon=LEXICON)
    assert [(m.term, m.hpo_id, m.present, text[m.span[0] : m.span[1]]) for m in mentions] == [
        ("fiebre alta", "HP:0001945", True, "FIEBRE ALTA"),
        ("tos", "HP:0012735", False, "tos"),
    ]


def test_language_restricts_the_negation_cues():
    assert extract_mentions("sin fever", lexicon=LEXICON, lang="en")[0].present is True
    assert extract_mentions("sin fever", lexicon=LEXICON, lang="es")[0].present is False
    assert extract_mentions("sin fever", lexicon=LEXICON)[0].present is False


@pytest.mark.parametrize("text", ["", None])
def test_no_text_gives_no_mentions(text):
    assert extract_mentions(text, lexicon=LEXICON) == []
