"""Links that change one thing in the current query string, keeping everything else the clinician entered."""

from flask import request, url_for
from werkzeug.datastructures import MultiDict

_LISTS = ("present", "absent")


def _current(form) -> MultiDict:
    """Return the current arguments with each finding list as one entry per value (as the form parsed them)."""
    args = MultiDict((key, value) for key, value in request.args.items(multi=True) if key not in _LISTS)
    for key in _LISTS:
        for entry in getattr(form, key):
            args.add(key, entry)
    return args


def answer_url(form, hpo_id: str, present: bool) -> str:
    """Return the ``/predict`` URL with ``hpo_id`` added to the present or absent findings."""
    args = _current(form)
    key = "present" if present else "absent"
    if hpo_id not in args.getlist(key):
        args.add(key, hpo_id)
    return url_for("predict.predict", **args.to_dict(flat=False))


def replace_url(form, text: str, hpo_id: str, present: bool) -> str:
    """Return the ``/predict`` URL with the unrecognised ``text`` replaced by the suggested ``hpo_id``."""
    args = _current(form)
    key = "present" if present else "absent"
    entries = [hpo_id if entry == text else entry for entry in args.getlist(key)]
    args.setlist(key, list(dict.fromkeys(entries)))
    return url_for("predict.predict", **args.to_dict(flat=False))
