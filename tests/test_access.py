"""Every route × every role (and anonymous) gets the status its users expect."""

import pytest

ANON, CLIN, ADMIN, AUDIT = None, "clinician", "admin", "auditor"

# (method, path, {role: status}); 302 for anonymous means "sent to the login page".
MATRIX = [
    ("GET", "/", {ANON: 302, CLIN: 200, ADMIN: 200, AUDIT: 200}),
    ("GET", "/auth/login", {ANON: 200, CLIN: 302, ADMIN: 302, AUDIT: 302}),
    ("POST", "/auth/login", {ANON: 400, CLIN: 302, ADMIN: 302, AUDIT: 302}),
    ("POST", "/auth/logout", {ANON: 302, CLIN: 302, ADMIN: 302, AUDIT: 302}),
    ("GET", "/lang/es", {ANON: 302, CLIN: 302, ADMIN: 302, AUDIT: 302}),
    ("GET", "/healthz", {ANON: 200, CLIN: 200, ADMIN: 200, AUDIT: 200}),
    ("GET", "/admin/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 403}),
    ("GET", "/admin/users", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 403}),
    ("POST", "/admin/users", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
    ("POST", "/admin/users/999/toggle", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("GET", "/admin/audit", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/admin/audit/export", {ANON: 302, CLIN: 403, ADMIN: 302, AUDIT: 403}),
    ("GET", "/jobs/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("GET", "/jobs/999", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("POST", "/jobs/999/cancel", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/jobs/999/retry", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("GET", "/jobs/999/download", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("GET", "/api/v1/jobs/999", {ANON: 401, CLIN: 403, ADMIN: 404, AUDIT: 404}),
]
CASES = [(method, path, role, status) for method, path, expected in MATRIX for role, status in expected.items()]


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
    samples = {"job_id": 999, "user_id": 999, "code": "es"}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name, value in samples.items():
            path = path.replace(f"<int:{name}>", str(value)).replace(f"<{name}>", str(value))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            assert (method, path) in covered, f"{method} {path} is not in the access matrix"


def test_auditor_sees_no_state_changing_controls(client, login):
    login("auditor")
    page = client.get("/admin/audit").text
    assert "/admin/audit/export" not in page
