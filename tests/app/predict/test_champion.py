"""The champion serves predictions: fused with the knowledge model, swapped without a restart, refused when tampered."""

from __future__ import annotations

import csv

import pytest

from app.extensions import db
from app.models import Alias, ModelVersion, Prediction
from app.predict.log import flush_predictions
from app.registry import service as registry
from app.training.service import launch_training
from app.warehouse.raw_zone import storage
from ml.features import Query
from ml.models.search import TrainingConfig, train
from ml.registry import sign_bundle
from tests.app.training.warehouse import TINY, fill_warehouse
from tests.ml.cases import make_dataset

HYPERTENSION = "ICD10:I10"  # a common disease both the synthetic warehouse and the knowledge base know
HALLMARKS = ("HP:0000822", "HP:0002315")  # hypertension, headache: its hallmarks in the synthetic warehouse
PRESENTATION = {"present": list(HALLMARKS), "top": 100}
NOT_IN_KB = "ICD10:J11"  # a synthetic label the knowledge base lacks (it lists ICD10:J11.1)
CONFIG = TrainingConfig(candidates=("logistic_regression",), n_draws=1, n_folds=2, min_support=5, propagate=False)


@pytest.fixture(scope="module")
def bundles():
    """Two small trained bundles (different seeds and sizes), trained once for the module."""
    return [train(make_dataset(n, seed=seed), config=CONFIG).bundle for seed, n in ((1, 15), (2, 30))]


@pytest.fixture
def app_settings() -> dict:
    """The serving app checks the registry on every prediction."""
    return {"PREDICTOR_CHECK_SECONDS": 0}


@pytest.fixture
def clinician(client, login):
    return login("clinician")


def hypertensive(client) -> dict:
    response = client.get("/api/v1/predict", query_string=PRESENTATION)
    assert response.status_code == 200, response.text
    return response.get_json()


def probability(body: dict, disease_id: str) -> float:
    found = [p["probability"] for p in body["predictions"] if p["disease_id"] == disease_id]
    assert found, f"{disease_id} not ranked"
    return found[0]


def fused(bundle, knowledge_probability: float, disease_id: str = HYPERTENSION, blend_support: float = 20.0) -> float:
    """Return the documented blend: w * p_model + (1 - w) * p_knowledge, w = n / (n + blend_support)."""
    column = bundle.labels.index(disease_id)
    support = float(bundle.train_support[column])
    weight = support / (support + blend_support)
    model_probability = float(bundle.predict_proba(Query(present=HALLMARKS))[0][column])
    return weight * model_probability + (1 - weight) * knowledge_probability


def promote(app, bundle) -> ModelVersion:
    version = registry.register(sign_bundle(bundle, app.config["MODEL_SIGNING_KEY"]))
    db.session.commit()
    return registry.promote(version, reason="test")


def flip_a_byte(key: str) -> None:
    with storage().open(key) as handle:
        data = bytearray(handle.read())
    data[-100] ^= 0x01
    storage().put(key, bytes(data))


@pytest.mark.slow
def test_a_champion_trained_on_the_warehouse_serves_the_page_the_api_and_the_log(app, client, clinician, run_worker):
    before = hypertensive(client)
    assert before["model_version"] == "knowledge-only"
    knowledge_probability = probability(before, HYPERTENSION)
    assert fill_warehouse(15) > 0
    run = launch_training(reason="first", config=TINY)
    run_worker()
    db.session.refresh(run)
    version = registry.champion()
    assert version is not None and version.run_id == run.id, run.error
    bundle = registry.load_version(version)
    assert HYPERTENSION in bundle.labels

    body = hypertensive(client)
    assert body["model_version"] == f"v{version.version}"
    assert probability(body, HYPERTENSION) == pytest.approx(fused(bundle, knowledge_probability), abs=2e-6)
    assert probability(body, HYPERTENSION) != pytest.approx(knowledge_probability, abs=1e-3)
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    assert db.session.get(Prediction, body["prediction_id"]).model_version == f"v{version.version}"
    page = client.get("/predict", query_string=PRESENTATION)
    assert page.status_code == 200 and f"<code>v{version.version}</code>" in page.text
    assert "Knowledge-informed ranking only" not in page.text


