"""The prediction log written off the request, and API tokens remembered for TOKEN_CACHE_SECONDS."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import func, select, text

from app.auth.service import set_active
from app.auth.tokens import create_token
from app.extensions import db
from app.models import ApiToken, Prediction
from app.predict.log import prediction_log
from app.time import utcnow
from config import BASE_DIR


def logged(prediction_id: str) -> Prediction | None:
    """Read the row as another process would: a fresh query, nothing flushed first."""
    db.session.rollback()
    return db.session.get(Prediction, prediction_id)


def predict(client, **params) -> str:
    response = client.get("/api/v1/predict", query_string={"present": "fever", **params})
    assert response.status_code == 200, response.text
    return response.get_json()["prediction_id"]


def test_the_log_thread_writes_a_prediction_within_the_flush_interval(client, login):
    login("clinician")
    prediction_id = predict(client)
    for _ in range(100):  # the interval is 0.25 s; a loaded machine gets 10 s
        if logged(prediction_id) is not None:
            break
        time.sleep(0.1)
    row = logged(prediction_id)
    assert row is not None and row.inputs["present"] == ["HP:0001945"] and row.channel == "api"
    assert prediction_log().pending == 0


def test_a_burst_of_predictions_is_written_whole_and_in_order(app, client, login):
    login("clinician")
    ids = [predict(client, age=str(age)) for age in range(20)]
    assert prediction_log().flush() >= 0  # whatever the thread has not written yet
    rows = db.session.scalars(select(Prediction).order_by(Prediction.created_at, Prediction.id)).all()
    assert sorted(row.id for row in rows) == sorted(ids)
    assert [row.inputs["age"] for row in sorted(rows, key=lambda row: ids.index(row.id))] == list(range(20))


def test_feedback_right_after_a_prediction_finds_its_queued_row(client, login):
    login("clinician")
    prediction_id = predict(client)
    answer = client.post("/api/v1/feedback", json={"prediction_id": prediction_id, "diagnoses": ["OMIM:154700"]})
    assert answer.status_code == 201, answer.text


def test_a_failed_write_keeps_its_rows_for_the_next_attempt(app, client, login):
    login("clinician")
    log = prediction_log()
    log.flush()
    db.session.execute(text("ALTER TABLE predictions RENAME TO predictions_away"))
    db.session.commit()
    try:
        prediction_id = predict(client)
        assert log.flush() == 0 and log.pending >= 1  # the table is gone: nothing written, nothing lost
    finally:
        db.session.execute(text("ALTER TABLE predictions_away RENAME TO predictions"))
        db.session.commit()
    log.flush()
    assert logged(prediction_id) is not None and log.pending == 0


@pytest.mark.parametrize("app_settings", [{"PREDICTION_LOG_FLUSH_SECONDS": 0}])
def test_with_a_zero_interval_each_prediction_is_written_in_its_request(client, make_user):
    _user, headers = bearer(make_user)
    response = client.get("/api/v1/predict?present=fever", headers=headers)
    assert response.status_code == 200
    assert prediction_log().pending == 0
    assert logged(response.get_json()["prediction_id"]) is not None


def test_queued_rows_are_written_when_the_process_exits(app, database_url, tmp_path):
    prediction_id = uuid.uuid4().hex
    code = (
        "import sys\nfrom app import create_app\nfrom app.predict.log import prediction_log\n"
        "from app.time import utcnow\nfrom tests.conftest import make_test_config\nfrom pathlib import Path\n"
        "app = create_app(make_test_config(Path(sys.argv[1]), sys.argv[2], PREDICTION_LOG_FLUSH_SECONDS=60))\n"
        "with app.app_context():\n"
        "    prediction_log().add(dict(id=sys.argv[3], created_at=utcnow(), user_pseudonym='p', channel='api',\n"
        "        inputs={'present': []}, outputs=[], model_version='knowledge-only', kb_version='k', latency_ms=1.0))\n"
        "    assert prediction_log().pending == 1\n"
    )  # a 60 s interval: only the exit can have written the row
    subprocess.run([sys.executable, "-c", code, str(tmp_path), database_url, prediction_id], check=True, cwd=BASE_DIR,
                   env=dict(os.environ, PYTHONPATH=str(BASE_DIR)), timeout=120)
    assert logged(prediction_id) is not None
    assert db.session.scalar(select(func.count(Prediction.id))) == 1


# ------------------------------------------------------------------------------------------- tokens


def bearer(make_user) -> tuple[object, dict]:
    user = make_user("clinician")
    _token, raw = create_token(user, "EHR")
    return user, {"Authorization": f"Bearer {raw}"}


def revoke_elsewhere() -> None:
    """Revoke the only token in the database, as another web process would: this process hears nothing of it."""
    db.session.scalars(select(ApiToken)).one().revoked_at = utcnow()
    db.session.commit()


@pytest.mark.parametrize("app_settings", [{"TOKEN_CACHE_SECONDS": 1.5}])
def test_a_token_revoked_elsewhere_is_honoured_until_the_cache_expires(client, make_user):
    _user, headers = bearer(make_user)
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 200
    revoke_elsewhere()  # this process remembers the owner a while
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 200
    time.sleep(1.6)
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 401


@pytest.mark.parametrize("app_settings", [{"TOKEN_CACHE_SECONDS": 0}])
def test_with_no_cache_a_token_revoked_elsewhere_stops_at_once(client, make_user):
    _user, headers = bearer(make_user)
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 200
    revoke_elsewhere()
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 401


def test_deactivating_a_user_stops_their_remembered_token_at_once(app, client, make_user):
    user, headers = bearer(make_user)
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 200
    admin = make_user("admin")
    set_active(db.session.get(type(user), user.id), False, by=admin)
    assert client.get("/api/v1/predict?present=fever", headers=headers).status_code == 401


def test_a_remembered_owner_is_the_same_user_to_the_views(app, make_user):
    user, headers = bearer(make_user)
    client = app.test_client()
    first = client.get("/api/v1/predict?present=fever", headers=headers).get_json()["prediction_id"]
    second = client.get("/api/v1/predict?present=fever", headers=headers).get_json()["prediction_id"]
    prediction_log().flush()
    rows = [db.session.get(Prediction, first), db.session.get(Prediction, second)]
    assert rows[0].user_pseudonym == rows[1].user_pseudonym  # the second came from the remembered owner
    answer = client.post("/api/v1/feedback", json={"prediction_id": second, "diagnoses": ["OMIM:154700"]},
                         headers=headers)
    assert answer.status_code == 201, answer.text
