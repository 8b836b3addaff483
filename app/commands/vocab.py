"""``flask vocab match TEXT [--lang es] [--disease]``: show how the normaliser reads a text."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from app.vocabulary.service import match

vocab_cli = AppGroup("vocab", help="Try the symptom and disease normaliser.")


@vocab_cli.command("match")
@click.argument("text")
@click.option("--lang", type=click.Choice(["en", "es"]), default=None, help="Language of the text (symptoms).")
@click.option("--disease", is_flag=True, help="Read TEXT as a disease instead of a symptom.")
def match_command(text: str, lang: str | None, disease: bool) -> None:
    """Print the id, name, method and score the normaliser gives TEXT, with any candidates."""
    found = match("disease" if disease else "symptom", text, lang=lang)
    click.echo(f"query      {found.query}")
    click.echo(f"id         {found.id or '-'}")
    click.echo(f"name       {found.name or '-'}")
    click.echo(f"method     {found.method}")
    click.echo(f"score      {found.score:g}")
    for candidate_id, name, score in found.candidates:
        click.echo(f"candidate  {candidate_id}  {name}  ({score:g})")
    if not found.matched:
        raise SystemExit(1)


COMMANDS = (vocab_cli,)
