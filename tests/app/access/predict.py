"""Access rows for the prediction page, its JSON API, the OpenAPI description and the account page."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"token_id": 999}

ROUTES = [
    # an empty form: the page for those who predict
    ("GET", "/predict", {ANON: 302, CLIN: 200, ADMIN: 200, AUDIT: 403}),
    # no input at all: told to give one
    ("GET", "/api/v1/predict", {ANON: 401, CLIN: 400, ADMIN: 400, AUDIT: 403}),
    # no JSON body: told what to send
    ("POST", "/api/v1/feedback", {ANON: 401, CLIN: 400, ADMIN: 403, AUDIT: 403}),
    ("GET", "/api/openapi.json", {ANON: 200, CLIN: 200, ADMIN: 200, AUDIT: 200}),
    ("GET", "/auth/account", {ANON: 302, CLIN: 200, ADMIN: 200, AUDIT: 200}),
    # no name: the form comes back with its error
    ("POST", "/auth/account/tokens", {ANON: 302, CLIN: 400, ADMIN: 400, AUDIT: 400}),
    ("POST", "/auth/account/tokens/999/revoke", {ANON: 302, CLIN: 404, ADMIN: 404, AUDIT: 404}),
]
