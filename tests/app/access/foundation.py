"""Access rows for the foundation: home, auth, admin, jobs, health."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"job_id": 999, "user_id": 999, "code": "es"}

# (method, path, {role: status}); 302 for anonymous means "sent to the login page".
ROUTES = [
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
    ("GET", "/admin/audit", {ANON: 302, CLIN: 403, ADMIN: 301, AUDIT: 301}),  # → /monitoring/audit
    ("POST", "/admin/audit/export", {ANON: 302, CLIN: 403, ADMIN: 302, AUDIT: 403}),
    ("GET", "/jobs/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("GET", "/jobs/999", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("POST", "/jobs/999/cancel", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/jobs/999/retry", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("GET", "/jobs/999/download", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("GET", "/api/v1/jobs/999", {ANON: 401, CLIN: 403, ADMIN: 404, AUDIT: 404}),
]
