"""Hardening (issue #16): security headers, safe redirects, login timing and throttling, session revocation."""

import csv
import hashlib
import io
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from flask_migrate import upgrade
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

import app as app_package
from app import create_app
from app.extensions import db
from app.models import AuditEvent, Job, LoginThrottle, Upload, UploadStatus
from app.warehouse.service import UploadRefused, create_upload, ingest_upload, start_ingest
from ml.ingest import IngestionError
from tests.app.warehouse.test_warehouse import hospital_csv
from tests.conftest import PASSWORD, make_test_config
from tests.kb_build import session_kb_dir

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


# A data block (<script type="application/json">) is never executed, so the policy allows it (charts carry data so).
INLINE_CODE = re.compile(
    r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:",
    re.IGNORECASE,
)


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


# ------------------------------------------------------------------------------ the same file loaded twice


@pytest.fixture
def uploads_app(make_app, tmp_path_factory):
    """The app under test with the session's knowledge base, and a twin's context."""
    settings = {"KB_DIR": str(session_kb_dir(tmp_path_factory)), "K_ANONYMITY": 1}
    app = make_app(**settings)
    with make_app(**settings).app_context():
        yield app


def admin_client(app, make_user):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": make_user("admin").email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def post_upload(client, name: str, content: bytes):
    data = {"source": "Hospital", "profile": "hospital_csv", "files": [(io.BytesIO(content), name)]}
    return client.post("/admin/uploads", data=data, content_type="multipart/form-data")


@pytest.mark.postgresql_only  # SQLite serialises writers; the race needs two at once
def test_eight_simultaneous_uploads_of_the_same_file_accept_exactly_one(uploads_app, make_user):
    clients = [admin_client(uploads_app, make_user) for _ in range(8)]
    start = threading.Barrier(len(clients))

    def send(index: int):
        start.wait()
        response = post_upload(clients[index], f"copy-{index}.csv", hospital_csv())
        return response.status_code, response.text

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(send, range(len(clients))))
    assert sorted(status for status, _ in answers) == [302] + [400] * 7
    assert all("already uploaded" in text for status, text in answers if status == 400)
    assert db.session.scalar(select(func.count(Upload.id))) == 1


@pytest.mark.postgresql_only  # SQLite serialises writers; the race needs two at once
def test_an_upload_that_passed_the_check_while_another_was_committing_is_refused(uploads_app, make_user):
    client = admin_client(uploads_app, make_user)
    # Another request has checked, found no earlier upload, and inserted its row; it commits half a second later.
    other = Session(db.engine)
    other.add(Upload(source="Hospital", filename="first.csv", file_sha256=hashlib.sha256(hospital_csv()).hexdigest(),
                     file_size=len(hospital_csv()), storage_key="raw/first", status=UploadStatus.PENDING, report={}))
    other.flush()
    committer = threading.Timer(0.5, other.commit)
    committer.start()
    response = post_upload(client, "second.csv", hospital_csv())  # its check sees nothing yet; its insert waits
    committer.join()
    other.close()
    assert response.status_code == 400
    assert "second.csv was already uploaded (upload #" in response.text and "pending)" in response.text
    assert db.session.scalars(select(Upload.filename)).all() == ["first.csv"]


def test_a_failed_upload_cannot_be_retried_once_its_file_was_uploaded_again(uploads_app):
    [failed] = create_upload([("bad.csv", io.BytesIO(b"x;y\n1;2\n"))], "Hospital", "hospital_csv", enqueue=False)
    with pytest.raises(IngestionError):
        ingest_upload(failed.id)
    [again] = create_upload([("bad.csv", io.BytesIO(b"x;y\n1;2\n"))], "Hospital", "hospital_csv", enqueue=False)
    db.session.refresh(failed)
    assert failed.status == UploadStatus.FAILED and again.status == UploadStatus.PENDING
    with pytest.raises(UploadRefused, match=rf"already uploaded \(upload #{again.id}, pending\)"):
        start_ingest(failed)
    with pytest.raises(IngestionError, match=rf"already uploaded \(upload #{again.id}, pending\)"):
        ingest_upload(failed.id)  # what a retried job runs
    statuses = db.session.execute(select(Upload.id, Upload.status).order_by(Upload.id)).all()
    assert statuses == [(failed.id, UploadStatus.FAILED), (again.id, UploadStatus.PENDING)]


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


def test_the_migration_stops_and_says_why_when_a_file_is_already_loaded_twice(tmp_path, capfd):
    scratch = create_app(make_test_config(tmp_path, f"sqlite:///{tmp_path / 'scratch.sqlite3'}"))
    with scratch.app_context():
        upgrade(revision="0004")
        for _ in range(2):
            db.session.execute(text(
                "INSERT INTO uploads (source, filename, file_sha256, file_size, storage_key, quarantine, status,"
                " rows_read, rows_loaded, rows_rejected, rows_quarantined, report, created_at)"
                " VALUES ('h', 'a.csv', 'abc', 1, 'raw/a', 0, 'loaded', 0, 0, 0, 0, '{}', '2026-12-01')"))
        db.session.commit()
        with pytest.raises(SystemExit):  # flask_migrate logs the error and exits 1, as `flask db upgrade` does
            upgrade()
        assert "1 file(s) were loaded more than once (e.g. sha256 abc); delete" in capfd.readouterr().err
        db.session.remove()
        db.engine.dispose()
