"""Benchmark the knowledge base: build time, fresh-process load time, artifact size and peak memory.

Run from the repository root: ``.venv/bin/python bench/bench_kb.py [--out-dir DIR] [--repeats 5]``.
Build and every load run in their own subprocess so import costs and peak RSS are those a real
worker or web process pays.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

BUILD_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from ml import knowledge as kb
started = time.perf_counter()
build_dir = kb.build_kb(out_dir=Path(sys.argv[1]))
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"build_dir": str(build_dir), "seconds": seconds, "peak_rss_kib": peak_kib}))
"""

LOAD_SCRIPT = """
import time
started = time.perf_counter()
import json, resource, sys
from ml import knowledge as kb
knowledge = kb.load_kb(sys.argv[1])
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "load_kb_seconds": knowledge.load_seconds, "peak_rss_kib": peak_kib,
                  "info": kb.kb_info(knowledge)}))
"""


def run_script(script: str, *args: str) -> dict:
    """Run a Python snippet in a fresh interpreter from the repository root and return its JSON output."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(completed.stdout)


def folder_size_bytes(folder: Path) -> dict[str, int]:
    """Return the size of every file in a folder, and their total."""
    sizes = {path.name: path.stat().st_size for path in sorted(folder.iterdir()) if path.is_file()}
    return {**sizes, "total": sum(sizes.values())}


def bench(*, out_dir: Path, repeats: int) -> dict:
    """Build once, load ``repeats`` times in fresh processes and return the figures."""
    build = run_script(BUILD_SCRIPT, str(out_dir))
    loads = [run_script(LOAD_SCRIPT, str(out_dir)) for _ in range(repeats)]
    return {
        "build_seconds": round(build["seconds"], 2),
        "build_peak_rss_mib": round(build["peak_rss_kib"] / 1024, 1),
        "fresh_process_ready_seconds_median": round(statistics.median(load["seconds"] for load in loads), 3),
        "load_kb_seconds_median": round(statistics.median(load["load_kb_seconds"] for load in loads), 3),
        "load_peak_rss_mib_median": round(
            statistics.median(load["peak_rss_kib"] for load in loads) / 1024, 1
        ),
        "artifact_bytes": folder_size_bytes(Path(build["build_dir"])),
        "repeats": repeats,
        "kb_info": loads[-1]["info"],
    }


def main() -> None:
    """Parse arguments, run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, help="where to build (default: a temporary folder)")
    parser.add_argument("--repeats", type=int, default=5, help="fresh-process loads to take the median of")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-kb-") as scratch:
        figures = bench(out_dir=arguments.out_dir or Path(scratch), repeats=arguments.repeats)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
