"""The vocabulary service: one normaliser per process over the knowledge base and the admins' decisions,
and the review queue of texts it could not map.

``current_vocabulary()`` builds the indexes once per knowledge-base build (a couple of seconds) and lays the
admins' mappings over them (cheap); it notices new decisions (and a rebuilt knowledge base) by comparing the
number of decided terms and their latest ``decided_at``, one indexed query, at most every
``VOCABULARY_CHECK_SECONDS`` per app and once per request; a decision taken in this process is seen at once,
one taken in another process within the interval. When ``KB_DIR`` holds no knowledge base yet, the first call
builds one there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from pathlib import Path

from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import audit
from app.extensions import db
from app.models.vocabulary import TERM_KINDS, TermStatus, UnmappedTerm
from app.time import utcnow
from ml.knowledge import Match, Vocabulary, build_kb, get_kb, normalize_text, resolve_build_dir

MAX_TEXT_CHARS = 200  # the width of UnmappedTerm.text and .example
MAX_SOURCES = 20  # sources kept per term: enough to find where a text comes from, bounded for a noisy one

_lock = threading.Lock()
_base: dict[Path, Vocabulary] = {}
_current: dict[str, tuple[tuple, Vocabulary]] = {}
_decided = [0]  # bumped by each decision taken in this process: its next match re-checks at once


class VocabularyError(ValueError):
    """A decision the review queue cannot take; the message is shown to the admin."""


# ----------------------------------------------------------------------------------------- normaliser


def current_vocabulary() -> Vocabulary:
    """Return the vocabulary over ``KB_DIR`` with the admins' current mappings, rebuilt when they change."""
    if has_request_context() and "vocabulary" in g:  # checked once per request (the prediction asks twice)
        return g.vocabulary
    checked = current_app.extensions.setdefault("vocabulary_check", {"at": float("-inf"), "generation": -1})
    interval = float(current_app.config.get("VOCABULARY_CHECK_SECONDS", 2.0))
    database = str(db.engine.url)
    cached = _current.get(database)
    fresh = time.monotonic() - checked["at"] < interval and checked["generation"] == _decided[0]
    if cached is not None and fresh:
        vocabulary = cached[1]
    else:
        base = _base_vocabulary(Path(current_app.config["KB_DIR"]))
        state = (id(base), *_decisions_state())
        if cached is not None and cached[0] == state:
            vocabulary = cached[1]
        else:
            vocabulary = base.with_mappings(load_mappings())
            _current[database] = (state, vocabulary)
        checked.update(at=time.monotonic(), generation=_decided[0])
    if has_request_context():
        g.vocabulary = vocabulary
    return vocabulary


def _base_vocabulary(kb_dir: Path) -> Vocabulary:
    """Return the indexes for the knowledge base in ``kb_dir``, building either once per process."""
    with _lock:
        try:
            build_dir = resolve_build_dir(kb_dir).resolve()
        except FileNotFoundError:
            current_app.logger.warning("No knowledge base in %s: building it now (a few seconds).", kb_dir)
            build_dir = build_kb(out_dir=kb_dir).resolve()
        if build_dir not in _base:
            _base.clear()  # a rebuilt knowledge base replaces the old one; never keep two sets of indexes
            _base[build_dir] = Vocabulary.build(get_kb(build_dir))
        return _base[build_dir]


def _decisions_state() -> tuple[int, str]:
    """Return how many terms are decided and when the last decision was taken."""
    decided = UnmappedTerm.status.in_(TermStatus.DECIDED)
    count, latest = db.session.execute(
        select(func.count(UnmappedTerm.id), func.max(UnmappedTerm.decided_at)).where(decided)
    ).one()
    return count, str(latest)


def load_mappings() -> dict[tuple[str, str], str | None]:
    """Return every admin decision as ``{(kind, text): id}``, ``None`` for ignored texts."""
    rows = db.session.execute(
        select(UnmappedTerm.kind, UnmappedTerm.text, UnmappedTerm.mapped_id).where(
            UnmappedTerm.status.in_(TermStatus.DECIDED)
        )
    )
    return {(kind, text): mapped_id for kind, text, mapped_id in rows}


def match(kind: str, raw: object, *, lang: str | None = None) -> Match:
    """Normalise ``raw`` as a symptom or a disease with the current vocabulary."""
    vocabulary = current_vocabulary()
    return vocabulary.match_disease(raw) if kind == "disease" else vocabulary.match_symptom(raw, lang=lang)


