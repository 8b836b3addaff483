"""Access rows for monitoring: admins and auditors read the dashboard and audit log, only admins act."""

from tests.app.access import ADMIN, ANON, AUDIT, CLIN

SAMPLES = {"alert_id": 999}

ROUTES = [
    ("GET", "/monitoring/", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    # the check button: a monitor job, then its progress page
    ("POST", "/monitoring/run", {ANON: 302, CLIN: 403, ADMIN: 302, AUDIT: 403}),
    ("POST", "/monitoring/alerts/999/acknowledge", {ANON: 302, CLIN: 403, ADMIN: 404, AUDIT: 403}),
    # auditors read the thresholds; an empty form from an admin comes back with its errors
    ("GET", "/monitoring/thresholds", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("POST", "/monitoring/thresholds", {ANON: 302, CLIN: 403, ADMIN: 400, AUDIT: 403}),
    ("GET", "/monitoring/audit", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
    ("GET", "/monitoring/audit.csv", {ANON: 302, CLIN: 403, ADMIN: 200, AUDIT: 200}),
]
