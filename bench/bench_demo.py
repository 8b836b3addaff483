"""Benchmark the demo dataset generator: seconds to write 20,000 patients, peak memory and output sizes.

Run from the repository root: ``.venv/bin/python bench/bench_demo.py [--patients 20000] [--repeats 3] [--kb DIR]``.
Each generation runs in a fresh process (the knowledge base is loaded there but not counted), into a new
folder, so the figure is what ``flask demo generate`` pays after start-up.
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

GENERATE_SCRIPT = """
import json, resource, sys, time
from pathlib import Path
from ml.synthetic import generate_demo
from ml.knowledge import load_kb
kb = load_kb(Path(sys.argv[1]))
started = time.perf_counter()
result = generate_demo(Path(sys.argv[2]), kb=kb, patients=int(sys.argv[3]), seed=int(sys.argv[4]))
seconds = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "records": result.records, "peak_rss_kib": peak_kib}))
"""

BUILD_SCRIPT = """
import sys
from pathlib import Path
from ml.knowledge import build_kb
build_kb(out_dir=Path(sys.argv[1]), common_csv=Path("data/common_diseases.csv"))
"""


def run_script(script: str, *args: str) -> str:
    """Run a Python snippet in a fresh interpreter from the repository root and return its output."""
    completed = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    return completed.stdout


def output_sizes(folder: Path) -> dict[str, int]:
    """Return the bytes written per source (the notes folder summed) and in total."""
    sizes = {}
    for path in sorted(folder.iterdir()):
        files = list(path.rglob("*")) if path.is_dir() else [path]
        sizes[path.name] = sum(item.stat().st_size for item in files if item.is_file())
    return {**sizes, "total": sum(sizes.values())}


def bench(*, kb_dir: Path, scratch: Path, patients: int, repeats: int, seed: int) -> dict:
    """Generate ``repeats`` times in fresh processes and return the figures."""
    runs = []
    for repeat in range(repeats):
        out_dir = scratch / f"demo-{repeat}"
        runs.append(json.loads(run_script(GENERATE_SCRIPT, str(kb_dir), str(out_dir), str(patients), str(seed))))
    return {
        "patients": patients,
        "seconds_median": round(statistics.median(run["seconds"] for run in runs), 2),
        "seconds_all": [round(run["seconds"], 2) for run in runs],
        "peak_rss_mib_median": round(statistics.median(run["peak_rss_kib"] for run in runs) / 1024, 1),
        "records": runs[-1]["records"],
        "bytes": output_sizes(scratch / f"demo-{repeats - 1}"),
        "repeats": repeats,
    }


def main() -> None:
    """Parse arguments, run the benchmark and print its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3, help="fresh-process generations to take the median of")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--kb", type=Path, help="a built knowledge base (default: build one in a temporary folder)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-demo-") as scratch:
        kb_dir = arguments.kb
        if kb_dir is None:
            kb_dir = Path(scratch) / "kb"
            run_script(BUILD_SCRIPT, str(kb_dir))
        figures = bench(
            kb_dir=kb_dir,
            scratch=Path(scratch),
            patients=arguments.patients,
            repeats=arguments.repeats,
            seed=arguments.seed,
        )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
