"""Hardening (issue #16): security headers, safe redirects, login timing and throttling, session revocation."""

import csv
import io
import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

import app as app_package
from app.extensions import db
from app.models import AuditEvent, Job, LoginThrottle
from tests.conftest import PASSWORD

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_security_headers(response, *, hsts: bool = False) -> None:
    """Assert the response carries dxflow's security headers (and HSTS only when asked)."""
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, f"{name} on {response.request.path}"
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split("; ") if part}
    assert directives.get("default-src") == ["'self'"], policy
    assert directives.get("frame-ancestors") == ["'none'"], policy
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert ("Strict-Transport-Security" in response.headers) is hsts


@pytest.mark.parametrize("role,path,status,kind", [
    (None, "/auth/login", 200, "text/html"),  # an HTML page, anonymous
    ("admin", "/", 200, "text/html"),  # an HTML page, logged in
    (None, "/healthz", 200, "application/json"),  # JSON
    ("admin", "/api/v1/terms", 400, "application/json"),  # a JSON error
    ("admin", "/no/such/page", 404, "text/html"),  # an error page
    (None, "/static/css/dxflow.css", 200, "text/css"),  # a static file
    ("admin", "/lang/es", 302, "text/html"),  # a redirect
])
def test_every_kind_of_response_carries_the_security_headers(client, login, role, path, status, kind):
    login(role)
    response = client.get(path)
    assert response.status_code == status and response.mimetype == kind
    assert_security_headers(response)
    response.close()


def test_downloads_carry_the_security_headers(client, login, run_worker):
    login("admin")
    client.post("/admin/audit/export")
    run_worker()
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    response = client.get(f"/jobs/{job.id}/download")
    assert response.status_code == 200 and response.mimetype == "text/csv" and response.data
    assert_security_headers(response)
    response.close()


def test_production_adds_hsts(make_app):
    client = make_app(DXFLOW_ENV="production").test_client()
    for path in ("/auth/login", "/healthz", "/no/such/page"):
        response = client.get(path)
        assert_security_headers(response, hsts=True)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:", re.IGNORECASE)


def test_templates_hold_no_inline_script_or_style_the_policy_would_block():
    templates = sorted((Path(app_package.__file__).parent / "templates").rglob("*.html"))
    assert templates
    offenders = [f"{path.name}: {match.group(0)}" for path in templates
                 for match in INLINE_CODE.finditer(path.read_text())]
    assert offenders == []


@pytest.mark.parametrize("next_param,location", [
    ("/admin/users?page=2", "/admin/users?page=2"),
    ("/%0d%0aSet-Cookie:x=1", "/"),  # a newline would split the Location header (a 500 before)
    ("/%09/evil.example/", "/"),  # browsers drop the tab and read //evil.example
    ("/%E2%80%8B/x", "/"),  # an invisible zero-width space
    ("//evil.example/", "/"),
    ("/\\evil.example/", "/"),
    ("\\\\evil.example/", "/"),
    ("https://evil.example/", "/"),
    ("javascript:alert(1)", "/"),
])
def test_login_follows_next_only_to_a_safe_local_path(client, make_user, next_param, location):
    user = make_user("admin")
    response = client.post(f"/auth/login?next={next_param}", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert "x=1" not in response.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("referrer,location", [
    ("http://localhost/admin/users?page=2", "/admin/users?page=2"),
    ("http://localhost//evil.example/", "/"),
    ("http://localhost/\\evil.example/", "/"),
    ("http://evil.example/admin/", "/admin/"),  # another site's Referer never leads off this site
    ("", "/"),
])
def test_language_switch_goes_back_only_to_a_safe_local_path(client, referrer, location):
    response = client.get("/lang/es", headers={"Referer": referrer} if referrer else {})
    assert response.status_code == 302 and response.headers["Location"] == location


def test_language_switch_ignores_a_forged_host(client):
    # Before: any Referer on the request's Host was followed, and the Host header is the client's to choose.
    response = client.get("/lang/es", headers={"Host": "evil.example", "Referer": "http://evil.example/x"})
    assert response.status_code == 302 and response.headers["Location"] == "/x"


def test_a_formula_typed_as_a_login_e_mail_reaches_the_audit_export_as_text(client, login, run_worker):
    typed = "=2+5@example.org"
    assert client.post("/auth/login", data={"email": typed, "password": "whatever"}).status_code == 401
    login("admin")
    client.post("/admin/audit/export")
    run_worker()
    job = db.session.scalar(select(Job).order_by(Job.id.desc()))
    download = client.get(f"/jobs/{job.id}/download")
    rows = list(csv.DictReader(io.StringIO(download.text)))
    download.close()
    failed = [row for row in rows if row["action"] == "auth.login_failed"]
    assert len(failed) == 1
    assert failed[0]["target"] == "'" + typed  # a spreadsheet shows the text instead of computing 7
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row.values())


