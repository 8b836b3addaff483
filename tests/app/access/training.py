"""Access rows for training runs and the models page (auditors read, only admins launch, promote, roll back)."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"run_id": 999, "version": 999}

ROUTES = [
    ("GET", "/training/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/training/", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
    ("GET", "/training/999", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("GET", "/training/999/status", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("POST", "/training/999/cancel", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/training/999/retry", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("GET", "/training/models", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/training/models/999/promote", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/training/models/rollback", {ANON: 302, CLIN: 403, ADMIN: 302, AUDIT: 403}),
]
