"""Access rows for the exploratory data analysis (admins and auditors read, only admins compute)."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

ROUTES = [
    ("GET", "/eda/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/eda/compute", {ANON: 302, CLIN: 403, ADMIN: 302, AUDIT: 403}),  # empty: back to /eda/
    # The plotly bundle is a public library, like /static.
    ("GET", "/eda/plotly.min.js", {ANON: 200, CLIN: 200, ADMIN: 200, AUDIT: 200}),
]
