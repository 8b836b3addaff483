"""The case encoder keeps present, absent and unknown apart, propagates along the ontology and encodes queries."""

import numpy as np
import pytest

from ml.dataset import dataset_from_records
from ml.features import CaseEncoder, Query
from tests.ml.cases import make_dataset, make_records

# child -> its proper ancestors: focal seizure < seizure < nervous system abnormality.
ANCESTORS = {
    "HP:0007359": ("HP:0001250", "HP:0000707"),
    "HP:0001250": ("HP:0000707",),
    "HP:0000707": (),
    "HP:0001945": (),
}


def _row(encoder: CaseEncoder, matrix, index: int = 0) -> dict[str, float]:
    """Return one matrix row as {feature name: value} for the nonzero cells."""
    row = matrix[index].toarray().ravel()
    return {encoder.feature_names_[j]: float(row[j]) for j in np.flatnonzero(row)}


def test_present_absent_and_unknown_are_three_different_encodings():
    data = dataset_from_records([
        {"present": ["HP:0001945"], "absent": ["HP:0001250"]},
        {"present": ["HP:0001250", "HP:0000707"]},
    ])
    encoder = CaseEncoder().fit(data)
    first, second = _row(encoder, encoder.transform(data), 0), _row(encoder, encoder.transform(data), 1)
    assert first["present:HP:0001945"] == 1 and first["absent:HP:0001250"] == 1
    assert "present:HP:0000707" not in first and "absent:HP:0000707" not in first  # unknown: neither
    assert "absent:HP:0001945" not in second and "present:HP:0001945" not in second
    assert second["present:HP:0001250"] == 1


def test_present_propagates_up_and_absent_down_only():
    data = dataset_from_records([{"present": ["HP:0007359"]}, {"absent": ["HP:0001250"]}, {"absent": ["HP:0007359"]}])
    encoder = CaseEncoder(ancestors=ANCESTORS).fit(data)
    matrix = encoder.transform(data)
    assert {"present:HP:0007359", "present:HP:0001250"} <= set(_row(encoder, matrix, 0))
    assert _row(encoder, matrix, 1).get("absent:HP:0007359") == 1  # no seizure: no focal seizure
    assert "absent:HP:0001250" not in _row(encoder, matrix, 2)  # no focal seizure says nothing about seizures
    flat = CaseEncoder(ancestors=ANCESTORS, absent_propagation="none").fit(data)
    assert "absent:HP:0007359" not in _row(flat, flat.transform(data), 1)


def test_a_specific_present_finding_wins_over_a_general_absence():
    data = dataset_from_records([{"present": ["HP:0007359"], "absent": ["HP:0001250"]}, {"present": ["HP:0001250"]}])
    encoder = CaseEncoder(ancestors=ANCESTORS).fit(data)
    row = _row(encoder, encoder.transform(data), 0)
    assert row["present:HP:0007359"] == 1 and row["present:HP:0001250"] == 1
    assert "absent:HP:0001250" not in row and "absent:HP:0007359" not in row


def test_a_query_is_encoded_exactly_like_the_same_training_case():
    records = make_records(5)
    encoder = CaseEncoder(ancestors=ANCESTORS).fit(dataset_from_records(records))
    case = {"present": ["HP:0001945", "HP:0012735"], "absent": ["HP:0002014"], "sex": "female",
            "age_group": "25-44", "temperature_c": 38.4, "temperature_band": "fever"}
    as_case = encoder.transform(dataset_from_records([case]))
    as_query = encoder.encode_query(Query(present=("HP:0001945", "HP:0012735"), absent=("HP:0002014",),
                                          age=30, sex="female", temperature_c=38.4))
    as_mapping = encoder.encode_query({"present": ["HP:0001945", "HP:0012735"], "absent": ["HP:0002014"],
                                       "age": 30, "sex": "female", "temperature_c": 38.4})
    assert as_case.nnz > 0
    assert (as_case != as_query).nnz == 0 and (as_case != as_mapping).nnz == 0


def test_non_clinical_fields_change_nothing():
    records = make_records(8)
    encoder = CaseEncoder().fit(dataset_from_records(records))
    renamed = [record | {"patient_id": 7, "upload_id": 99, "source": "clinic_notes", "year": 1999,
                         "weight_kg": 80.0, "height_cm": 150.0} for record in records]
    before, after = encoder.transform(dataset_from_records(records)), encoder.transform(dataset_from_records(renamed))
    assert before.shape[0] == len(records)
    assert (before != after).nnz == 0


