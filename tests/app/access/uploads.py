"""Access rows for uploads and source profiles (auditors read, only admins change or reach raw files)."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"upload_id": 999, "name": "nope"}

ROUTES = [
    ("GET", "/admin/uploads", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/admin/uploads", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
    ("GET", "/admin/uploads/999", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("GET", "/admin/uploads/999/validation.csv", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("GET", "/admin/uploads/999/raw", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/admin/uploads/999/delete", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/admin/uploads/999/start", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("GET", "/admin/profiles", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("GET", "/admin/profiles/nope", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 404}),
    ("POST", "/admin/profiles/nope", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
    ("POST", "/admin/profiles/propose", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
]
