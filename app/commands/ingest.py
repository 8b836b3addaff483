"""``flask ingest FILE... --source NAME [--profile NAME] [--quarantine] [--wait]`` and ``flask ingest delete ID``.

A FILE may be a folder of clinic notes: its text notes (sub-folders included) become one ``notes.zip`` upload,
as do two or more notes named one by one.
"""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import click
from flask.cli import AppGroup

from app.extensions import db
from app.models import Upload
from app.warehouse import (
    UploadRefused,
    UploadsPending,
    create_upload,
    delete_upload,
    ingest_upload,
    propose_profile_for,
    save_profile,
    upload_report,
)
from ml.ingest import IngestionError, is_note_name


class _DefaultLoadGroup(AppGroup):
    """A group whose first argument is a file unless it names a subcommand: ``flask ingest a.csv``."""

    def parse_args(self, ctx, args):
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["load", *args]
        return super().parse_args(ctx, args)


ingest_cli = _DefaultLoadGroup("ingest", help="Load files into the warehouse, or delete an upload.")


def _profile_name(source: str) -> str:
    """Return a profile name derived from a source name (``Hospital A`` → ``hospital_a``)."""
    return re.sub(r"[^a-z0-9]+", "_", source.casefold()).strip("_")[:100] or "proposed"


@ingest_cli.command("load")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--source", required=True, help="Where the data comes from (a hospital, a registry...).")
@click.option("--profile", "profile_name", help="Source profile to read the files with.")
@click.option("--quarantine", is_flag=True, help="Skip invalid rows (listed in the report) instead of failing.")
@click.option("--wait", is_flag=True, help="Ingest here, now, and print the report instead of queueing a job.")
@click.option("--accept-proposal", is_flag=True, help="Without --profile: save the proposed profile and use it.")
def load_command(files: tuple[Path, ...], source: str, profile_name: str | None, quarantine: bool, wait: bool,
                 accept_proposal: bool) -> None:
    """Store FILES in the raw zone and ingest them (a background job, or here with --wait); a folder of notes, or
    several notes, is one upload."""
    files = tuple(expand_folders(files))
    if not profile_name:
        profile_name = _propose(files[0], source, accept=accept_proposal)
    with contextlib.ExitStack() as stack:
        incoming = [(path.name, stack.enter_context(path.open("rb"))) for path in files]
        try:
            uploads = create_upload(incoming, source, profile_name, None, quarantine=quarantine, enqueue=not wait)
        except UploadRefused as error:
            raise click.ClickException(str(error)) from error
        except UploadsPending as error:
            pending = ", ".join(f"#{upload.id}" for upload in error.uploads)
            raise click.ClickException(
                f"{error} The files are kept as pending upload(s) {pending}: start them from their page in "
                "admin › Uploads when Redis is back, or `flask ingest delete ID`.") from None
    failed = 0
    for upload in uploads:
        if not wait:
            click.echo(f"Upload #{upload.id} ({upload.filename}): queued as job #{upload.job_id}.")
            continue
        try:
            ingest_upload(upload.id, lambda percent, stage="": None)
        except IngestionError:
            failed += 1
        db.session.refresh(upload)
        click.echo(json.dumps(upload_report(upload), indent=2, sort_keys=True, default=str))
    if failed:
        raise click.ClickException(f"{failed} of {len(uploads)} uploads failed; nothing of them was loaded.")


def expand_folders(paths: tuple[Path, ...]) -> list[Path]:
    """Replace each folder by the text notes it holds (hidden files left out); refuse a folder without notes."""
    expanded = []
    for path in paths:
        if not path.is_dir():
            expanded.append(path)
            continue
        notes = sorted(p for p in path.rglob("*") if p.is_file() and is_note_name(p.name)
                       and not any(part.startswith(".") for part in p.relative_to(path).parts))
        if not notes:
            raise click.ClickException(f"{path} holds no text notes (.txt, .text, .note, .md).")
        expanded.extend(notes)
    return expanded


def _propose(path: Path, source: str, *, accept: bool) -> str:
    """Print a proposed profile for a new source; save it with ``accept``, else stop."""
    try:
        proposal = propose_profile_for(path, path.name, name=_profile_name(source))
    except IngestionError as error:
        raise click.ClickException(error.message) from error
    click.echo(json.dumps(proposal.to_dict(), indent=2, ensure_ascii=False))
    if proposal.rows_are_patients:
        click.echo("This file names no patient: each row will be its own anonymous patient (rows_are_patients).")
    if not accept:
        raise click.ClickException(
            "No --profile given. Above is a proposed profile for this file: check it, then run again with "
            f"--accept-proposal to save it as {proposal.name!r}, or with --profile NAME."
        )
    save_profile(proposal)
    click.echo(f"Saved the proposed profile as {proposal.name!r}.")
    return proposal.name


@ingest_cli.command("delete")
@click.argument("upload_id", type=int)
def delete_command(upload_id: int) -> None:
    """Delete an upload, every row it loaded, and its raw file."""
    upload = db.session.get(Upload, upload_id)
    if upload is None:
        raise click.ClickException(f"There is no upload #{upload_id}.")
    try:
        counts = delete_upload(upload)
    except UploadRefused as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Deleted upload #{upload_id}: {counts['cases']} cases, {counts['patients']} patients left "
               "without cases.")


COMMANDS = (ingest_cli,)
