"""Textbook presentations rank their disease first on the clinician page's ranker (prevalence prior), rare or common.

Each row: the disease, the ids that count as the same disease (OMIM/ORPHA twins the KB does not link through
``kb.same_disease``), the hallmark findings (names checked against the KB), the rank the disease must reach.
"""

from __future__ import annotations

import pytest

from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from ml.predict import KnowledgeRanker, Query
from tests.kb_build import session_kb_dir

# (disease, also accepted, {hpo id: name}, best rank allowed)
PRESENTATIONS = [
    ("OMIM:154700", (), {"HP:0001083": "Ectopia lentis", "HP:0001166": "Arachnodactyly",
                         "HP:0002616": "Aortic root aneurysm"}, 3),
    ("OMIM:219700", (), {"HP:0012236": "Elevated sweat chloride", "HP:0001738": "Exocrine pancreatic insufficiency",
                         "HP:0002205": "Recurrent respiratory infections"}, 1),
    ("OMIM:310200", (), {"HP:0003560": "Muscular dystrophy", "HP:0003707": "Calf muscle pseudohypertrophy",
                         "HP:0003236": "Elevated circulating creatine kinase concentration",
                         "HP:0003391": "Gowers sign"}, 10),
    ("OMIM:162200", (), {"HP:0000957": "Cafe-au-lait spot", "HP:0009737": "Lisch nodules",
                         "HP:0001067": "Neurofibroma", "HP:0000997": "Axillary freckling"}, 3),
    ("OMIM:191100", ("OMIM:613254",), {"HP:0009720": "Adenoma sebaceum", "HP:0009719": "Hypomelanotic macule",
                                       "HP:0001250": "Seizure", "HP:0009717": "Cortical tubers"}, 1),
    ("OMIM:312750", (), {"HP:0002376": "Developmental regression", "HP:0012171": "Stereotypical hand wringing",
                         "HP:0000252": "Microcephaly"}, 1),
    ("OMIM:194050", ("ORPHA:904",), {"HP:0004428": "Elfin facies", "HP:0003072": "Hypercalcemia",
                                     "HP:0100024": "Conspicuously happy disposition"}, 1),
    # OMIM:130010 (classic type 2, COL5A2) is the same disease as OMIM:130000 (type 1, COL5A1): ORPHA:287 covers both
    ("OMIM:130000", ("ORPHA:287", "OMIM:130010"), {"HP:0000974": "Hyperextensible skin",
                                                   "HP:0001382": "Joint hypermobility",
                                                   "HP:0001073": "Cigarette-paper scars"}, 1),
    ("OMIM:261600", ("ORPHA:79254",), {"HP:0004923": "Hyperphenylalaninemia",
                                       "HP:0001249": "Intellectual disability"}, 1),
    ("OMIM:100800", (), {"HP:0000256": "Macrocephaly", "HP:0002007": "Frontal bossing",
                         "HP:0004060": "Trident hand"}, 1),
    ("ICD10:J11.1", (), {"HP:0001945": "Fever", "HP:0025143": "Chills", "HP:0003326": "Myalgia",
                         "HP:0002315": "Headache"}, 1),
    ("ICD10:J18.9", (), {"HP:0001945": "Fever", "HP:0031245": "Productive cough", "HP:0002094": "Dyspnea"}, 3),
    ("ICD10:G43.9", (), {"HP:0002315": "Headache", "HP:0002018": "Nausea", "HP:0000613": "Photophobia",
                         "HP:0002183": "Phonophobia"}, 1),
    ("ICD10:E11.9", (), {"HP:0000103": "Polyuria", "HP:0001959": "Polydipsia", "HP:0003074": "Hyperglycemia"}, 1),
    ("ICD10:N39.0", (), {"HP:0100518": "Dysuria", "HP:0100515": "Pollakisuria", "HP:0000012": "Urinary urgency"}, 1),
    ("ICD10:A09.9", (), {"HP:0002014": "Diarrhea", "HP:0002013": "Vomiting", "HP:0002018": "Nausea"}, 1),
    ("ICD10:J45.9", (), {"HP:0030828": "Wheezing", "HP:0002094": "Dyspnea", "HP:0012735": "Cough",
                         "HP:0031352": "Chest tightness"}, 1),
    ("ICD10:E03.9", (), {"HP:0012378": "Fatigue", "HP:0004324": "Increased body weight",
                         "HP:6000855": "Cold intolerance", "HP:0002019": "Constipation"}, 1),
    ("ICD10:K21.9", (), {"HP:0002020": "Gastroesophageal reflux", "HP:0410019": "Epigastric pain",
                         "HP:0410281": "Dyspepsia"}, 1),
    ("ICD10:U07.1", (), {"HP:0001945": "Fever", "HP:0031246": "Nonproductive cough", "HP:0012378": "Fatigue"}, 3),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return get_kb(session_kb_dir(tmp_path_factory))


@pytest.fixture(scope="module")
def ranker(kb):
    return KnowledgeRanker(KnowledgeModel(kb, prior="prevalence").fit())  # as app.predict.service builds it


def rank_of(kb, ranking, disease_id: str, also: tuple[str, ...]) -> int:
    """Return the 1-based rank of the first of the disease, its same-disease twins and ``also`` (0 if absent)."""
    accepted = set(kb.same_disease(disease_id)) | {disease_id, *also}
    return next((rank for rank, disease in enumerate(ranking.disease_ids, start=1) if disease in accepted), 0)


@pytest.mark.parametrize(("disease_id", "also", "findings", "best"), PRESENTATIONS, ids=[p[0] for p in PRESENTATIONS])
def test_a_textbook_presentation_ranks_its_disease_at_the_top(kb, ranker, disease_id, also, findings, best):
    assert {hpo: kb.term_name(hpo) for hpo in findings} == findings
    ranking = ranker.rank(Query(present=tuple(findings), top=10))
    assert 1 <= rank_of(kb, ranking, disease_id, also) <= best, ranking.top(3)


def test_rare_and_common_presentations_both_win_first_place_mostly(kb, ranker):
    rare = [p for p in PRESENTATIONS if not p[0].startswith("ICD10:")]
    common = [p for p in PRESENTATIONS if p[0].startswith("ICD10:")]
    assert len(rare) == 10 and len(common) == 10
    for group in (rare, common):
        firsts = sum(rank_of(kb, ranker.rank(Query(present=tuple(f))), d, also) == 1 for d, also, f, _ in group)
        assert firsts >= 7


def test_ectopia_lentis_and_arachnodactyly_no_longer_rank_a_common_disease_first(kb, ranker):
    ranking = ranker.rank(Query(present=("HP:0001083", "HP:0001166"), top=10))
    assert not ranking.disease_ids[0].startswith("ICD10:")
    assert 1 <= rank_of(kb, ranking, "OMIM:154700", ()) <= 10
