"""Access rows for the vocabulary review page and the autocomplete API."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"term_id": 999}

ROUTES = [
    ("GET", "/admin/vocabulary", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/admin/vocabulary/999/map", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    ("POST", "/admin/vocabulary/999/ignore", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    # no q: every logged-in role may ask, and is told what is missing
    ("GET", "/api/v1/terms", {ANON: 401, CLIN: 400, ADMIN: 400, AUDIT: 400}),
    ("GET", "/api/v1/diseases", {ANON: 401, CLIN: 400, ADMIN: 400, AUDIT: 400}),
]
