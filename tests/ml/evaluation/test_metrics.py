"""The evaluation against hand-computed values, ties never counted as wins, and the champion rule."""

import json

import numpy as np
import pandas as pd
import pytest

from ml.evaluation import champion_wins, evaluate, expected_calibration_error, ranking_metrics

LABELS = ["ICD10:A", "ORPHA:1", "ICD10:B"]
Y = np.array([[1, 0, 0], [0, 1, 0], [1, 0, 1], [0, 0, 0]])
P = np.array([[0.9, 0.1, 0.2], [0.3, 0.6, 0.3], [0.4, 0.2, 0.7], [0.1, 0.1, 0.1]])
CASES = pd.DataFrame({"sex": ["female", "male", "female", None], "age_group": ["25-44"] * 4})


@pytest.fixture
def result():
    return evaluate(Y, P, labels=LABELS, thresholds=[0.5, 0.5, 0.5], train_support=[60, 3, 10], cases=CASES)


def test_set_metrics_match_the_hand_computed_values(result):
    # Predictions at 0.5: case 3 misses A; everything else is right.
    assert result["subset_accuracy"] == pytest.approx(3 / 4)
    assert result["hamming_loss"] == pytest.approx(1 / 12)
    assert result["micro_precision"] == 1 and result["micro_recall"] == pytest.approx(3 / 4)
    assert result["micro_f1"] == pytest.approx(6 / 7)
    assert result["macro_recall"] == pytest.approx((1 / 2 + 1 + 1) / 3)
    assert result["macro_f1"] == pytest.approx((2 / 3 + 1 + 1) / 3)
    assert result["weighted_f1"] == pytest.approx((2 * 2 / 3 + 1 + 1) / 4)
    assert result["roc_auc_macro"] == 1 and result["pr_auc_macro"] == 1 and result["n_labels_auc"] == 3
    assert result["top_1"] == 1 and result["mrr"] == 1 and result["n_ranked"] == 3


def test_per_label_table_and_slices(result):
    rows = {row["label"]: row for row in result["per_label"]}
    assert len(rows) == 3
    assert rows["ICD10:A"]["recall"] == 0.5 and rows["ICD10:A"]["support_test"] == 2
    assert rows["ORPHA:1"]["orphan"] and not rows["ICD10:B"]["orphan"]
    slices = result["slices"]
    assert slices["orphan"]["n_labels"] == 1 and slices["orphan"]["macro_f1"] == 1
    assert slices["orphan"]["recall_at_10"] == 1 and result["orphan_recall_at_10"] == 1
    assert slices["common"]["macro_f1"] == pytest.approx((2 / 3 + 1) / 2)
    assert slices["support_1_5"]["n_labels"] == 1 and slices["support_gt_50"]["n_labels"] == 1
    assert slices["support_6_50"]["macro_f1"] == 1
    assert slices["sex:female"]["n_cases"] == 2 and slices["sex:unknown"]["n_cases"] == 1
    assert slices["age_group:25-44"]["n_cases"] == 4


def test_the_result_is_strict_json(result):
    assert json.loads(json.dumps(result, allow_nan=False))["n_cases"] == 4


@pytest.mark.parametrize(
    "truth,scores,top_1,top_2,mrr",
    [
        ([0, 1, 0], [0.5, 0.5, 0.5], 1 / 3, 2 / 3, 1 / 2),  # one true label in a three-way tie
        ([1, 1, 0], [0.5, 0.5, 0.5], 2 / 3, 1.0, 3 / 4),  # two true labels in the tie
        ([0, 0, 1], [0.9, 0.5, 0.5], 0.0, 1 / 2, 1 / (1 + 3 / 2)),  # behind one, tied with one
    ],
)
def test_ties_count_as_the_expectation_never_as_wins(truth, scores, top_1, top_2, mrr):
    ranked = ranking_metrics(np.array([truth]), np.array([scores]), ks=(1, 2))
    assert ranked["top_1"] == pytest.approx(top_1)
    assert ranked["top_2"] == pytest.approx(top_2)
    assert ranked["mrr"] == pytest.approx(mrr)


def test_expected_calibration_error_by_hand():
    # One pair per bin: (|0 - 0.1| + |1 - 0.9| + |0 - 0.8| + |0 - 0.3|) / 4.
    assert expected_calibration_error(np.array([[0, 1], [0, 0]]), np.array([[0.1, 0.9], [0.8, 0.3]])) == (
        pytest.approx(1.3 / 4))


def test_shapes_that_do_not_match_are_refused():
    with pytest.raises(ValueError, match="do not match"):
        evaluate(Y, P[:, :2], labels=LABELS)


CHAMPION = {"macro_f1": 0.60, "orphan_recall_at_10": 0.80}


@pytest.mark.parametrize(
    "challenger,champion,wins,reason",
    [
        ({"macro_f1": 0.50, "orphan_recall_at_10": 0.70}, None, True, "no champion"),
        ({"macro_f1": 0.90, "orphan_recall_at_10": 0.40}, None, False, "under the floor"),
        ({"macro_f1": 0.70, "orphan_recall_at_10": 0.70}, CHAMPION, False, "falls from 0.800 to 0.700"),
        ({"macro_f1": 0.60, "orphan_recall_at_10": 0.90}, CHAMPION, False, "does not beat"),
        ({"macro_f1": 0.65, "orphan_recall_at_10": 0.79}, CHAMPION, True, "rises by 0.050"),
        ({"macro_f1": 0.65, "orphan_recall_at_10": None}, CHAMPION, True, "rises"),
    ],
)
def test_the_champion_rule(challenger, champion, wins, reason):
    decision, why = champion_wins(challenger, champion)
    assert decision is wins
    assert reason in why
