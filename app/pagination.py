"""The one way list pages paginate: ``?page=N``, fifty rows a page, an empty page past the end (never a 404)."""

from __future__ import annotations

from flask import request
from flask_sqlalchemy.pagination import Pagination

from app.extensions import db

PAGE_SIZE = 50


def paginate(query, *, per_page: int = PAGE_SIZE) -> Pagination:
    """Return the page of ``query`` that the request's ``page`` argument asks for."""
    return db.paginate(query, page=request.args.get("page", 1, type=int), per_page=per_page, error_out=False)
