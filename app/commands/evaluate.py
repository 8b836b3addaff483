"""``flask evaluate simulated`` and ``flask rank-cases``: the knowledge model (or the champion) from the CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from app.predict.service import champion_ranker
from app.registry.service import current_champion, serving_status
from ml.evaluation import ResnikBaseline, evaluate_simulated, knowledge_ranker, resnik_ranker, simulate_patients
from ml.knowledge import get_kb
from ml.models import KnowledgeModel
from ml.models.cohort import rank_cohort, read_cohort_tsv, write_ranked_tsv

evaluate_cli = AppGroup("evaluate", help="Evaluate the disease models.")


def _knowledge_base():
    """Return the current knowledge base or stop with the command that builds one."""
    kb_dir = Path(current_app.config["KB_DIR"])
    try:
        return get_kb(kb_dir)
    except FileNotFoundError as error:
        raise click.ClickException(f"No knowledge base in {kb_dir}: run `flask kb build` first.") from error


@evaluate_cli.command("simulated")
@click.option("--patients", type=click.IntRange(min=1), default=None, help="Default: one per annotated disease.")
@click.option("--terms", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--imprecision", type=click.FloatRange(0, 1), default=0.5, show_default=True)
@click.option("--noise", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--excluded", type=click.IntRange(min=0), default=0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--prior",
    type=click.Choice(["uniform", "prevalence"]),
    default="uniform",
    show_default=True,
    help="uniform matches the simulation, which draws every disease equally often.",
)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
def simulated_command(patients, terms, imprecision, noise, excluded, seed, prior, as_json) -> None:
    """Score dxflow and the Resnik baseline on the same simulated patients: top-1/3/10 and MRR."""
    kb = _knowledge_base()
    cohort = simulate_patients(
        kb,
        n_patients=patients,
        n_terms=terms,
        imprecision=imprecision,
        noise=noise,
        excluded=excluded,
        random_state=seed,
    )
    model = KnowledgeModel(kb, prior=prior).fit()
    rankers = {"dxflow": knowledge_ranker(model), "resnik": resnik_ranker(ResnikBaseline(kb))}
    started = time.perf_counter()
    results = evaluate_simulated(cohort, rankers)
    if as_json:
        click.echo(json.dumps(results, indent=2, sort_keys=True))
        return
    click.echo(
        f"{len(cohort)} patients, {terms} terms, imprecision {imprecision}, noise {noise}, "
        f"excluded {excluded}, seed {seed} ({time.perf_counter() - started:.1f} s)"
    )
    click.echo(f"{'model':8} {'top1':>6} {'top3':>6} {'top10':>6} {'MRR':>6}  tied at truth  largest tie in top 10")
    for name, result in results.items():
        ties = result["ties"]
        click.echo(
            f"{name:8} {result['top1']:6.3f} {result['top3']:6.3f} {result['top10']:6.3f} "
            f"{result['mrr']:6.3f}  {ties['true_tied_share']:12.1%}  {ties['top10_tie_max']}"
        )


@click.command("rank-cases")
@with_appcontext
@click.option("--input", "input_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--output", "output_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--top", type=click.IntRange(min=1, max=1000), default=10, show_default=True)
@click.option("--model", "model_name", type=click.Choice(["kb", "champion"]), default="kb", show_default=True)
def rank_cases_command(input_path: Path, output_path: Path, top: int, model_name: str) -> None:
    """Rank every case of a TSV (case_id, present_hpo, excluded_hpo) into case_id, rank, disease_id, score rows."""
    try:
        cases = read_cohort_tsv(input_path)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    bundle, version = current_champion() if model_name == "champion" else (None, None)
    if model_name == "champion" and bundle is None:
        refused = serving_status().get("model_error")
        raise click.ClickException("No champion model to rank with" + (f" ({refused})" if refused else "")
                                   + ": train one with `flask train` (or promote a version), or use --model kb.")
    model = KnowledgeModel(_knowledge_base()).fit()
    # The champion ranks through the same fusion the prediction page serves.
    ranker = champion_ranker(model, bundle, version).fused if bundle is not None else model
    started = time.perf_counter()
    rows = rank_cohort(ranker, cases, top=top)
    count = write_ranked_tsv(rows, output_path)
    seconds = time.perf_counter() - started
    warnings = sum(1 for row in rows if row["warning"])
    served = f"model v{version}" if bundle is not None else "knowledge-informed model"
    click.echo(f"Ranked {len(cases)} cases with the {served} into {count} rows ({warnings} warnings) "
               f"in {seconds:.1f} s: {output_path}")


COMMANDS = (evaluate_cli, rank_cases_command)
