"""Every route × every role (and anonymous) gets the status its users expect (rows in tests/app/access/)."""

import pytest

from tests.app.access import ANON, MATRIX, ROLES, SAMPLES

CASES = [(method, path, role, status) for method, path, expected in MATRIX for role, status in expected.items()]


def test_every_row_names_every_role():
    assert len(MATRIX) > 20  # The area modules were collected.
    for method, path, expected in MATRIX:
        assert set(expected) == set(ROLES), f"{method} {path} misses a role"


@pytest.mark.parametrize("method,path,role,status", CASES)
def test_route_role_matrix(client, login, method, path, role, status):
    login(role)
    response = client.open(path, method=method)
    assert response.status_code == status, f"{method} {path} as {role}: {response.status_code}"
    if status == 302 and role is ANON and path not in ("/auth/logout", "/lang/es"):
        assert "/auth/login" in response.headers["Location"]


def test_matrix_covers_every_route(app):
    """A new route must be added to the matrix above."""
    covered = {(method, path) for method, path, _ in MATRIX}
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]
    assert len(rules) > 20  # The blueprints are registered.
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name, value in SAMPLES.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in covered, f"{method} {path} is not in the access matrix"


def test_auditor_sees_no_state_changing_controls(client, login):
    login("auditor")
    page = client.get("/monitoring/audit").text
    assert "Download these events as CSV" in page and "/admin/audit/export" not in page
