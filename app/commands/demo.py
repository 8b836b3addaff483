"""``flask demo generate``: write the heterogeneous demo dataset (four sources and a ground-truth manifest)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from ml.knowledge import get_kb
from ml.synthetic import MANIFEST_NAME, DemoError, generate_demo

demo_cli = AppGroup("demo", help="Generate demo data.")


@demo_cli.command("generate")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), help="Defaults to <instance>/demo.")
@click.option("--patients", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--kb", "kb_dir", type=click.Path(file_okay=False, path_type=Path), help="Defaults to KB_DIR.")
def generate_command(out_dir: Path | None, patients: int, seed: int, kb_dir: Path | None) -> None:
    """Write a hospital CSV, a registry JSONL, a research XLSX and clinic notes drawn from the knowledge base."""
    out_dir = out_dir or Path(current_app.config["INSTANCE_DIR"]) / "demo"
    kb_dir = kb_dir or Path(current_app.config["KB_DIR"])
    try:
        kb = get_kb(kb_dir)
    except FileNotFoundError as error:
        raise click.ClickException(f"No knowledge base in {kb_dir}: run `flask kb build` first.") from error
    try:
        result = generate_demo(out_dir, kb=kb, patients=patients, seed=seed)
    except DemoError as error:
        raise click.ClickException(str(error)) from error
    for source, count in result.records.items():
        click.echo(f"{source:16} {count:>7} records  {result.paths[source]}")
    click.echo(
        f"Wrote {result.patients} patients to {out_dir} in {result.seconds:.1f} s; "
        f"{MANIFEST_NAME} holds the ground truth."
    )


COMMANDS = (demo_cli,)
