"""Logging in and out, throttling, CSRF and session cookies."""

from datetime import timedelta

from sqlalchemy import select, update

from app.extensions import db
from app.models import AuditEvent, LoginThrottle, User
from app.time import utcnow
from tests.conftest import PASSWORD, csrf_token_from


def test_login_redirects_home_records_last_login_and_audits(client, make_user):
    user = make_user("clinician")
    response = client.post("/auth/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == user.email)) == "auth.login"


def test_login_follows_only_local_next(client, make_user):
    user = make_user("admin")
    response = client.post("/auth/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.post("/auth/logout")
    response = client.post("/auth/login?next=/admin/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/"


def test_wrong_password_is_refused_with_a_message(client, make_user):
    user = make_user("clinician")
    response = client.post("/auth/login", data={"email": user.email, "password": "nope"})
    assert response.status_code == 401
    assert "Invalid e-mail or password" in response.text
    assert client.get("/").status_code == 302


def test_password_is_stored_as_argon2id(make_user):
    user = make_user("clinician")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_inactive_account_cannot_log_in(client, make_user):
    user = make_user("clinician", active=False)
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 401


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, make_user, app):
    user = make_user("admin")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/auth/login", data={"email": user.email, "password": "wrong"})
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    # Once the lock expires the right password works again.
    db.session.execute(update(LoginThrottle).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302


def test_malformed_login_form_is_a_400(client):
    assert client.post("/auth/login", data={"email": "not-an-email", "password": ""}).status_code == 400
    assert client.post("/auth/login", data={}).status_code == 400


def test_logout_ends_the_session(client, login):
    login("clinician")
    assert client.get("/").status_code == 200
    assert client.post("/auth/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_post_without_csrf_token_is_rejected(make_app, make_user):
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        email = make_user("admin").email
    assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 400
    token = csrf_token_from(client.get("/auth/login").text)
    response = client.post("/auth/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.post("/auth/logout").status_code == 400  # Logged in, but still no token.


def test_session_cookie_is_httponly_and_samesite_lax(client, make_user):
    user = make_user("clinician")
    response = client.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_admin_creates_an_account_from_the_users_page(client, login):
    login("admin")
    response = client.post("/admin/users", data={"email": "new.clinician@example.org", "role": "clinician"})
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new.clinician@example.org"))
    assert user.role == "clinician" and user.active
    assert "one-time password" in client.get("/admin/users").text
    duplicate = client.post("/admin/users", data={"email": "new.clinician@example.org", "role": "clinician"},
                            follow_redirects=True)
    assert "already exists" in duplicate.text


def test_admin_deactivates_an_account_and_it_is_audited(client, login, make_user):
    login("admin")
    other = make_user("clinician")
    client.post(f"/admin/users/{other.id}/toggle")
    db.session.refresh(other)
    assert other.active is False
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == other.email)) == "user.deactivate"


def test_production_hash_parameters_are_rfc_9106_low_memory(make_app):
    from config import Config

    assert Config().PASSWORD_HASH_PROFILE == "RFC_9106_LOW_MEMORY"
    with make_app(PASSWORD_HASH_PROFILE=Config().PASSWORD_HASH_PROFILE).app_context():
        user = User(email="strong@example.org", role="admin")
        user.set_password(PASSWORD)
    assert "$m=65536,t=3,p=4$" in user.password_hash and user.check_password(PASSWORD)