# ------------------------------------------------------------------------------ account enumeration by timing


@pytest.fixture
def password_checks(monkeypatch):
    """Count the Argon2 verifications logins run (the real ones: this only counts them)."""
    calls = []
    verify = PasswordHasher.verify

    def counting(self, hash, password):
        calls.append(hash)
        return verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


def test_an_unknown_e_mail_costs_a_password_check_like_a_known_one(client, make_user, password_checks):
    user = make_user("clinician")
    assert client.post("/auth/login", data={"email": user.email, "password": "wrong"}).status_code == 401
    assert len(password_checks) == 1
    assert client.post("/auth/login", data={"email": "nobody@example.org", "password": "wrong"}).status_code == 401
    assert len(password_checks) == 2  # before: none, so the answer came ~100 ms sooner
    assert password_checks[1].startswith("$argon2id$") and password_checks[1] != user.password_hash


@pytest.mark.parametrize("known", [True, False])
def test_repeated_failures_lock_an_e_mail_whether_or_not_it_has_an_account(app, client, make_user, known):
    email = make_user("admin").email if known else "nobody@example.org"
    answers = [client.post("/auth/login", data={"email": email, "password": "wrong"}).status_code
               for _ in range(app.config["LOGIN_MAX_FAILURES"] + 1)]
    # Same answers for both: the lock no longer tells that the account exists.
    assert answers == [401] * (app.config["LOGIN_MAX_FAILURES"] - 1) + [429, 429]
    failures = db.session.scalars(select(AuditEvent.details).where(AuditEvent.action == "auth.login_failed")).all()
    assert [details["reason"] for details in failures] == ["invalid"] * 4 + ["locked"] * 2


def test_a_successful_login_clears_the_failure_count(app, client, make_user):
    user = make_user("clinician")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        client.post("/auth/login", data={"email": user.email, "password": "wrong"})
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    client.post("/auth/logout")
    assert db.session.get(LoginThrottle, user.email) is None
    assert client.post("/auth/login", data={"email": user.email, "password": "wrong"}).status_code == 401


# ------------------------------------------------------------------------------ sessions end at logout


def cookies_of(client) -> dict[str, str]:
    return {name: cookie.value for name in ("session", "remember_token") if (cookie := client.get_cookie(name))}


def replay(app, cookies: dict[str, str]):
    """Return a new client (another browser) that sends ``cookies``."""
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    return client


@pytest.mark.parametrize("remember", [False, True])
def test_a_cookie_taken_before_logout_reaches_no_page_afterwards(app, client, make_user, remember):
    admin = make_user("admin")
    data = {"email": admin.email, "password": PASSWORD} | ({"remember": "y"} if remember else {})
    assert client.post("/auth/login", data=data).status_code == 302
    stolen = cookies_of(client)
    assert ("remember_token" in stolen) is remember
    assert replay(app, stolen).get("/admin/users").status_code == 200  # the copy works while the session lives

    assert client.post("/auth/logout").status_code == 302
    for path in ("/admin/users", "/", "/jobs/"):
        response = replay(app, stolen).get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login"), path
    assert replay(app, stolen).get("/api/v1/terms?q=fever").status_code == 401


def test_logging_in_again_after_logout_works(client, make_user):
    user = make_user("clinician")
    for _ in range(2):
        assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
        assert client.get("/").status_code == 200
        assert client.post("/auth/logout").status_code == 302
        assert client.get("/").status_code == 302
