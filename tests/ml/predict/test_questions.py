"""Expected information gain on small tables computed by hand, and the question picker."""

import math

import numpy as np
import pytest

from ml.predict import expected_information_gain, next_questions, temperature_findings, to_celsius


def h(q):
    return 0.0 if q in (0, 1) else -(q * math.log2(q) + (1 - q) * math.log2(1 - q))


def test_gain_matches_hand_computed_values():
    posterior = np.array([0.5, 0.25, 0.25])
    likelihood = np.array(
        [
            [1.0, 0.0, 0.5, 0.9],
            [0.0, 1.0, 0.5, 0.1],
            [0.0, 0.0, 0.5, 0.1],
        ]
    )
    gains = expected_information_gain(posterior, likelihood)
    # Splits 0.5 / 0.5 perfectly: one bit. Tells the 0.25 disease apart: h(0.25). Same for all: nothing.
    assert gains[0] == pytest.approx(1.0)
    assert gains[1] == pytest.approx(h(0.25)) and gains[1] == pytest.approx(0.8113, abs=1e-4)
    assert gains[2] == pytest.approx(0.0)
    # P(yes) = 0.5*0.9 + 0.5*0.1 = 0.5: 1 - (0.5 h(0.9) + 0.5 h(0.1)) = 1 - h(0.9)
    assert gains[3] == pytest.approx(1 - h(0.9)) and gains[3] == pytest.approx(0.5310, abs=1e-4)


def test_gain_renormalises_the_posterior():
    assert expected_information_gain(np.array([2.0, 2.0]), np.array([[1.0], [0.0]]))[0] == pytest.approx(1.0)
    with pytest.raises(ValueError):
        expected_information_gain(np.array([0.0, 0.0]), np.array([[1.0], [0.0]]))


def test_next_questions_orders_by_gain_and_drops_useless_ones():
    posterior = np.array([0.5, 0.5])
    table = {"A": [0.9, 0.1], "B": [0.5, 0.5], "C": [0.7, 0.3]}
    asked = []

    def likelihood(ids):
        asked.append(list(ids))
        return np.array([table[i] for i in ids]).T

    picked = next_questions(posterior, ["B", "C", "A"], likelihood, n=5)
    assert [term for term, _ in picked] == ["A", "C"]  # B cannot tell them apart: not asked
    assert picked[0][1] > picked[1][1] > 0


def test_shortlist_limits_the_exact_likelihoods_asked_for():
    posterior = np.array([0.5, 0.5])
    table = {f"T{i}": [i / 10, 1 - i / 10] for i in range(11)}
    asked = []

    def likelihood(ids):
        asked.extend(ids)
        return np.array([table[i] for i in ids]).T

    ids = list(table)
    rough = np.array([table[i] for i in ids]).T
    picked = next_questions(posterior, ids, likelihood, n=2, shortlist=rough, shortlist_size=4)
    assert len(asked) == 4
    assert {term for term, _ in picked} == {"T0", "T10"}


def test_fahrenheit_and_the_findings_a_temperature_implies():
    assert to_celsius(100.4, "F") == pytest.approx(38.0)
    assert to_celsius(37, "c") == 37
    with pytest.raises(ValueError):
        to_celsius(37, "K")
    assert temperature_findings(39.2) == (("HP:0001945",), ())
    assert temperature_findings(36.8) == ((), ("HP:0001945",))
    assert temperature_findings(37.8) == ((), ())
    assert temperature_findings(34.0) == (("HP:0002045",), ("HP:0001945",))
