"""Benchmark the note reader: build time, notes per second on 300-character notes, corpus precision and recall.

Run: ``PYTHONPATH=$PWD .venv/bin/python bench/bench_notes.py [KB_DIR]`` (builds a knowledge base in a
temporary folder when none is given).
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from ml.knowledge import build_kb, get_kb
from ml.notes import NoteReader
from ml.notes.evaluation import read_corpus, score

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "ml" / "notes"
NOTE_CHARS = 300


def notes_of(sentences: list[str], chars: int = NOTE_CHARS) -> list[str]:
    """Return notes of about ``chars`` characters, each a run of consecutive corpus sentences."""
    notes, current = [], ""
    for index in range(len(sentences) * 3):
        current = f"{current} {sentences[index % len(sentences)]}".strip()
        if len(current) >= chars:
            notes.append(current[:chars])
            current = ""
    return notes


def main(kb_dir: Path) -> None:
    """Print build seconds, memory, notes/s and the corpus figures."""
    kb = get_kb(kb_dir)
    started, cpu_started = time.perf_counter(), time.process_time()
    reader = NoteReader.build(kb)
    build_seconds, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    tracemalloc.start()  # a second, traced build for its memory (tracing slows it down)
    traced = NoteReader.build(kb)
    memory_mb = tracemalloc.get_traced_memory()[0] / 1e6
    del traced
    tracemalloc.stop()
    print(f"build: {build_seconds:.2f} s wall, {build_cpu:.2f} s CPU, {len(reader.index):,} keys, "
          f"{memory_mb:.0f} MB allocated")
    for lang in ("en", "es"):
        sentences = read_corpus(CORPUS / f"corpus_{lang}.tsv")
        notes = notes_of([sentence.text for sentence in sentences])
        started, cpu_started = time.perf_counter(), time.process_time()
        findings = sum(len(reader.read(note, lang=lang)) for note in notes * 5)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        result = score(reader.mentions, sentences, lang=lang)
        # CPU time as well as wall time: on a shared machine the wall clock counts other processes' turns.
        print(f"{lang}: {5 * len(notes) / seconds:,.0f} notes/s wall, {5 * len(notes) / cpu_seconds:,.0f} per CPU "
              f"second ({len(notes)} notes of {NOTE_CHARS} chars x 5, {findings / len(notes) / 5:.1f} findings each); "
              f"corpus of {len(sentences)} sentences: "
              f"precision {result.precision:.3f}, recall {result.recall:.3f}")


if __name__ == "__main__":
    if len(sys.argv) > 1:
        main(Path(sys.argv[1]))
    else:
        with tempfile.TemporaryDirectory() as folder:
            main(build_kb(out_dir=Path(folder)))
