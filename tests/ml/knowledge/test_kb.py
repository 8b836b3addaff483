"""Tests for the knowledge base: parsers, artifact build, loader and lookups.

Expected numbers are counted straight from the shipped HPO files with plain line scans, never copied
from the code under test.
"""

import json
import math
import shutil
import subprocess
import sys
import textwrap
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from ml import knowledge as kb

HPO_DIR = kb.hpo_data_dir()
OBO_PATH = HPO_DIR / "hp.obo"
HPOA_PATH = HPO_DIR / "phenotype.hpoa"

COMMON_CSV_ROWS = [
    "key,icd10,name_en,name_es,aliases,prevalence_weight,profile,reference",
    "dengue,A90,Dengue fever,Dengue,Dengue|Breakbone fever,0.02,"
    "HP:0001945=0.95;HP:0002315=0.60;HP:0000535=0.1;HP:0001270=0,WHO 2009",
    "gerd,K21.9,Gastro-oesophageal reflux disease,Enfermedad por reflujo gastroesofágico,GERD|Acid reflux,"
    "0.1,HP:0002020=0.8;,NICE CG184",
]


# ------------------------------------------------------------------------------ independent file counts


def obo_stanzas() -> list[list[str]]:
    """Return the lines of every [Term] stanza of hp.obo."""
    stanzas: list[list[str]] = []
    current: list[str] | None = None
    for line in OBO_PATH.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            current = [] if line == "[Term]" else None
            if current is not None:
                stanzas.append(current)
        elif current is not None and line:
            current.append(line)
    return stanzas


def stanza_value(stanza: list[str], tag: str) -> list[str]:
    """Return the values of one tag in a stanza."""
    return [line.split(": ", 1)[1] for line in stanza if line.startswith(tag + ": ")]


def hpoa_rows() -> list[list[str]]:
    """Return the data rows of phenotype.hpoa as lists of cells."""
    lines = HPOA_PATH.read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith(("#", "database_id\t"))]