def test_temperature_is_banded_scaled_and_flagged_when_missing():
    data = dataset_from_records([
        {"present": ["HP:0001945"], "temperature_c": 39.0, "temperature_band": "fever"},
        {"present": ["HP:0001945"], "temperature_c": 37.0, "temperature_band": "normal"},
        {"present": ["HP:0001945"]},
    ])
    encoder = CaseEncoder().fit(data)
    rows = [_row(encoder, encoder.transform(data), index) for index in range(3)]
    assert encoder.temperature_mean_ == 38.0
    assert rows[0]["temperature_band:fever"] == 1 and rows[1]["temperature_band:normal"] == 1
    assert rows[0]["temperature_scaled"] == pytest.approx(1 / np.std([39.0, 37.0], ddof=1))
    assert rows[2]["temperature_missing"] == 1 and "temperature_scaled" not in rows[2]
    assert "temperature_missing" not in rows[0]


def test_sex_and_age_group_are_one_hot_and_unknown_values_are_zero():
    data = dataset_from_records([{"present": ["HP:0001945"], "sex": "Female", "age_group": "65-89"},
                                 {"present": ["HP:0001945"], "sex": "unknown", "age_group": None}])
    encoder = CaseEncoder().fit(data)
    first, second = _row(encoder, encoder.transform(data), 0), _row(encoder, encoder.transform(data), 1)
    assert first["sex:female"] == 1 and first["age_group:65-89"] == 1
    assert not any(name.startswith(("sex:", "age_group:")) for name in second)


def test_categorical_columns_are_one_hot_when_few_and_target_encoded_when_many():
    data = make_dataset(10)
    Y = np.asarray([[1, 0]] * (data.n_cases // 2) + [[0, 1]] * (data.n_cases - data.n_cases // 2))
    low = CaseEncoder(categorical_columns=("source",), max_onehot=10).fit(data, Y)
    assert low.categorical_plans_["source"]["kind"] == "onehot"
    assert "source:hospital_csv" in set(low.feature_names_)
    high = CaseEncoder(categorical_columns=("patient_id",), max_onehot=10, target_smoothing=2.0).fit(
        data, Y, labels=["A", "B"])
    assert high.categorical_plans_["patient_id"]["kind"] == "target"
    unseen = data.cases.assign(patient_id=-1)
    from ml.dataset import Dataset

    block = high.transform(Dataset(cases=unseen, symptoms=data.symptoms, diagnoses=data.diagnoses))
    columns = [list(high.feature_names_).index(name) for name in ("patient_id:te:A", "patient_id:te:B")]
    # A category never seen in training gets the training prior, not anything learned from new rows.
    assert block[:, columns].toarray()[0] == pytest.approx(Y.mean(axis=0))


def test_terms_under_the_minimum_count_leave_the_vocabulary():
    data = dataset_from_records([{"present": ["HP:0001945"]}, {"present": ["HP:0001945", "HP:0002014"]}])
    assert CaseEncoder(min_term_count=2).fit(data).vocabulary_ == ("HP:0001945",)


# Queries over every input the encoder reads: present and absent findings (propagated, overlapping, unknown ids),
# ages in and out of range, sexes in any case, temperatures in each band, missing and not a number.
VARIED_QUERIES = [
    Query(present=("HP:0001945",)),
    Query(absent=("HP:0001250",)),
    Query(present=("HP:0007359", "HP:0002014"), absent=("HP:0001250", "HP:0007359"), age=3, sex="Male"),
    Query(present=("HP:0012735", "HP:9999999"), absent=("HP:0001945",), age=70, sex="female", temperature_c=36.1),
    Query(present=("HP:0001945", "HP:0001945"), age=130, sex="other", temperature_c=40.5),
    Query(age=30.5, sex="FEMALE", temperature_c=float("nan")),
    Query(present=("HP:0002014",), age=-1, temperature_c=34.0, extra={"source": "hospital_csv", "year": 2024}),
    Query(present=("HP:0100518",), absent=("HP:0002013",), temperature_c=37.7, extra={"source": "unseen"}),
]


@pytest.mark.parametrize("query", VARIED_QUERIES)
def test_the_direct_query_row_equals_the_frame_path(query):
    data = make_dataset(6)
    Y = np.asarray([[index % 2, 1 - index % 2] for index in range(data.n_cases)])
    ancestors = ANCESTORS | {"HP:0002014": ("HP:0001250",)}
    for encoder in (CaseEncoder(ancestors=ancestors, categorical_columns=("source", "year")).fit(data, Y),
                    CaseEncoder(ancestors=ancestors, absent_propagation="none", categorical_columns=("source",),
                                max_onehot=1).fit(data, Y, labels=["A", "B"])):
        direct, frame = encoder.encode_query(query), encoder.transform(query.to_dataset())
        assert direct.shape == frame.shape == (1, encoder.n_features_)
        assert direct.dtype == frame.dtype == np.float32
        assert direct.nnz > 0 and (direct != frame).nnz == 0, _row(encoder, direct)
