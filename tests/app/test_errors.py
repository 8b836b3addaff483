"""Error pages in both languages, JSON errors under /api, and bad input answered with a clear 4xx."""

import pytest

from app.extensions import db


@pytest.mark.parametrize("language,text", [("en", "Page not found"), ("es", "Página no encontrada")])
def test_404_page_in_the_browser_language(client, login, language, text):
    login("admin")
    response = client.get("/no/such/page", headers={"Accept-Language": language})
    assert response.status_code == 404 and text in response.text


def test_api_errors_are_json(client, login):
    login("admin")
    response = client.get("/api/v1/jobs/12345")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Page not found", "message": "There is nothing at this address.",
                                   "status": 404}
    response = client.get("/api/v1/jobs/1")
    assert response.is_json


def test_forbidden_page_in_spanish(client, login):
    login("clinician")
    response = client.get("/admin/", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert response.status_code == 403 and "Su rol no permite esta acción" in response.text


def test_oversized_request_is_a_413(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    response = app.test_client().post("/auth/login", data={"email": "a@b.org", "password": "x" * 4096})
    assert response.status_code == 413 and "larger than the limit" in response.text


def test_unexpected_errors_render_the_500_page_and_roll_back(make_app):
    app = make_app()

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom", headers={"Accept-Language": "es"})
    assert response.status_code == 500 and "Algo ha fallado" in response.text
    with app.app_context():
        assert db.session.is_active


def test_method_not_allowed(client):
    assert client.put("/auth/login").status_code == 405
