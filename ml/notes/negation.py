"""Negation, uncertainty and family-history scopes over a note's units, in English and Spanish.

A note is read as a sequence of units (a matched phrase or one word), each with a kind. A cue opens a scope
that covers the findings after it ("no fever, cough or rash", "niega dolor torácico", "possible rash") until a
clause mark, a contrast ("but", "pero", "sin embargo"), an affirmative verb once a finding has been covered
("denies fever, has cough"; "no tiene fiebre" stays negated), or :data:`SCOPE_WORDS` other words. Post cues
act on the findings just before them ("fever: negative", "tos ausente", "neumonía probable", "rash?").

Uncertain findings are kept apart from firm ones (``certain=False``); findings in a family-history scope are
about someone else and are not the patient's (``other``).
"""

from __future__ import annotations

from collections.abc import Sequence

NEGATION = "negation"
UNCERTAINTY = "uncertainty"
OTHER = "other"  # someone else's finding: family history
POST_NEGATION = "post_negation"
POST_UNCERTAINTY = "post_uncertainty"
STOP = "stop"  # ends a scope at once: contrast
VERB_STOP = "verb_stop"  # ends a scope once it has covered a finding: a new affirmative clause
BREAK = "break"  # a clause mark
CONNECTOR = "connector"  # list glue, free inside a scope
COMMA = "comma"  # list glue too, but it ends an uncertainty scope that has covered a finding
COPULA = "copula"  # may stand between a finding and its post cue
PSEUDO = "pseudo"  # looks like a cue, is not one ("no doubt", "sin embargo" is a STOP)
WORD = "word"
FINDING = "finding"  # a term, a site or a quality

CUES: dict[str, dict[str, tuple[str, ...]]] = {
    NEGATION: {
        "en": ("no", "not", "denies", "denied", "deny", "denying", "without", "negative for", "absence of",
               "free of", "never", "never had", "nor", "no sign of", "no signs of", "no evidence of", "doesnt",
               "dont", "didnt", "isnt", "wasnt", "arent", "havent", "hasnt", "not any", "neither", "ruled out",
               "no longer", "no more", "denies any", "nothing like"),
        "es": ("no", "sin", "niega", "niegan", "nego", "negando", "ausencia de", "descarta", "se descarta",
               "negativo para", "ni", "nunca", "tampoco", "no hay", "ningun",
               "ninguna", "ya no", "sin signos de", "sin datos de"),
    },
    UNCERTAINTY: {
        "en": ("possible", "possibly", "probable", "probably", "maybe", "perhaps", "suspected", "suspect",
               "suspicion of", "query", "questionable", "rule out", "r o", "may have", "might have", "could have",
               "could be", "may be", "might be", "concern for", "concerning for", "not sure if", "not sure whether",
               "unsure if", "unsure whether", "cannot rule out", "cant rule out", "cannot exclude", "cant exclude",
               "not ruled out", "not excluded", "to rule out", "evaluate for", "i think i might have",
               "i wonder if", "wonder if", "likely", "unlikely", "doubtful", "equivocal"),
        "es": ("posible", "posiblemente", "probable", "probablemente", "quizas", "quiza", "tal vez", "a lo mejor",
               "sospecha de", "se sospecha", "sospechoso de", "sospechosa de", "descartar", "a descartar",
               "para descartar", "no se descarta", "no descarta", "no se puede descartar", "puede ser",
               "podria ser", "podria tener", "puede que", "no se si", "no estoy seguro de si",
               "no estoy segura de si", "dudoso", "dudosa", "compatible con", "impresiona de"),
    },
    OTHER: {
        "en": ("family history of", "family history", "fh of", "fhx of", "runs in family", "mother has",
               "mother had", "father has", "father had", "sister has", "brother has", "grandmother had",
               "grandfather had"),
        "es": ("antecedentes familiares de", "antecedentes familiares", "historia familiar de", "familiares con",
               "madre tiene", "madre tuvo", "padre tiene", "padre tuvo", "hermana tiene", "hermano tiene",
               "madre con", "padre con", "abuela tuvo", "abuelo tuvo"),
    },
    POST_NEGATION: {
        "en": ("negative", "absent", "resolved", "not present", "none", "gone"),
        "es": ("ausente", "ausentes", "negativo", "negativa", "negado", "negada", "descartado", "descartada",
               "descartados", "resuelto", "resuelta"),
    },
    POST_UNCERTAINTY: {
        "en": ("?",),
        "es": ("sospechado", "sospechada", "en estudio"),
    },
    STOP: {
        "en": ("but", "however", "although", "though", "except", "apart from", "aside from", "yet", "whereas",
               "while", "still"),
        "es": ("pero", "aunque", "sino", "salvo", "excepto", "sin embargo", "mientras", "aparte de", "aun asi",
               "todavia"),
    },
    VERB_STOP: {
        "en": ("has", "have", "had", "reports", "reported", "complains", "complaining", "presents", "presented",
               "shows", "showing", "notes", "noted", "endorses", "endorsed", "admits", "describes", "with", "which",
               "who", "experiences", "experiencing", "got", "gets"),
        "es": ("tiene", "tengo", "tenia", "presenta", "refiere", "refieren", "muestra", "manifiesta", "con", "que",
               "aqueja", "siente", "siento", "nota", "noto"),
    },
    PSEUDO: {
        "en": ("no doubt", "without doubt", "no change", "not only", "no matter", "no idea", "not sure", "cant stop",
               "cannot stop", "wont stop", "non stop", "nonstop", "no end of"),
        "es": ("sin duda", "no solo", "sin cambios", "no para de", "no paro de", "no deja de", "no dejo de",
               "sin parar"),
    },
    CONNECTOR: {
        "en": ("and", "or", "nor", "any", "either", "other", "also", "or any", "and or"),
        "es": ("y", "o", "u", "e", "ni"),
    },
    COMMA: {"en": (",",), "es": (",",)},
    COPULA: {
        "en": (":", "is", "was", "were", "are", "been", "test"),
        "es": (":", "es", "esta", "estan", "fue", "son", "resulto"),
    },
    BREAK: {"en": (".", ";", "!", "\n", "(", ")"), "es": (".", ";", "!", "\n", "(", ")")},  # "?" is a post cue
}
# Other words a scope runs over: enough for "denies any recent fever" and "no ha tenido nunca fiebre".
SCOPE_WORDS = 5
SCOPE_KINDS = (NEGATION, UNCERTAINTY, OTHER)


