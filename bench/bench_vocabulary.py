"""Benchmark the vocabulary: build time, normaliser throughput and autocomplete latency.

Run from the repository root: ``.venv/bin/python bench/bench_vocabulary.py [--kb-dir DIR] [--seed 0]``.
Without ``--kb-dir`` the knowledge base is built into a temporary folder first (not timed here; see
``bench/bench_kb.py``). Queries are a realistic mix drawn with a fixed seed: lexicon terms in English and
Spanish (Kaggle column names included), HPO names and synonyms with case and underscore noise, ids in several
spellings, typos (a letter dropped, doubled or swapped), disease names, aliases and codes, and junk.
"""

import argparse
import collections
import json
import platform
import random
import statistics
import tempfile
import time
from pathlib import Path

from ml.knowledge import DEFAULT_LEXICONS, Vocabulary, build_kb, load_kb, read_lexicon
from ml.knowledge.index import _normalize

N_QUERIES = 5_000
N_PREFIXES = 500


def typo(text: str, rng: random.Random) -> str:
    """Return ``text`` with one letter dropped, doubled or swapped with the next."""
    if len(text) < 5:
        return text
    at = rng.randrange(1, len(text) - 2)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return text[:at] + text[at + 1 :]
    if kind == "double":
        return text[:at] + text[at] + text[at:]
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


def noisy(text: str, rng: random.Random) -> str:
    """Return ``text`` as a data set might spell it: upper case, underscores, stray spaces."""
    return rng.choice((text, text.upper(), text.replace(" ", "_"), f"  {text.title()} "))


def symptom_queries(kb, rng: random.Random) -> list[tuple[str, str | None]]:
    """Return ``(text, lang)`` pairs: mostly known terms, a fifth typos, some ids and junk."""
    english = [term for term, _, _ in read_lexicon(DEFAULT_LEXICONS[0])]
    spanish = [term for term, _, _ in read_lexicon(DEFAULT_LEXICONS[1])]
    current = [index for index, term_id in enumerate(kb.term_ids) if term_id not in kb.obsolete_ids]
    synonyms = [synonym.text for index in current for synonym in kb.term_synonyms[index]]
    queries = []
    for _ in range(N_QUERIES):
        draw = rng.random()
        if draw < 0.25:
            queries.append((noisy(rng.choice(english), rng), "en"))
        elif draw < 0.45:
            queries.append((noisy(rng.choice(spanish), rng), "es"))
        elif draw < 0.60:
            queries.append((noisy(kb.term_names[rng.choice(current)], rng), None))
        elif draw < 0.70:
            queries.append((rng.choice(synonyms), None))
        elif draw < 0.90:
            queries.append((typo(rng.choice(english + spanish), rng), rng.choice(("en", "es"))))
        elif draw < 0.95:
            term_id = kb.term_ids[rng.choice(current)]
            queries.append((rng.choice((term_id, term_id.replace(":", "_").lower())), None))
        else:
            queries.append(("".join(rng.choice("abcdefghij klmnopqrstuvwxyz") for _ in range(12)), None))
    return queries


