"""``flask users create|list`` and ``flask seed-accounts``."""

from __future__ import annotations

import sys

import click
from email_validator import EmailNotValidError, validate_email
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.service import AccountError, create_user
from app.extensions import db
from app.models import ROLES, User

users_cli = AppGroup("users", help="Manage dxflow accounts.")


@users_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user_command(email: str, role: str, password_stdin: bool) -> None:
    """Create an account; the password is prompted for, or read from stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user, _ = create_user(email=email, role=role, password=password, via="cli")
    except AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created {user.email} ({user.role}).")


@users_cli.command("list")
def list_users_command() -> None:
    """List every account with its role and state."""
    for user in db.session.scalars(select(User).order_by(User.email)):
        state = "active" if user.active else "inactive"
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
        click.echo(f"{user.email:40} {user.role:10} {state:8} last login {last}")


# A domain reserved for examples (RFC 2606) that email-validator accepts: it refuses special-use names such as
# .local or .test even without a deliverability check, and the login form uses it, so seeded accounts must pass it.
SEED_DOMAIN = "dxflow.example.org"


def login_refusal(email: str) -> str | None:
    """Return why the login form's e-mail check refuses ``email`` (same settings as LoginForm), or None."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        return str(error)
    return None


@click.command("seed-accounts")
@click.option("--domain", default=SEED_DOMAIN, show_default=True)
def seed_accounts_command(domain: str) -> None:
    """Create one account per role when none exists, printing the generated passwords once."""
    existing = db.session.scalars(select(User).order_by(User.role, User.email)).all()
    if existing:
        click.echo("Accounts exist already; none created (passwords were shown when they were created):")
        for user in existing:
            warning = " — the login form refuses this address" if login_refusal(user.email) else ""
            click.echo(f"  {user.role:10} {user.email}{warning}")
        return
    refusal = login_refusal(f"{ROLES[0]}@{domain}")
    if refusal:
        raise click.ClickException(f"The login form would refuse accounts @{domain}: {refusal}")
    for role in ROLES:
        user, password = create_user(email=f"{role}@{domain}", role=role, via="seed")
        click.echo(f"  {role:10} {user.email:28} password: {password}")


COMMANDS = (users_cli, seed_accounts_command)
