"""The ``flask users`` and ``flask seed-accounts`` commands."""

import re

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User


def test_users_create_reads_the_password_from_stdin_and_list_shows_it(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Doc@Example.org", "--role", "clinician",
                                 "--password-stdin"], input="s3cret-passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "doc@example.org"))
    assert user.role == "clinician" and user.check_password("s3cret-passphrase")
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.target == user.email)) == "user.create"
    listing = runner.invoke(args=["users", "list"]).output
    assert "doc@example.org" in listing and "clinician" in listing and "never" in listing


def test_users_create_prompts_for_the_password(app):
    result = app.test_cli_runner().invoke(args=["users", "create", "--email", "a@example.org", "--role", "admin"],
                                          input="long-enough-pass\nlong-enough-pass\n")
    assert result.exit_code == 0, result.output


def test_users_create_refuses_bad_input_clearly(app):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "--email", "a@example.org", "--role", "admin", "--password-stdin"],
                          input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    role = runner.invoke(args=["users", "create", "--email", "a@example.org", "--role", "root", "--password-stdin"])
    assert role.exit_code == 2 and "Invalid value for '--role'" in role.output
    runner.invoke(args=["users", "create", "--email", "b@example.org", "--role", "admin", "--password-stdin"],
                  input="long-enough-pass\n")
    again = runner.invoke(args=["users", "create", "--email", "b@example.org", "--role", "admin", "--password-stdin"],
                          input="long-enough-pass\n")
    assert again.exit_code == 1 and "already exists" in again.output


def test_seed_accounts_creates_one_per_role_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-accounts"])
    assert first.exit_code == 0
    assert sorted(db.session.scalars(select(User.role))) == ["admin", "auditor", "clinician"]
    assert first.output.count("password:") == 3
    assert "none created" in runner.invoke(args=["seed-accounts"]).output


def test_every_seeded_account_logs_in_through_the_login_page(app, client):
    output = app.test_cli_runner().invoke(args=["seed-accounts"]).output
    accounts = re.findall(r"^ +(\w+) +(\S+@\S+) +password: (\S+)$", output, flags=re.MULTILINE)
    assert sorted(role for role, _, _ in accounts) == ["admin", "auditor", "clinician"], output
    for _role, email, password in accounts:
        assert client.get("/auth/login").status_code == 200
        response = client.post("/auth/login", data={"email": email, "password": password})
        assert response.status_code == 302, (email, response.text)
        assert response.headers["Location"] == "/"
        assert client.get("/").status_code == 200
        client.post("/auth/logout")


def test_seed_accounts_refuses_a_domain_the_login_form_refuses(app):
    result = app.test_cli_runner().invoke(args=["seed-accounts", "--domain", "dxflow.local"])
    assert result.exit_code == 1 and "login form would refuse" in result.output
    assert db.session.scalar(select(User.id).limit(1)) is None


def test_seed_accounts_lists_the_existing_accounts_without_passwords(app):
    runner = app.test_cli_runner()
    runner.invoke(args=["seed-accounts"])
    again = runner.invoke(args=["seed-accounts"]).output
    assert "clinician@dxflow.example.org" in again and "password:" not in again
