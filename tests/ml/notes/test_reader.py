"""The note reader on real text: what a clinician codes in lay and clinical sentences, English and Spanish."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ml.knowledge import get_kb
from ml.notes import NoteReader
from ml.notes.evaluation import read_corpus, score
from tests.kb_build import session_kb_dir

CORPUS = Path(__file__).parent
# Regression floors: the measured figures minus a small margin, all above the goals (precision 0.90, recall
# 0.85). corpus_*: EN P 0.983 R 0.973, ES P 0.996 R 0.993. holdout_*, written after the reader and first
# read at EN P 0.914 R 0.747, ES P 0.924 R 0.772; after the fixes it led to: EN P 0.968 R 0.909, ES P 0.974
# R 0.937 (see docs/BENCHMARKS.md).
FLOORS = {
    "corpus_en": (0.96, 0.95),
    "corpus_es": (0.97, 0.97),
    "holdout_en": (0.94, 0.88),
    "holdout_es": (0.94, 0.91),
}


@pytest.fixture(scope="session")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="session")
def reader(kb) -> NoteReader:
    return NoteReader.build(kb)


@pytest.mark.parametrize("name,minimum", [("corpus_en", 300), ("corpus_es", 200), ("holdout_en", 50),
                                          ("holdout_es", 40)])
def test_corpus_ids_exist_and_are_current(kb, name, minimum):
    sentences = read_corpus(CORPUS / f"{name}.tsv")
    assert len(sentences) >= minimum
    ids = {hpo_id for sentence in sentences for hpo_id in sentence.present | sentence.absent}
    assert ids
    assert {hpo_id for hpo_id in ids if kb.resolve_term_id(hpo_id) != hpo_id} == set()


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_precision_and_recall_stay_above_the_floor(reader, name):
    result = score(reader.mentions, read_corpus(CORPUS / f"{name}.tsv"), lang=name[-2:])
    precision_floor, recall_floor = FLOORS[name]
    assert result.precision >= max(precision_floor, 0.90), result.errors[:20]
    assert result.recall >= max(recall_floor, 0.85), result.errors[:20]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("joint_pain, high_fever", {("HP:0002829", True, True), ("HP:0001945", True, True)}),
        ("My neck hurts", {("HP:0030833", True, True)}),
        ("sore neck", {("HP:0030833", True, True)}),
        ("pain in my chest", {("HP:0100749", True, True)}),
        ("my skin has turned yellow", {("HP:0000952", True, True)}),
        ("urine is dark", {("HP:0040319", True, True)}),
        ("diarrhoea", {("HP:0002014", True, True)}),
        ("abdominal cramps", {("HP:0032155", True, True)}),
        ("cramps in my stomach", {("HP:0032155", True, True)}),
        ("cramps in my calves", {("HP:0003394", True, True)}),
        ("patient is afebrile", {("HP:0001945", False, True)}),
        ("no para de vomitar", {("HP:0002013", True, True)}),
        ("possible otitis, ear pain since Monday", {("HP:0030766", True, True)}),
        ("rash has resolved", {("HP:0000988", False, True)}),
        ("his mother has epilepsy", set()),
        ("my knees and elbows hurt", {("HP:0030839", True, True), ("HP:0030835", True, True)}),
        ("my neck hurts when I turn my head", {("HP:0030833", True, True)}),
        ("knee pain after running", {("HP:0030839", True, True)}),
        ("severe pain on the left side", {("HP:0030157", True, True)}),
        ("changes in temperature", set()),
        ("no fever", {("HP:0001945", False, True)}),
        ("denies chest pain", {("HP:0100749", False, True)}),
        ("sin fiebre", {("HP:0001945", False, True)}),
        ("niega dolor torácico", {("HP:0100749", False, True)}),
        ("no tiene fiebre", {("HP:0001945", False, True)}),
        ("possible rash", {("HP:0000988", True, False)}),
        ("denies fever, reports cough", {("HP:0001945", False, True), ("HP:0012735", True, True)}),
        ("family history of seizures", set()),
    ],
)
def test_reads_each_failure_class(reader, text, expected):
    assert {(found.hpo_id, found.present, found.certain) for found in reader.read(text)} == expected


def test_finding_names_the_words_behind_it(reader):
    note = "Patient says: my neck hurts since Monday."
    [finding] = reader.read(note)
    assert (finding.hpo_id, finding.text, finding.how) == ("HP:0030833", "neck hurts", "pattern")
    assert note[finding.start : finding.end] == "neck hurts"


def test_mentions_drop_uncertain_findings_and_keep_one_per_id(reader):
    assert reader.mentions("Possible rash. Fever, no cough; fever again at night.") == [
        ("HP:0001945", True),
        ("HP:0012735", False),
    ]


@pytest.mark.parametrize("text", ["", "   ", None, 42, "x" * 5_000, "\x00\x1b"])
def test_bad_input_gives_no_findings(reader, text):
    assert reader.read(text) == []


def test_demo_notes_read_back_as_their_manifest_says(kb, reader, tmp_path):
    from ml.synthetic import generate_demo

    generated = generate_demo(tmp_path / "demo", kb=kb, patients=600, seed=3)
    entries = json.loads((generated.out_dir / "manifest.json").read_text(encoding="utf-8"))["records"]["clinic_notes"]
    assert entries
    coded = found = 0
    for entry in entries:
        text = (generated.paths["clinic_notes"] / entry["ref"]).read_text(encoding="utf-8")
        read = set(reader.mentions(text, lang=entry["language"]))
        expected = {(hpo_id, True) for hpo_id in entry["present"]} | {(hpo_id, False) for hpo_id in entry["absent"]}
        coded, found = coded + len(expected), found + len(expected & read)
    assert coded > 100 and found / coded >= 0.98  # measured 0.999 on 120 notes (seed 3, 2,000 patients)