@pytest.fixture(scope="session")
def common_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("catalogue") / "common.csv"
    path.write_text("\n".join(COMMON_CSV_ROWS) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def kb_out_dir(tmp_path_factory, common_csv) -> Path:
    out_dir = tmp_path_factory.mktemp("kb")
    kb.build_kb(out_dir=out_dir, common_csv=common_csv)
    return out_dir


@pytest.fixture(scope="session")
def knowledge(kb_out_dir) -> kb.KnowledgeBase:
    return kb.load_kb(kb_out_dir)


@pytest.fixture(scope="session")
def rows() -> list[list[str]]:
    return hpoa_rows()


@pytest.fixture(scope="session")
def parsed_hpoa() -> list[kb.HpoaDisease]:
    return kb.parse_hpoa(HPOA_PATH)


# --------------------------------------------------------------------------------------- frequencies


@pytest.mark.parametrize(
    "cell,expected",
    [
        ("HP:0040280", 1.0),
        ("HP:0040281", 0.90),
        ("HP:0040282", 0.55),
        ("HP:0040283", 0.17),
        ("HP:0040284", 0.025),
        ("HP:0040285", 0.0),
        ("3/7", 3 / 7),
        ("0/5", 0.0),
        ("12/12", 1.0),
        ("45%", 0.45),
        ("7.5%", 0.075),
        ("", kb.MISSING_FREQUENCY),
        ("  ", kb.MISSING_FREQUENCY),
    ],
)
def test_parse_frequency_maps_every_notation_to_a_probability(cell, expected):
    assert kb.parse_frequency(cell) == pytest.approx(expected)


@pytest.mark.parametrize("cell", ["often", "HP:0001945", "3/0", "8/7", "150%", "1/2/3", "-5%", "0.4"])
def test_parse_frequency_rejects_garbage_with_the_value_in_the_message(cell):
    with pytest.raises(ValueError, match="frequency"):
        kb.parse_frequency(cell)


# ------------------------------------------------------------------------------------- OBO parsing


def test_parse_obo_handles_escapes_synonym_types_obsolete_terms_and_typedefs(tmp_path):
    obo = tmp_path / "mini.obo"
    obo.write_text(
        textwrap.dedent(
            r"""
            format-version: 1.2
            data-version: hp/releases/2099-12-31

            [Term]
            id: HP:0000001
            name: All

            [Term]
            id: HP:0000002
            name: Child
            alt_id: HP:0000003
            def: "A \"quoted\" word." [PMID:1]
            synonym: "Kid" EXACT layperson []
            synonym: "Offspring" BROAD [https://orcid.org/0000-0001-5889-4463]
            is_a: HP:0000001 ! All

            [Term]
            id: HP:0000004
            name: obsolete Old
            is_obsolete: true
            replaced_by: HP:0000002
            consider: HP:0000001

            [Typedef]
            id: part_of
            name: part of
            """
        ),
        encoding="utf-8",
    )
    root, child, old = kb.parse_obo(obo)
    assert root == kb.OboTerm(id="HP:0000001", name="All")
    assert child.definition == 'A "quoted" word.'
    assert child.synonyms == (
        kb.Synonym(text="Kid", scope="EXACT", type="layperson"),
        kb.Synonym(text="Offspring", scope="BROAD", type=""),
    )
    assert (child.parents, child.alt_ids, child.is_obsolete) == (("HP:0000001",), ("HP:0000003",), False)
    assert (old.is_obsolete, old.replaced_by, old.consider) == (True, ("HP:0000002",), ("HP:0000001",))
    assert kb.read_obo_release(obo) == "2099-12-31"


def test_parse_obo_reads_every_term_of_the_shipped_ontology():
    stanzas = obo_stanzas()
    terms = kb.parse_obo(OBO_PATH)
    by_id = {term.id: term for term in terms}
    assert len(terms) == len(stanzas)
    assert sum(term.is_obsolete for term in terms) == sum("is_obsolete: true" in s for s in stanzas)
    assert sum(len(term.alt_ids) for term in terms) == sum(len(stanza_value(s, "alt_id")) for s in stanzas)
    assert sum(len(term.parents) for term in terms) == sum(len(stanza_value(s, "is_a")) for s in stanzas)
    synonym_lines = [line for s in stanzas for line in stanza_value(s, "synonym")]
    synonyms = [synonym for term in terms for synonym in term.synonyms]
    assert len(synonyms) == len(synonym_lines)
    for scope in kb.SYNONYM_SCOPES:
        assert sum(s.scope == scope for s in synonyms) == sum(f'" {scope} ' in line for line in synonym_lines)
    assert sum(s.type == "layperson" for s in synonyms) == sum(
        " layperson [" in line for line in synonym_lines
    )
    fever = by_id["HP:0001945"]
    assert fever.name == "Fever"
    assert kb.Synonym(text="Pyrexia", scope="EXACT", type="") in fever.synonyms


# ------------------------------------------------------------------------------------ HPOA parsing

MINI_HPOA_HEADER = "#version: 2099-12-31\n" + "\t".join(kb.HPOA_COLUMNS) + "\n"


def hpoa_line(disease, term, *, qualifier="", frequency="", onset="", sex="", aspect="P", name="Disease"):
    return "\t".join(
        [disease, name, qualifier, term, "PMID:1", "PCS", onset, frequency, sex, "", aspect, "x"]
    )


def test_parse_hpoa_keeps_max_frequency_and_routes_not_and_zero_rows_to_excluded(tmp_path):
    hpoa = tmp_path / "mini.hpoa"
    lines = [
        hpoa_line("OMIM:1", "HP:0000010", frequency="1/4"),
        hpoa_line("OMIM:1", "HP:0000010", frequency="HP:0040281"),
        hpoa_line("OMIM:1", "HP:0000011", frequency="0/6"),
        hpoa_line("OMIM:1", "HP:0000012", qualifier="NOT"),
        hpoa_line("OMIM:1", "HP:0000013", onset="HP:0003577"),
        hpoa_line("OMIM:1", "HP:0003593", aspect="C"),
        hpoa_line("OMIM:1", "HP:0000006", aspect="I"),
        hpoa_line("ORPHA:2", "HP:0000010", sex="MALE", frequency="50%", name="Other"),
    ]
    hpoa.write_text(MINI_HPOA_HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    first, second = kb.parse_hpoa(hpoa)
    assert first.id == "OMIM:1"
    assert first.frequencies == {"HP:0000010": 0.90, "HP:0000013": kb.MISSING_FREQUENCY}
    assert first.excluded == {"HP:0000011", "HP:0000012"}
    assert (first.onset, first.clinical_course, first.sex) == ({"HP:0003577"}, {"HP:0003593"}, "")
    assert (second.name, second.frequencies, second.sex) == ("Other", {"HP:0000010": 0.5}, "MALE")
    assert kb.read_hpoa_release(hpoa) == "2099-12-31"


@pytest.mark.parametrize(
    "bad_line,message",
    [
        (
            hpoa_line("OMIM:1", "HP:0000010", frequency="often"),
            r"mini.hpoa:3: unrecognised frequency 'often'",
        ),
        ("OMIM:1\tDisease\t\tHP:0000010", r"mini.hpoa:3: expected 12 columns, got 4"),
    ],
)
def test_parse_hpoa_names_the_line_of_a_bad_row(tmp_path, bad_line, message):
    hpoa = tmp_path / "mini.hpoa"
    hpoa.write_text(MINI_HPOA_HEADER + bad_line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        kb.parse_hpoa(hpoa)


def test_parse_hpoa_finds_every_disease_of_the_shipped_file(rows, parsed_hpoa):
    diseases = parsed_hpoa
    ids_by_prefix: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        ids_by_prefix[row[0].split(":")[0]].add(row[0])
    assert len(diseases) == sum(len(ids) for ids in ids_by_prefix.values())
    for prefix, ids in ids_by_prefix.items():
        assert sum(d.id.startswith(prefix + ":") for d in diseases) == len(ids)
    negated = {(row[0], row[3]) for row in rows if row[2] == "NOT" and row[10] == "P"}
    assert {(d.id, term) for d in diseases for term in d.excluded} >= negated


# ------------------------------------------------------------------------------- common catalogue


@pytest.mark.parametrize(
    "row,message",
    [
        ("x,A9,X,X,,1,HP:0001945=0.5,r", "not an ICD-10 code"),
        ("x,A90,X,X,,lots,HP:0001945=0.5,r", "bad prevalence_weight"),
        ("x,A90,X,X,,-1,HP:0001945=0.5,r", "non-negative"),
        ("x,A90,X,X,,1,HP:0001945=1.5,r", r"outside \[0, 1\]"),
        ("x,A90,X,X,,1,Fever=0.5,r", "bad HPO id 'Fever'"),
        ("x,A90,X,X,,1,HP:0001945=high,r", "bad frequency 'high'"),
        ("x,A90,X,X,,1,,r", "empty phenotype profile"),
        ("x,A90,X,X,,1", "too few cells"),
    ],
)
def test_parse_common_csv_rejects_bad_rows_with_key_and_line(tmp_path, row, message):
    path = tmp_path / "common.csv"
    path.write_text(",".join(kb.COMMON_CSV_COLUMNS) + "\n" + row + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=f"common.csv:2: .*{message}"):
        kb.parse_common_csv(path)


def test_parse_common_csv_rejects_missing_columns_and_duplicate_codes(tmp_path):
    path = tmp_path / "common.csv"
    path.write_text("key,icd10\nx,A90\n", encoding="utf-8")
    with pytest.raises(ValueError, match="missing columns"):
        kb.parse_common_csv(path)
    row = "x,A90,X,X,,1,HP:0001945=0.5,r"
    path.write_text(",".join(kb.COMMON_CSV_COLUMNS) + f"\n{row}\n{row}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"duplicate ICD-10 codes \['ICD10:A90'\]"):
        kb.parse_common_csv(path)


def test_common_diseases_are_merged_with_resolved_terms(knowledge):
    dengue = knowledge.disease("ICD10:A90")
    assert (dengue.name, dengue.name_es, dengue.source, dengue.orphan) == (
        "Dengue fever",
        "Dengue",
        "ICD10",
        False,
    )
    assert (dengue.icd10, dengue.aliases, dengue.prevalence_weight) == (
        "A90",
        ("Dengue", "Breakbone fever"),
        0.02,
    )
    # HP:0000535 is an alt id of the current term; zero frequency means excluded, not a weak annotation.
    current = knowledge.resolve_term_id("HP:0000535")
    assert dengue.frequencies == pytest.approx({"HP:0001945": 0.95, "HP:0002315": 0.60, current: 0.1})
    assert dengue.excluded == ("HP:0001270",)
    gerd = knowledge.disease("ICD10:K21.9")
    assert gerd.name_es == "Enfermedad por reflujo gastroesofágico"
    assert knowledge.disease("OMIM:619340").orphan is True
    orphan_weights = knowledge.disease_prevalence_weight[knowledge.disease_orphan]
    assert orphan_weights.sum() == pytest.approx(kb.RARE_DISEASES_PER_100K)
    assert knowledge.disease("OMIM:619340").prevalence_weight == pytest.approx(orphan_weights.max())


def test_unknown_profile_term_names_the_disease(tmp_path):
    hpo_dir = tmp_path / "hpo"
    hpo_dir.mkdir()
    (hpo_dir / "hp.obo").symlink_to(OBO_PATH)
    (hpo_dir / "phenotype.hpoa").write_text(MINI_HPOA_HEADER + hpoa_line("OMIM:1", "HP:0001945") + "\n")
    path = tmp_path / "common.csv"
    path.write_text(",".join(kb.COMMON_CSV_COLUMNS) + "\nflu,J11,Flu,Gripe,,1,HP:9999999=0.5,r\n")
    with pytest.raises(ValueError, match="flu: 'HP:9999999' is not a current HPO term"):
        kb.build_kb(out_dir=tmp_path / "kb", hpo_dir=hpo_dir, common_csv=path)
    assert not (tmp_path / "kb" / "current").exists()


# --------------------------------------------------------------------------------- built artifact


def test_loaded_counts_match_the_source_files(knowledge, rows):
    stanzas = obo_stanzas()
    info = kb.kb_info(knowledge)
    prefixes: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        prefixes[row[0].split(":")[0]].add(row[0])
    assert info["terms"] == knowledge.n_terms == len(stanzas)
    assert info["obsolete_terms"] == sum("is_obsolete: true" in s for s in stanzas)
    assert info["diseases_by_source"] == {**{p: len(ids) for p, ids in prefixes.items()}, "ICD10": 2}
    assert info["orphan_diseases"] == sum(len(ids) for ids in prefixes.values())
    assert (info["common_diseases"], info["diseases"]) == (2, knowledge.n_diseases)
    assert info["hpo_release"] == knowledge.version == "2025-01-16"
    assert info["load_seconds"] > 0  # measured and reported; the speed goal lives in bench/bench_kb.py


def test_annotations_follow_the_file_rows(knowledge, rows):
    positive: dict[tuple[str, str], list[float]] = defaultdict(list)
    negated = set()
    for row in rows:
        if row[10] == "P" and row[2] == "NOT":
            negated.add((row[0], row[3]))
        elif row[10] == "P":
            positive[(row[0], row[3])].append(kb.parse_frequency(row[7]))
    expected = {pair: max(values) for pair, values in positive.items() if max(values) > 0}
    zero_only = {pair for pair, values in positive.items() if max(values) == 0}
    assert knowledge.annotations.nnz == len(expected) + 3 + 1  # + dengue's three positives, GERD's one
    assert knowledge.excluded.nnz == len(negated | zero_only) + 1  # + dengue's zero-frequency term
    pair, values = next((pair, values) for pair, values in positive.items() if len(set(values)) > 1)
    assert knowledge.disease(pair[0]).frequencies[pair[1]] == pytest.approx(max(values))
    disease_id, term_id = sorted(negated)[0]
    assert term_id in knowledge.disease(disease_id).excluded


def test_onset_comes_from_the_onset_column_and_onset_course_rows(knowledge, rows):
    onset_terms = {
        row[3] for row in rows if row[10] == "C" and "HP:0003674" in knowledge.ancestors_of(row[3])
    }
    onset_row = next(row for row in rows if row[10] == "C" and row[3] in onset_terms)
    column_row = next(row for row in rows if row[6])
    assert onset_row[3] in knowledge.disease(onset_row[0]).onset
    assert column_row[6] in knowledge.disease(column_row[0]).onset
    assert "HP:0003676" not in onset_terms  # Progressive is a course, not an onset


def test_ancestor_closure_reaches_the_roots(knowledge):
    fever_ancestors = knowledge.ancestors_of("HP:0001945")
    assert {"HP:0001945", "HP:0000118", kb.ROOT_TERM_ID} <= fever_ancestors
    assert "HP:0001945" not in knowledge.ancestors_of("HP:0001945", include_self=False)
    assert knowledge.ancestors_of(kb.ROOT_TERM_ID) == {kb.ROOT_TERM_ID}
    root_column = knowledge.ancestor_closure[:, [knowledge.term_index[kb.ROOT_TERM_ID]]]
    assert root_column.nnz == knowledge.n_terms - int(knowledge.term_obsolete.sum())
    assert np.all(knowledge.ancestor_closure.diagonal())


def test_information_content_is_zero_at_the_root_and_grows_downwards(knowledge):
    ic = knowledge.information_content
    assert ic[knowledge.term_index[kb.ROOT_TERM_ID]] == 0.0
    for child_index, parents in enumerate(knowledge.term_parents):
        for parent in parents:
            assert ic[child_index] >= ic[knowledge.term_index[parent]]
    # For a leaf, "has the term or a descendant" is just "is annotated with it".
    parent_ids = {parent for parents in knowledge.term_parents for parent in parents}
    annotated = np.diff(knowledge.annotations.tocsc().indptr)
    leaf = next(
        index
        for index, term_id in enumerate(knowledge.term_ids)
        if term_id not in parent_ids and annotated[index] >= 3
    )
    n_annotated = np.count_nonzero(np.diff(knowledge.annotations.indptr))
    assert ic[leaf] == pytest.approx(math.log(n_annotated / annotated[leaf]))


def test_alt_ids_and_obsolete_terms_resolve_to_current_terms(knowledge):
    stanzas = obo_stanzas()
    live = next(s for s in stanzas if stanza_value(s, "alt_id") and not stanza_value(s, "is_obsolete"))
    primary, alt_id = stanza_value(live, "id")[0], stanza_value(live, "alt_id")[0]
    assert knowledge.resolve_term_id(alt_id) == primary
    assert knowledge.resolve_term_id(f" {alt_id.lower()} ") == primary
    all_alt_ids = {alt for s in stanzas for alt in stanza_value(s, "alt_id")}
    replaced = next(
        s
        for s in stanzas
        if len(stanza_value(s, "replaced_by")) == 1 and stanza_value(s, "id")[0] not in all_alt_ids
    )
    assert (
        knowledge.resolve_term_id(stanza_value(replaced, "id")[0]) == stanza_value(replaced, "replaced_by")[0]
    )
    dead = next(
        s
        for s in stanzas
        if stanza_value(s, "is_obsolete")
        and not stanza_value(s, "replaced_by")
        and stanza_value(s, "id")[0] not in all_alt_ids
    )
    assert knowledge.resolve_term_id(stanza_value(dead, "id")[0]) is None
    assert knowledge.term_name(alt_id) == knowledge.term_name(primary)


@pytest.mark.parametrize("bad_id", ["HP:9999999", "fever", "", None, 1945])
def test_unknown_ids_give_none_or_a_named_key_error(knowledge, bad_id):
    assert knowledge.resolve_term_id(bad_id) is None
    if isinstance(bad_id, str):
        with pytest.raises(KeyError, match="not a current HPO term"):
            knowledge.ancestors_of(bad_id)
        with pytest.raises(KeyError, match="unknown HPO term"):
            knowledge.term_name(bad_id)
        with pytest.raises(KeyError, match="unknown disease"):
            knowledge.disease(bad_id)


def test_loaded_arrays_are_read_only(knowledge):
    with pytest.raises(ValueError, match="read-only"):
        knowledge.annotations.data[0] = 0.0
    with pytest.raises(ValueError, match="read-only"):
        knowledge.information_content[0] = 0.0


def test_artifact_round_trips_to_its_recorded_hash(knowledge, parsed_hpoa):
    manifest = json.loads((knowledge.path / "manifest.json").read_text())
    with np.load(knowledge.path / "arrays.npz") as stored:
        arrays = {name: stored[name] for name in stored.files}
    recomputed = kb.content_hash(arrays, (knowledge.path / "strings.json").read_bytes())
    assert recomputed == manifest["content_hash"] == knowledge.content_hash
    assert knowledge.path.name == f"2025-01-16-{recomputed[:12]}"
    assert manifest["sources"]["hp.obo"]["sha256"] == kb.file_sha256(OBO_PATH)
    assert manifest["counts"]["annotations"] == knowledge.annotations.nnz
    parsed = next(disease for disease in parsed_hpoa if disease.id == "ORPHA:1401")
    loaded = knowledge.disease("ORPHA:1401")
    assert loaded.frequencies == pytest.approx(dict(parsed.frequencies))
    assert set(loaded.excluded) == parsed.excluded


@pytest.mark.slow
def test_content_hash_is_stable_across_builds(kb_out_dir, knowledge, common_csv, tmp_path):
    rebuilt = kb.build_kb(out_dir=tmp_path, common_csv=common_csv)
    assert rebuilt.name == knowledge.path.name
    assert kb.load_kb(tmp_path).content_hash == knowledge.content_hash
    assert (tmp_path / "current").read_text().strip() == rebuilt.name


def test_get_kb_caches_per_build_and_follows_current(kb_out_dir, tmp_path):
    kb.clear_kb_cache()
    out_dir = tmp_path / "kb"
    shutil.copytree(kb_out_dir, out_dir)
    first = kb.get_kb(out_dir)
    assert kb.get_kb(out_dir) is first
    assert kb.get_kb(first.path) is first
    current = (out_dir / "current").read_text().strip()
    shutil.copytree(out_dir / current, out_dir / "newer")
    (out_dir / "current").write_text("newer\n")
    assert kb.get_kb(out_dir) is not first
    kb.clear_kb_cache()


def test_load_kb_explains_a_missing_or_dangling_artifact(tmp_path):
    with pytest.raises(FileNotFoundError, match="no knowledge base at"):
        kb.load_kb(tmp_path)
    (tmp_path / "current").write_text("gone\n")
    with pytest.raises(FileNotFoundError, match="'gone', which holds no knowledge base"):
        kb.load_kb(tmp_path)


def test_a_fresh_process_loads_the_kb_with_ml_alone(kb_out_dir):
    """A process that imports only ml has the whole KB; its start-up time is measured by bench/bench_kb.py."""
    script = (
        "import time; started = time.perf_counter(); from ml import knowledge as kb; "
        f"k = kb.load_kb({str(kb_out_dir)!r}); print(time.perf_counter() - started, k.n_diseases)"
    )
    repo_root = Path(__file__).resolve().parents[3]
    output = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=repo_root
    )
    seconds, n_diseases = output.stdout.split()
    assert float(seconds) > 0
    assert int(n_diseases) > 10_000