def scopes(kinds: Sequence[str]) -> list[frozenset[str]]:
    """Return, for each unit of a note, the scope kinds (negation, uncertainty, other) that cover it."""
    flags: list[set[str]] = [set() for _ in kinds]
    _pre_scopes(kinds, flags)
    _post_scopes(kinds, flags)
    return [frozenset(found) for found in flags]


def _pre_scopes(kinds: Sequence[str], flags: list[set[str]]) -> None:
    """Mark the findings after each cue, up to the end of its scope."""
    active: str | None = None
    budget, covered = 0, False  # other words left in the scope; whether it has covered a finding
    for position, kind in enumerate(kinds):
        if kind in SCOPE_KINDS:
            active, budget, covered = kind, SCOPE_WORDS, False
        elif active is None:
            continue
        elif kind in (BREAK, STOP, POST_UNCERTAINTY) or (kind == VERB_STOP and covered) or (
                kind == COMMA and active == UNCERTAINTY and (covered or budget < SCOPE_WORDS)):
            # "possible otitis, ear pain since Monday": a doubt qualifies one thing; "no fever, chills or cough"
            # is a list
            active = None
        elif kind == FINDING:
            flags[position].add(active)
            covered = True
        elif kind not in (CONNECTOR, COMMA, COPULA, VERB_STOP):
            budget -= 1
            if budget <= 0:
                active = None


def _acts_after(kinds: Sequence[str], position: int) -> bool:
    """Return whether a cue at ``position`` bears on the finding before it ("fever denied", "neumonía probable")."""
    kind = kinds[position]
    if kind in (POST_NEGATION, POST_UNCERTAINTY):
        return True
    after = kinds[position + 1] if position + 1 < len(kinds) else BREAK
    # A pre cue that ends its clause points back ("fever denied."); an uncertainty word right after a finding
    # qualifies it ("neumonía probable").
    return (kind == NEGATION and after in (BREAK, CONNECTOR, COMMA, STOP)) or kind == UNCERTAINTY


def _post_scopes(kinds: Sequence[str], flags: list[set[str]]) -> None:
    """Mark the findings (and the list they end) just before each post cue."""
    for position, kind in enumerate(kinds):
        if kind not in (POST_NEGATION, POST_UNCERTAINTY, NEGATION, UNCERTAINTY) or not _acts_after(kinds, position):
            continue
        scope = NEGATION if kind in (POST_NEGATION, NEGATION) else UNCERTAINTY
        back = position - 1
        while back >= 0 and kinds[back] in (COPULA, VERB_STOP):  # "rash has resolved"
            back -= 1
        if back < 0 or kinds[back] != FINDING:
            continue
        if kind in (NEGATION, UNCERTAINTY):  # a two-way cue takes the one finding it follows, not a list
            flags[back].add(scope)
            continue
        while back >= 0 and kinds[back] in (FINDING, CONNECTOR, COMMA):
            if kinds[back] == FINDING:
                flags[back].add(scope)
            back -= 1
