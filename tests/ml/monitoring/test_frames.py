"""The prediction-window frame: a training snapshot and logged predictions give the same columns and values."""

import numpy as np
import pandas as pd
import pytest

from ml.dataset import dataset_from_records, empty_dataset
from ml.monitoring import FRAME_COLUMNS, frequent_terms, prediction_frame, reference_frame

FEVER, COUGH, RASH = "HP:0001945", "HP:0012735", "HP:0000988"
RECORDS = [
    {"case_id": 10, "sex": "female", "age_group": "25-44", "temperature_c": 38.5, "present": [FEVER, COUGH],
     "absent": [RASH], "diagnoses": ["ICD10:J11"]},
    {"case_id": 11, "sex": None, "age_group": None, "temperature_c": None, "present": [FEVER], "absent": [],
     "diagnoses": ["ICD10:J11", "ICD10:J45"]},
    {"case_id": 12, "sex": "male", "age_group": "0-4", "temperature_c": 36.6, "present": [RASH], "absent": [FEVER],
     "diagnoses": []},
]  # fmt: skip


def test_frequent_terms_rank_present_findings_by_case_share():
    dataset = dataset_from_records(RECORDS)
    assert frequent_terms(dataset, min_share=0.3) == [FEVER, RASH, COUGH]  # 2/3, then the 1/3 ties by id
    assert frequent_terms(dataset, min_share=0.5) == [FEVER]
    assert frequent_terms(dataset, min_share=0.3, max_terms=2) == [FEVER, RASH]
    assert frequent_terms(empty_dataset()) == []


def test_reference_frame_has_one_row_per_case_with_the_documented_columns():
    frame = reference_frame(dataset_from_records(RECORDS), terms=[FEVER, COUGH])
    assert list(frame.columns) == [*FRAME_COLUMNS, FEVER, COUGH]
    assert frame["sex"].tolist() == ["female", "unknown", "male"]
    assert frame["age_group"].tolist() == ["25-44", "unknown", "0-4"]
    assert frame["temperature_c"].tolist()[0] == 38.5 and np.isnan(frame["temperature_c"][1])
    assert frame["n_present"].tolist() == [2, 1, 1]
    assert frame["n_absent"].tolist() == [1, 0, 1]
    assert frame["n_unmapped"].tolist() == [0, 0, 0]
    assert frame["top1_disease"].tolist() == ["ICD10:J11", "ICD10:J11", "none"]  # first confirmed diagnosis
    assert frame[FEVER].tolist() == [1, 1, 0]  # case 12 has fever *absent*: 0
    assert frame[COUGH].tolist() == [1, 0, 0]


def test_reference_top1_can_be_the_champions_predictions():
    frame = reference_frame(dataset_from_records(RECORDS), terms=[], top1={10: "ICD10:A90", 12: "ICD10:B05"})
    assert frame["top1_disease"].tolist() == ["ICD10:A90", "none", "ICD10:B05"]


def test_prediction_frame_matches_the_reference_frame_of_the_same_cases():
    predictions = [
        {"age": 30, "sex": "female", "temperature_c": 38.5, "present": [FEVER, COUGH], "absent": [RASH],
         "top1_disease": "ICD10:J11"},
        {"age": None, "sex": None, "temperature_c": None, "present": [FEVER], "absent": [],
         "top1_disease": "ICD10:J11"},
        {"age": 2, "sex": "male", "temperature_c": 36.6, "present": [RASH], "absent": [FEVER], "top1_disease": None},
    ]  # fmt: skip
    current = prediction_frame(predictions, terms=[FEVER, COUGH])
    reference = reference_frame(dataset_from_records(RECORDS), terms=[FEVER, COUGH])
    pd.testing.assert_frame_equal(current, reference, check_dtype=False)


def test_prediction_frame_counts_unmapped_terms_and_accepts_an_age_group():
    current = prediction_frame(
        [{"age_group": "65-89", "present": [FEVER, FEVER], "n_unmapped": 3}, {"age": 130, "present": []}],
        terms=[FEVER],
    )
    assert current["age_group"].tolist() == ["65-89", "unknown"]  # 130 is outside 0-120
    assert current["n_present"].tolist() == [1, 0] and current[FEVER].tolist() == [1, 0]
    assert current["n_unmapped"].tolist() == [3, 0]


@pytest.mark.parametrize("records", [[], [{"present": []}]])
def test_prediction_frame_of_few_records_keeps_its_columns(records):
    assert list(prediction_frame(records, terms=[FEVER]).columns) == [*FRAME_COLUMNS, FEVER]
