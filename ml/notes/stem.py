"""Reduce a folded word to a key that its inflections and spellings share, in English and Spanish.

The same function keys the vocabulary and the note, so it only has to be consistent, not linguistically
exact: ``rashes``/``rash``, ``coughing``/``coughs``/``cough``, ``itchy``/``itchiness``/``itching``,
``hinchada``/``hinchados``, ``dolores``/``dolor`` and ``diarrhoea``/``diarrhea`` each meet on one key.
British spellings become American first (``ae``/``oe`` before a consonant, ``-our``, ``-tre``, ``-yse``).
"""

from __future__ import annotations

import functools
import re

# British ae/oe before a consonant is e in American spelling (haemorrhage, oedema, anaemia, oesophagus); a
# final -oes/-aes is a plural (toes), left alone.
_BRITISH_DIGRAPH = re.compile(r"[ao]e(?=[b-df-hj-np-tv-z])(?!s$)")
_BRITISH_ENDINGS = (
    (re.compile(r"(?<=.{3})our(s?)$"), r"or\1"),  # tumour, colour, humour
    (re.compile(r"(?<=.{2}[bt])re(s?)$"), r"er\1"),  # fibre, centre, litre
    (re.compile(r"(?<=.{2})ys(e|ed|es|ing)$"), r"yz\1"),  # paralysed, analyse
    (re.compile(r"rrhoea"), "rrhea"),  # diarrhoea, amenorrhoea, rhinorrhoea
)
_VOWELS = frozenset("aeiou")
# Words too short or too common to strip: "less" is not "les", "this" not "thi".
_KEEP = frozenset({"less", "loss", "illness", "this", "has", "was", "does", "is", "gas", "yes", "bus", "pus", "tos",
                   "mas", "dias", "vez", "sed", "red", "bed", "fed", "need", "feed", "bleed", "ruled"})
# Irregular forms that no suffix rule reaches.
_IRREGULAR = {"ache": "ach", "aching": "ach", "ached": "ach", "feet": "foot", "teeth": "tooth", "swollen": "swell",
              "bled": "bleed", "felt": "feel", "vomitted": "vomit",
              "sleepy": "sleepy", "sleepiness": "sleepy"}  # sleepy is drowsy; sleeping is not


def american(word: str) -> str:
    """Return a folded word in American spelling (``anaemia`` → ``anemia``, ``tumour`` → ``tumor``)."""
    if "ae" in word or "oe" in word:
        word = _BRITISH_DIGRAPH.sub("e", word)
    for pattern, replacement in _BRITISH_ENDINGS:
        word = pattern.sub(replacement, word)
    return word


def _undouble(stem: str) -> str:
    """Drop a doubled final consonant left by a suffix (``vomitting`` → ``vomit``, ``swelling`` stays)."""
    if len(stem) > 3 and stem[-1] == stem[-2] and stem[-1] not in _VOWELS and stem[-1] not in "lsz":
        return stem[:-1]
    return stem


def _strip_plural(word: str) -> str:
    """Return an English or Spanish plural in its singular stem."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1] if word.endswith("s") else word


def _strip_suffix(word: str) -> str:
    """Strip one English derivational or verbal ending when a stem of four letters or more remains."""
    for suffix, replacement in (("iness", "y"), ("ness", ""), ("ing", ""), ("ied", "y"), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            stem = word[: -len(suffix)] + replacement
            return _undouble(stem) if not replacement else stem
    return word


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Return the key of one folded word: American spelling, singular, without -ing/-ed/-ness, gender folded."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or not word.isalpha() or word in _KEEP:
        return word
    word = american(word)
    word = _strip_suffix(_strip_plural(word))
    if len(word) >= 5 and word[-1] == "y" and word[-2] not in _VOWELS:
        word = word[:-1]  # itchy → itch, dizzy → dizz (as dizziness), bloody → blood
    if len(word) >= 5 and word[-1] in "aeo":
        word = word[:-1]  # Spanish gender and -e: hinchada/hinchado, fiebre, dolore(s) → dolor
    return word
