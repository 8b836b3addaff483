"""The Dataset shape shared by EDA, training and monitoring."""

import pytest

from ml.dataset import Dataset, dataset_from_records, empty_dataset, snapshot_id

RECORDS = [
    {"case_id": 1, "source": "hospital", "sex": "female", "present": ["HP:0001945"], "absent": ["HP:0012735"],
     "diagnoses": ["ICD10:J11"]},
    {"case_id": 2, "source": "registry", "sex": "male", "present": ["HP:0001250", "HP:0001263"],
     "diagnoses": ["ORPHA:166"]},
]


def test_records_become_three_long_tables():
    dataset = dataset_from_records(RECORDS)
    assert dataset.n_cases == 2
    assert dataset.symptoms.values.tolist() == [
        [1, "HP:0001945", True], [1, "HP:0012735", False], [2, "HP:0001250", True], [2, "HP:0001263", True],
    ]
    assert dataset.diagnoses["disease_id"].tolist() == ["ICD10:J11", "ORPHA:166"]


def test_snapshot_id_changes_with_the_rows_and_not_with_their_order():
    dataset = dataset_from_records(RECORDS)
    reordered = dataset_from_records(list(reversed(RECORDS)))
    assert snapshot_id(dataset) == snapshot_id(reordered)
    assert snapshot_id(dataset) != snapshot_id(dataset.subset([1]))
    fewer_findings = dataset_from_records([RECORDS[0], {**RECORDS[1], "present": ["HP:0001250"]}])
    assert snapshot_id(dataset) != snapshot_id(fewer_findings)


def test_subset_keeps_only_the_named_cases():
    subset = dataset_from_records(RECORDS).subset([2])
    assert subset.cases["case_id"].tolist() == [2]
    assert set(subset.symptoms["case_id"]) == {2}
    assert subset.diagnoses["disease_id"].tolist() == ["ORPHA:166"]


def test_a_frame_without_its_columns_is_refused():
    empty = empty_dataset()
    with pytest.raises(ValueError, match="lacks the columns hpo_id"):
        Dataset(cases=empty.cases, symptoms=empty.diagnoses, diagnoses=empty.diagnoses)
