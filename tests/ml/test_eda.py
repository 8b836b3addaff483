"""ml.eda on small tables whose statistics were worked out by hand (the numbers in the comments)."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest

from ml import eda
from ml.dataset import dataset_from_records, empty_dataset, snapshot_id

FEVER, COUGH, RASH = "HP:0001945", "HP:0012735", "HP:0000988"
COMMON, RARE, RARER = "ICD10:J00", "ORPHA:558", "OMIM:100100"


def record(case_id, source, *, present=(), absent=(), diagnoses=(), **fields):
    base = {"patient_id": case_id, "upload_id": 1, "year": "2024", "age_group": "25-44", "sex": "female",
            "temperature_c": 37.0, "weight_kg": 70.0, "height_cm": 170.0}
    return base | fields | {"case_id": case_id, "source": source, "present": list(present), "absent": list(absent),
                            "diagnoses": list(diagnoses)}


@pytest.fixture
def dataset():
    """Seven cases: A holds 1–3, B holds 4–7 (case 7 is empty); case 2 duplicates case 1."""
    return dataset_from_records([
        record(1, "A", present=[FEVER, COUGH], diagnoses=[COMMON]),
        record(2, "A", present=[FEVER, COUGH], diagnoses=[COMMON], patient_id=1),
        record(3, "A", present=[FEVER, FEVER], diagnoses=[COMMON], age_group="65+"),
        record(4, "B", present=[COUGH], absent=[FEVER], diagnoses=[COMMON], weight_kg=None),
        record(5, "B", present=[FEVER, RASH], absent=[RASH], diagnoses=[RARE], sex="male"),
        record(6, "B", present=[RASH], diagnoses=[RARE, RARER], sex=None, temperature_c=98.6),
        record(7, "B", sex=None),
    ])


def test_disease_counts_flag_orphans_by_prefix_and_give_the_imbalance_ratios(dataset):
    counts = eda.disease_counts(dataset)
    assert counts["disease_ids"] == [COMMON, RARE, RARER] and counts["cases"] == [4, 2, 1]
    assert counts["orphan"] == [False, True, True]
    assert counts["irlbl"] == [1.0, 2.0, 4.0]  # 4/4, 4/2, 4/1
    assert counts["mean_ir"] == pytest.approx(7 / 3) and counts["max_ir"] == 4.0
    assert (counts["orphan_diagnoses"], counts["common_diagnoses"]) == (3, 4)


def test_orphan_flags_come_from_the_knowledge_base_when_it_knows_the_disease():
    kb = SimpleNamespace(disease_index={COMMON: 0, RARE: 1}, disease_orphan=np.array([True, False]))
    assert eda.orphan_flags([COMMON, RARE, RARER], kb) == {COMMON: True, RARE: False, RARER: True}


def test_imbalance_ratios_ignore_empty_labels_and_handle_none():
    assert eda.imbalance_ratios({"a": 10, "b": 5, "c": 0})["irlbl"] == {"a": 1.0, "b": 2.0}
    assert eda.imbalance_ratios({})["mean_ir"] is None


def test_symptom_prevalence_is_the_share_of_each_diseases_cases(dataset):
    table = eda.symptom_prevalence(dataset, top_diseases=2, top_symptoms=3)
    assert table["disease_ids"] == [COMMON, RARE] and table["cases"] == [4, 2]
    assert table["hpo_ids"] == [FEVER, COUGH, RASH]  # present in 4, 3 and 2 cases
    assert table["prevalence"] == [[0.75, 0.75, 0.0], [0.5, 0.0, 1.0]]


def test_missingness_per_field_and_source(dataset):
    result = eda.missingness(dataset)
    assert result["sources"] == ["A", "B"]
    by_field = {field: [row[i] for row in result["by_source"]] for i, field in enumerate(result["fields"])}
    assert by_field["sex"] == [0.0, 0.5] and by_field["weight_kg"] == [0.0, 0.25]
    assert by_field["symptoms"] == [0.0, 0.25] and by_field["diagnosis"] == [0.0, 0.25]
    assert result["overall"][result["fields"].index("sex")] == pytest.approx(2 / 7)


def test_age_and_sex_by_source_count_missing_values_as_missing(dataset):
    sex = eda.age_sex_by_source(dataset)["sex"]
    assert sex["rows"] == ["A", "B"] and sex["columns"] == ["female", "male", "missing"]
    assert sex["counts"] == [[3, 0, 0], [1, 1, 2]]


def test_temperature_outliers_by_iqr_and_z_score_differ_when_the_outlier_inflates_the_sd():
    temperatures = [36.8, 36.9, 37.0, 37.1, 37.2, 41.5]
    data = dataset_from_records([record(i + 1, "A", temperature_c=t) for i, t in enumerate(temperatures)])
    result = eda.temperature_outliers(data)
    # Q1 = 36.925, Q3 = 37.175 (linear interpolation), fences 36.55 and 37.55: 41.5 is out.
    assert result["q1"] == pytest.approx(36.925) and result["iqr_high"] == pytest.approx(37.55)
    assert result["iqr_outliers"] == 1
    # mean 37.75, sample sd sqrt(16.975 / 5) = 1.8426: mean + 3 sd = 43.28, so no z-score outlier.
    assert result["mean"] == pytest.approx(37.75) and result["std"] == pytest.approx(math.sqrt(16.975 / 5))
    assert result["z_outliers"] == 0 and sum(result["counts"]) == 6


def test_phi_coefficients_of_the_most_frequent_symptoms(dataset):
    result = eda.cooccurrence(dataset, top=3)
    assert result["hpo_ids"] == [FEVER, COUGH, RASH] and result["cases"] == [4, 3, 2]
    phi = np.array(result["phi"])
    # n = 7; phi = (n·n11 − n1·n2) / sqrt(n1(n−n1)·n2(n−n2))
    assert phi[0, 1] == pytest.approx(2 / 12, abs=1e-4)  # fever–cough: (14 − 12) / sqrt(4·3·3·4)
    assert phi[0, 2] == pytest.approx(-1 / math.sqrt(120), abs=1e-4)  # fever–rash: (7 − 8) / sqrt(4·3·2·5)
    assert phi[1, 2] == pytest.approx(-6 / math.sqrt(120), abs=1e-4)  # cough–rash: (0 − 6) / sqrt(3·4·2·5)
    assert np.allclose(np.diag(phi), 1.0) and np.allclose(phi, phi.T)


def test_a_constant_column_has_phi_zero():
    assert eda.phi_matrix(np.array([[1, 1], [1, 0], [1, 1]]))[0, 1] == 0.0


def test_disease_groups_keep_the_top_diseases_and_pool_the_rest(dataset):
    groups = eda.disease_groups(dataset, orphan=eda.orphan_flags([COMMON, RARE, RARER]), top=1)
    assert groups.tolist() == [COMMON] * 4 + [eda.OTHER_ORPHAN, eda.OTHER_ORPHAN, eda.UNDIAGNOSED]


def test_projection_gives_two_coordinates_per_sampled_case(dataset):
    result = eda.projection(dataset, orphan=eda.orphan_flags([COMMON, RARE, RARER]), max_points=5)
    assert result["n_cases"] == 7 and result["n_terms"] == 3
    assert len(result["x"]) == len(result["y"]) == len(result["group"]) == 5
    assert 0 < sum(result["explained_variance_ratio"]) <= 1


def test_source_comparison_shows_how_far_each_source_is_from_the_others(dataset):
    rows = {row["source"]: row for row in eda.source_comparison(dataset, orphan=eda.orphan_flags([COMMON, RARE,
                                                                                                   RARER]))["sources"]}
    assert rows["B"]["cases"] == 4 and rows["B"]["orphan_share"] == 0.75 and rows["A"]["orphan_share"] == 0.0
    assert rows["A"]["present_per_case"] == pytest.approx(6 / 3)  # rows, duplicates included
    assert rows["B"]["absent_per_case"] == pytest.approx(2 / 4)
    # Diseases: A = (1, 0, 0), B = (1/4, 1/2, 1/4); JS divergence 0.5488 bits, distance its square root.
    assert rows["A"]["disease_js"] == pytest.approx(0.7408, abs=1e-4) == rows["B"]["disease_js"]


def test_data_quality_counts_duplicates_contradictions_and_implausible_values(dataset):
    quality = eda.data_quality(dataset, unmapped_terms=5)
    assert quality["duplicate_cases"] == 1  # case 2 repeats case 1
    assert quality["duplicate_findings"] == 2  # fever twice in case 3, rash twice (present, absent) in case 5
    assert quality["contradictory_findings"] == 1  # rash in case 5
    assert quality["implausible"] == {"temperature_c": 1, "weight_kg": 0, "height_cm": 0}  # 98.6 °C
    assert (quality["cases_without_symptoms"], quality["cases_without_diagnosis"]) == (1, 1)
    assert quality["unmapped_terms"] == 5


def test_summarize_is_json_without_nan_and_names_its_snapshot(dataset):
    summary = eda.summarize(dataset)
    assert summary["snapshot_id"] == snapshot_id(dataset) and summary["n_cases"] == 7
    assert json.loads(json.dumps(summary, allow_nan=False))["diseases"]["cases"] == [4, 2, 1]


def test_summarize_an_empty_dataset():
    summary = eda.summarize(empty_dataset())
    assert summary["n_cases"] == 0 and summary["diseases"]["disease_ids"] == []
    assert json.dumps(summary, allow_nan=False)