def test_a_promotion_serves_the_next_prediction_and_a_tampered_one_is_refused(app, client, clinician, bundles):
    before = hypertensive(client)
    knowledge_probability = probability(before, HYPERTENSION)
    page = client.get("/predict", query_string=PRESENTATION)
    assert "Knowledge-informed ranking only: no trained model yet." in page.text

    first = promote(app, bundles[0])
    body = hypertensive(client)
    assert body["model_version"] == f"v{first.version}"
    assert probability(body, HYPERTENSION) == pytest.approx(fused(bundles[0], knowledge_probability), abs=2e-6)
    # Influenza's synthetic label ranks high for fever and cough, but the knowledge base cannot name it: left out.
    assert NOT_IN_KB in bundles[0].labels
    flu = client.get("/predict", query_string={"present": ["fever", "cough"]})
    assert flu.status_code == 200 and NOT_IN_KB not in flu.text and 'class="ranking"' in flu.text

    second = promote(app, bundles[1])  # no restart: the same app, the next request
    body = hypertensive(client)
    assert body["model_version"] == f"v{second.version}" != f"v{first.version}"
    assert probability(body, HYPERTENSION) == pytest.approx(fused(bundles[1], knowledge_probability), abs=2e-6)
    assert fused(bundles[0], knowledge_probability) != pytest.approx(fused(bundles[1], knowledge_probability))

    third = registry.register(sign_bundle(bundles[0], app.config["MODEL_SIGNING_KEY"]))
    db.session.commit()
    flip_a_byte(third.storage_key)
    # Force the alias past the page's check, as someone with database access would.
    db.session.get(ModelVersion, second.id).alias = Alias.NONE
    db.session.get(ModelVersion, third.id).alias = Alias.CHAMPION
    db.session.commit()
    body = hypertensive(client)
    assert body["model_version"] == f"v{second.version}"  # the previous champion keeps serving
    flush_predictions()  # the log is written off the request (app/predict/log.py)
    assert db.session.get(Prediction, body["prediction_id"]).model_version == f"v{second.version}"
    health = client.get("/healthz").get_json()
    assert health["model"] == "refused" and f"model v{third.version} refused" in health["model_error"]


def test_a_tampered_first_champion_leaves_the_knowledge_ranking(app, client, clinician, bundles):
    version = registry.register(sign_bundle(bundles[0], app.config["MODEL_SIGNING_KEY"]))
    db.session.commit()
    flip_a_byte(version.storage_key)
    version.alias = Alias.CHAMPION
    db.session.commit()
    assert hypertensive(client)["model_version"] == "knowledge-only"
    assert client.get("/healthz").get_json()["model"] == "refused"


def test_rank_cases_with_the_champion_writes_its_fused_rows(app, clinician, client, bundles, tmp_path):
    cohort = tmp_path / "cases.tsv"
    cohort.write_text("case_id\tpresent_hpo\texcluded_hpo\ncase\tHP:0000822,HP:0002315\t\n")
    runner = app.test_cli_runner()
    knowledge_rows = tmp_path / "kb.tsv"
    assert runner.invoke(args=["rank-cases", "--input", str(cohort), "--output", str(knowledge_rows),
                               "--top", "100"]).exit_code == 0
    version = promote(app, bundles[0])
    output = tmp_path / "champion.tsv"
    result = runner.invoke(args=["rank-cases", "--input", str(cohort), "--output", str(output), "--top", "100",
                                 "--model", "champion"])
    assert result.exit_code == 0, result.output
    assert f"model v{version.version}" in result.output
    with open(output, newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    with open(knowledge_rows, newline="") as handle:
        knowledge = {row["disease_id"]: float(row["score"]) for row in csv.DictReader(handle, delimiter="\t")}
    assert [row["rank"] for row in rows] == [str(rank) for rank in range(1, 101)]
    scores = {row["disease_id"]: float(row["score"]) for row in rows}
    assert scores[HYPERTENSION] == pytest.approx(fused(bundles[0], knowledge[HYPERTENSION]), rel=1e-5)
    served = hypertensive(client)  # the page's fusion gives the same number
    assert served["model_version"] == f"v{version.version}"
    assert probability(served, HYPERTENSION) == pytest.approx(scores[HYPERTENSION], rel=1e-5)