# --------------------------------------------------------------------------------------- review queue


def record_unmapped(kind: str, raw: object, *, source: str, count: int = 1, commit: bool = True) -> UnmappedTerm | None:
    """Add ``count`` sightings of a text nothing matched to the review queue; return its row (``None`` if blank).

    Texts are keyed by their normalised form, so ``Skin Rash`` and ``skin_rash`` share a row; the first raw
    spelling is kept as the example. A decided row keeps its decision and only counts.
    """
    if kind not in TERM_KINDS:
        raise ValueError(f"kind must be one of {TERM_KINDS}, not {kind!r}")
    text = normalize_text(raw)
    if not text or len(text) > MAX_TEXT_CHARS or count < 1:
        return None
    term = _find(kind, text) or _insert(kind, text, example=str(raw).strip()[:MAX_TEXT_CHARS])
    term.count = UnmappedTerm.count + count  # in SQL, so two workers counting at once add up
    term.last_seen_at = utcnow()
    source = str(source)[:100]
    if source not in term.sources:
        term.sources = [*term.sources, source][-MAX_SOURCES:]
    if commit:
        db.session.commit()
    return term


def record_unmapped_counts(kind: str, counts: Mapping[str, int], *, source: str) -> int:
    """Record many unmatched texts with their counts in one transaction; return how many rows they touched."""
    touched = sum(
        record_unmapped(kind, raw, source=source, count=count, commit=False) is not None
        for raw, count in counts.items()
    )
    db.session.commit()
    return touched


def _find(kind: str, text: str) -> UnmappedTerm | None:
    return db.session.scalar(select(UnmappedTerm).where(UnmappedTerm.kind == kind, UnmappedTerm.text == text))


def _insert(kind: str, text: str, *, example: str) -> UnmappedTerm:
    """Insert a new queue row, or return the one another process inserted a moment before."""
    now = utcnow()
    term = UnmappedTerm(
        kind=kind,
        text=text,
        example=example,
        count=0,
        sources=[],
        first_seen_at=now,
        last_seen_at=now,
        status=TermStatus.PENDING,
    )
    try:
        with db.session.begin_nested():
            db.session.add(term)
    except IntegrityError:
        return _find(kind, text)
    return term


def resolve_target(kind: str, raw_id: str) -> str:
    """Return the knowledge-base id an admin typed (any accepted spelling), or raise ``VocabularyError``."""
    found = match(kind, raw_id)
    if found.method != "id" or found.id is None:
        if kind == "disease":
            message = _(
                "%(id)s is not a disease of the knowledge base (OMIM, ORPHA, DECIPHER or catalogue ICD-10).", id=raw_id
            )
        else:
            message = _("%(id)s is not a current HPO term id (HP:0000000).", id=raw_id)
        raise VocabularyError(message)
    return found.id


def map_term(term: UnmappedTerm, raw_id: str, *, user) -> UnmappedTerm:
    """Map a queued text to a knowledge-base id; the normaliser uses it from the next match on."""
    target = resolve_target(term.kind, raw_id)
    _decide(term, TermStatus.MAPPED, target, user=user)
    audit.record(
        "vocabulary.map",
        target=f"unmapped_term:{term.id}",
        user=user,
        kind=term.kind,
        mapped_id=target,
        count=term.count,
    )
    db.session.commit()
    return term


def ignore_term(term: UnmappedTerm, *, user) -> UnmappedTerm:
    """Mark a queued text as not a term; the normaliser stops reporting it."""
    _decide(term, TermStatus.IGNORED, None, user=user)
    audit.record("vocabulary.ignore", target=f"unmapped_term:{term.id}", user=user, kind=term.kind, count=term.count)
    db.session.commit()
    return term


def _decide(term: UnmappedTerm, status: str, mapped_id: str | None, *, user) -> None:
    term.status = status
    term.mapped_id = mapped_id
    term.decided_by_id = user.id if user is not None else None
    term.decided_at = utcnow()
    _decided[0] += 1
    if has_request_context():
        g.pop("vocabulary", None)  # this request's later matches use the decision


def suggestions(term: UnmappedTerm, *, limit: int = 3) -> list[tuple[str, str, float]]:
    """Return the best ``(id, name, score)`` guesses for a queued text, best first."""
    found = match(term.kind, term.example or term.text)
    guesses = [(found.id, found.name, found.score)] if found.id is not None and found.method != "mapping" else []
    guesses += [candidate for candidate in found.candidates if candidate[0] != found.id]
    return guesses[:limit]
