"""Security headers on every response (pages, JSON, errors, static files, downloads), and safe redirects."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import Flask, Response

# Everything dxflow serves comes from its own origin (no CDN), so the policy allows "self" alone: no inline
# scripts or styles, no plugins, no framing by any site, forms post only back to dxflow.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
))
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors, for browsers that predate it
    # Same-origin keeps the Referer that /lang/<code> goes back to, and sends none to other sites.
    "Referrer-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def security_headers(response: Response, *, production: bool) -> Response:
    """Add dxflow's security headers to ``response`` (HSTS in production only), keeping any a view set."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if production:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_app(app: Flask) -> None:
    """Send the security headers with every response of ``app``."""
    production = app.config.get("DXFLOW_ENV") == "production"
    app.after_request(lambda response: security_headers(response, production=production))


def safe_redirect_path(target: str | None) -> str | None:
    """Return ``target`` if it is a path on this site that is safe to redirect to, else None.

    Refused: anything with a scheme or host, scheme-relative ``//host``, backslashes (browsers read ``/\\host``
    as ``//host``), and control or invisible characters (a newline would split the Location header).
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(unicodedata.category(char).startswith("C") for char in target):
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target