def disease_queries(kb, rng: random.Random) -> list[str]:
    """Return disease texts: names, Spanish names, Kaggle aliases, ICD-10 codes and OMIM/ORPHA ids."""
    common = [index for index, code in enumerate(kb.disease_icd10) if code]
    queries = []
    for _ in range(N_QUERIES // 5):
        index = rng.choice(common)
        queries.append(
            rng.choice(
                (
                    kb.disease_names[index],
                    kb.disease_names_es[index],
                    rng.choice(kb.disease_aliases[index] or (kb.disease_names[index],)),
                    kb.disease_icd10[index].replace(".", ""),
                    kb.disease_names[rng.randrange(kb.n_diseases)],
                    kb.disease_ids[rng.randrange(kb.n_diseases)].replace("ORPHA:", "Orphanet:"),
                    typo(kb.disease_names[rng.randrange(kb.n_diseases)], rng),
                )
            )
        )
    return queries


def prefixes(kb, rng: random.Random) -> list[tuple[str, str]]:
    """Return 500 ``(prefix, lang)`` pairs, half English HPO names, half Spanish lexicon terms, 1-8 letters."""
    spanish = [term for term, _, _ in read_lexicon(DEFAULT_LEXICONS[1])]
    english = [name for term_id, name in zip(kb.term_ids, kb.term_names, strict=True) if term_id not in kb.obsolete_ids]
    found = []
    for number in range(N_PREFIXES):
        lang, pool = ("en", english) if number % 2 == 0 else ("es", spanish)
        word = rng.choice(pool)
        found.append((word[: rng.randint(1, min(8, len(word)))], lang))
    return found


def percentiles(seconds: list[float]) -> dict[str, float]:
    """Return p50, p95, p99 and max of a list of durations, in milliseconds."""
    ordered = sorted(seconds)

    def at(share: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))], 3)

    return {"p50_ms": at(0.50), "p95_ms": at(0.95), "p99_ms": at(0.99), "max_ms": round(1000 * ordered[-1], 3)}


def bench(kb_dir: Path, *, seed: int) -> dict:
    """Measure build, matching and autocomplete over the knowledge base in ``kb_dir``."""
    kb = load_kb(kb_dir)
    builds = []
    for _ in range(3):
        _normalize.cache_clear()  # a cold build, as a new web or worker process pays it
        started = time.perf_counter()
        vocabulary = Vocabulary.build(kb)
        builds.append(time.perf_counter() - started)
    rng = random.Random(seed)
    symptoms, diseases, typed = symptom_queries(kb, rng), disease_queries(kb, rng), prefixes(kb, rng)

    vocabulary = vocabulary.with_mappings({})  # fresh match caches: every distinct text is matched for real
    methods: collections.Counter = collections.Counter()
    started = time.perf_counter()
    for text, lang in symptoms:
        methods[vocabulary.match_symptom(text, lang=lang).method] += 1
    symptom_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text in diseases:
        methods["disease:" + vocabulary.match_disease(text).method] += 1
    disease_seconds = time.perf_counter() - started
    started = time.perf_counter()
    for text, lang in symptoms:  # the same cells again, as in a large upload: served from the cache
        vocabulary.match_symptom(text, lang=lang)
    cached_seconds = time.perf_counter() - started

    timings = {"en": [], "es": []}
    for prefix, lang in typed:
        started = time.perf_counter()
        vocabulary.autocomplete(prefix, lang=lang)
        timings[lang].append(time.perf_counter() - started)
    return {
        "build_seconds_median_of_3": round(statistics.median(builds), 2),
        "symptom_keys": len(vocabulary._symptoms.entries),
        "disease_keys": len(vocabulary._diseases.entries),
        "symptom_matches_per_second_cold": round(len(symptoms) / symptom_seconds),
        "symptom_matches_per_second_cached": round(len(symptoms) / cached_seconds),
        "disease_matches_per_second_cold": round(len(diseases) / disease_seconds),
        "methods": dict(methods.most_common()),
        "autocomplete_all": percentiles(timings["en"] + timings["es"]),
        "autocomplete_en": percentiles(timings["en"]),
        "autocomplete_es": percentiles(timings["es"]),
        "queries": {"symptoms": len(symptoms), "diseases": len(diseases), "prefixes": len(typed)},
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
    }


def main() -> None:
    """Parse arguments, run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kb-dir", type=Path, help="an existing knowledge base (default: build one)")
    parser.add_argument("--seed", type=int, default=0)
    arguments = parser.parse_args()
    if arguments.kb_dir:
        figures = bench(arguments.kb_dir, seed=arguments.seed)
    else:
        with tempfile.TemporaryDirectory(prefix="bench-vocabulary-") as scratch:
            build_kb(out_dir=Path(scratch))
            figures = bench(Path(scratch), seed=arguments.seed)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
