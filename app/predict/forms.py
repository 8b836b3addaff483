"""The prediction parameters, shared by the page and ``GET /api/v1/predict``: parsed and checked, never trusted.

Parameters (named as in issue #12): ``present`` and ``absent`` (repeatable; free text in either language or an
HPO id), ``age`` (years), ``sex``, ``temperature`` with ``temperature_unit`` (``C``/``F``), ``note``, ``lang``
and ``top``. A parameter may also carry several entries separated by new lines or semicolons (the plain form's
text areas).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ml.predict import TEMPERATURE_RANGE_C, to_celsius

SEXES = ("female", "male", "other", "unknown")
UNITS = ("C", "F")
LANGUAGES = ("en", "es")
MAX_FINDINGS = 100  # per list: more is a pasted document, not a patient
MAX_ENTRY_CHARS = 200
MAX_NOTE_CHARS = 5_000
MAX_AGE = 125
DEFAULT_TOP, MAX_TOP = 10, 100
_SEPARATORS = re.compile(r"[\n;]+")


@dataclass
class PredictForm:
    """The checked parameters of one prediction request, with one message per invalid parameter."""

    present: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)
    age: float | None = None
    sex: str | None = None
    temperature: float | None = None
    temperature_unit: str = "C"
    temperature_c: float | None = None
    note: str = ""
    lang: str = "en"
    top: int = DEFAULT_TOP
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def submitted(self) -> bool:
        """Return whether any clinical input was given (an empty form is not a request)."""
        return bool(self.present or self.absent or self.note.strip() or self.age is not None
                    or self.temperature is not None or self.sex not in (None, "unknown"))

    @classmethod
    def from_args(cls, args, *, default_lang: str = "en") -> PredictForm:
        """Parse a request's query arguments (a werkzeug MultiDict)."""
        form = cls()
        form.present = _entries(args.getlist("present"), "present", form.errors)
        form.absent = _entries(args.getlist("absent"), "absent", form.errors)
        form.age = _number(args.get("age"), "age", form.errors, _l("Age must be a number of years."))
        if form.age is not None and not 0 <= form.age <= MAX_AGE:
            form.errors["age"] = _("Age must be between 0 and %(n)s years.", n=MAX_AGE)
        sex = (args.get("sex") or "").strip().lower()
        if sex and sex not in SEXES:
            form.errors["sex"] = _("Sex must be one of: %(values)s.", values=", ".join(SEXES))
        form.sex = sex or None
        unit = (args.get("temperature_unit") or "C").strip().upper()
        if unit not in UNITS:
            form.errors["temperature_unit"] = _("The temperature unit must be C or F.")
            unit = "C"
        form.temperature_unit = unit
        form.temperature = _number(
            args.get("temperature"), "temperature", form.errors, _l("Temperature must be a number.")
        )
        if form.temperature is not None and "temperature" not in form.errors:
            form.temperature_c = round(to_celsius(form.temperature, unit), 2)
            low, high = TEMPERATURE_RANGE_C
            if not low <= form.temperature_c <= high:
                form.errors["temperature"] = _(
                    "A body temperature of %(value)s °%(unit)s is not plausible: give a value between %(low)s and "
                    "%(high)s °C (%(low_f)s to %(high_f)s °F).",
                    value=_plain(form.temperature), unit=unit, low=_plain(low), high=_plain(high),
                    low_f=_plain(low * 9 / 5 + 32), high_f=_plain(high * 9 / 5 + 32),
                )
        form.note = args.get("note") or ""
        if len(form.note) > MAX_NOTE_CHARS:
            limit = format(MAX_NOTE_CHARS, ",")
            form.errors["note"] = _("The note is longer than %(n)s characters: paste the relevant part.", n=limit)
        lang = (args.get("lang") or default_lang).strip().lower()
        if lang not in LANGUAGES:
            form.errors["lang"] = _("lang must be one of: %(langs)s.", langs=", ".join(LANGUAGES))
            lang = default_lang
        form.lang = lang
        top = _number(args.get("top"), "top", form.errors, _l("top must be a whole number from 1 to %(n)s.", n=MAX_TOP))
        if top is not None and (top != int(top) or not 1 <= top <= MAX_TOP):
            form.errors["top"] = _("top must be a whole number from 1 to %(n)s.", n=MAX_TOP)
        form.top = int(top) if top is not None and "top" not in form.errors else DEFAULT_TOP
        return form


def _entries(values: list[str], name: str, errors: dict[str, str]) -> list[str]:
    """Split, strip and de-duplicate the entries of one list, recording an error when there are too many."""
    entries: list[str] = []
    for value in values:
        for part in _SEPARATORS.split(value):
            part = part.strip()
            if part and part not in entries:
                entries.append(part)
            if len(entries) > MAX_FINDINGS:
                errors[name] = _("At most %(n)s findings per list.", n=MAX_FINDINGS)
                return entries[:MAX_FINDINGS]
    if any(len(entry) > MAX_ENTRY_CHARS for entry in entries):
        errors[name] = _("Each finding must be at most %(n)s characters.", n=MAX_ENTRY_CHARS)
        entries = [entry for entry in entries if len(entry) <= MAX_ENTRY_CHARS]
    return entries


def _number(raw: str | None, name: str, errors: dict[str, str], message) -> float | None:
    """Return a finite number from text (a decimal comma accepted), or ``None``; record ``message`` if invalid.

    ``message`` is a lazy string, translated only when the value is invalid (a valid request translates nothing).
    """
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        errors[name] = str(message)
        return None
    if not math.isfinite(value):
        errors[name] = str(message)
        return None
    return value


def _plain(value: float) -> str:
    """Return a number without a trailing ``.0``."""
    return f"{value:g}"
