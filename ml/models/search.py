"""The budgeted, seeded, fan-out-friendly search, and the final refit into a signed-ready predictor bundle.

How the app drives it (each step is a pure function of plain, JSON-ready values plus the Dataset):

1. ``plan = plan_search(dataset, config=TrainingConfig(...))`` — labels, the train/validation/test split and the
   folds (case ids), and the parameter draws. ``plan.to_dict()`` / ``SearchPlan.from_dict`` move it between jobs.
2. Loop: ``units = next_units(plan, results)``; stop when empty; run each ``run_unit(plan, unit, dataset,
   ancestors=...)`` — one (candidate, params, fold), returning a small dict — as a separate job; gather the dicts
   into ``results``. With ``config.halving`` the rounds are successive halving with folds as the resource: round r
   scores the surviving draws on fold r and keeps the best ``1 / halving_factor`` of each candidate's draws; without
   it, one round runs every draw on every fold (a randomised search).
3. ``outcome = fit_final(plan, dataset, results, ancestors=..., orphan=..., metadata=...)`` — refits the best
   draw on the training cases, calibrates and tunes thresholds on validation, scores the test cases, and returns
   the :class:`~ml.registry.bundle.PredictorBundle` with the metrics and the leaderboard.

:func:`train` runs all three inline (one worker, ``RQ_INLINE=1``, tests and the benchmark).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.metrics import average_precision_score
from sklearn.model_selection import ParameterSampler

from ml.dataset import Dataset, snapshot_id
from ml.evaluation.metrics import evaluate, ranking_metrics
from ml.features.encoder import CaseEncoder
from ml.features.labels import DiseaseLabels, TrainingDataError
from ml.models.calibration import apply_calibration, fit_calibration, tune_thresholds
from ml.models.splits import stratified_folds, train_validation_test_split
from ml.models.supervised import CANDIDATES, PARAM_SPACES, MultiLabelModel
from ml.registry.bundle import PredictorBundle

Progress = Callable[[str, float], None]


#: The negative rows a one-vs-rest label is fitted on at most. Above the training cases of the ~20,000-case demo
#: (~14,000), so the demo's models are fitted on every row; what it bounds is the growth beyond (docs/BENCHMARKS.md).
MAX_NEGATIVES = 16_000


@dataclass(frozen=True)
class TrainingConfig:
    """Everything a training run is parameterised by; JSON-ready via ``dataclasses.asdict``."""

    min_support: int = 10
    validation_size: float = 0.15
    test_size: float = 0.15
    n_folds: int = 3
    candidates: tuple[str, ...] = CANDIDATES
    n_draws: int = 4
    halving: bool = True
    halving_factor: int = 2
    propagate: bool = True
    absent_propagation: str = "down"
    min_term_count: int = 2
    categorical_columns: tuple[str, ...] = ()
    #: Each one-vs-rest label is fitted on its positives and at most this many negatives (weighted; None: all);
    #: see ``ml.models.supervised.OneVsRest``.
    max_negatives: int | None = MAX_NEGATIVES
    random_state: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.candidates) - set(CANDIDATES)
        if unknown:
            raise ValueError(f"unknown candidates: {', '.join(sorted(unknown))}")


@dataclass
class SearchPlan:
    """The labels, the split (as case ids), the folds and the parameter draws of one run."""

    config: TrainingConfig
    snapshot_id: str
    labels: list[str]
    train_support: list[int]
    below_support: dict[str, int]
    train_ids: list[int]
    validation_ids: list[int]
    test_ids: list[int]
    fold_ids: list[list[int]]
    draws: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the plan as plain JSON-ready values."""
        return asdict(self) | {"config": asdict(self.config)}

    @classmethod
    def from_dict(cls, data: Mapping) -> SearchPlan:
        """Rebuild a plan from :meth:`to_dict` output."""
        config = dict(data["config"])
        config["candidates"] = tuple(config["candidates"])
        config["categorical_columns"] = tuple(config["categorical_columns"])
        return cls(**{**data, "config": TrainingConfig(**config)})


def _jsonable(params: Mapping) -> dict:
    """Return params with numpy scalars turned into Python ones."""
    return {key: value.item() if isinstance(value, np.generic) else value for key, value in params.items()}


def draw_params(config: TrainingConfig) -> list[dict]:
    """Return the seeded parameter draws: ``n_draws`` per candidate (fewer when its grid is smaller)."""
    draws = []
    for offset, candidate in enumerate(config.candidates):
        space = PARAM_SPACES[candidate]
        size = math.prod(len(values) for values in space.values())
        sampler = ParameterSampler(space, n_iter=min(config.n_draws, size), random_state=config.random_state + offset)
        draws += [{"candidate": candidate, "params": _jsonable(params)} for params in sampler]
    return draws


def label_matrix(dataset: Dataset, labels: Sequence[str]) -> np.ndarray:
    """Return the uint8 case × label matrix of ``dataset`` over ``labels`` (rows in ``dataset.cases`` order)."""
    encoder = DiseaseLabels(min_support=1)
    encoder.classes_ = np.asarray(labels, dtype=object)
    encoder.class_index_ = {label: j for j, label in enumerate(labels)}
    return encoder.transform(dataset)


def plan_search(dataset: Dataset, *, config: TrainingConfig | None = None) -> SearchPlan:
    """Choose the labels, split the cases, make the folds and draw the parameters; raise TrainingDataError."""
    config = config or TrainingConfig()
    labeller = DiseaseLabels(min_support=config.min_support).fit(dataset)
    Y = labeller.transform(dataset)
    case_ids = dataset.cases["case_id"].to_numpy(dtype=np.int64)
    if len(case_ids) < 3 * config.n_folds:
        raise TrainingDataError(f"Training needs at least {3 * config.n_folds} cases; the warehouse has "
                                f"{len(case_ids)}.")
    train, validation, test = train_validation_test_split(
        Y, validation_size=config.validation_size, test_size=config.test_size, random_state=config.random_state
    )
    folds = stratified_folds(Y[train], n_folds=config.n_folds, random_state=config.random_state)
    return SearchPlan(
        config=config,
        snapshot_id=snapshot_id(dataset),
        labels=[str(label) for label in labeller.classes_],
        train_support=Y[train].sum(axis=0).astype(int).tolist(),
        below_support=labeller.below_support_,
        train_ids=case_ids[train].tolist(),
        validation_ids=case_ids[validation].tolist(),
        test_ids=case_ids[test].tolist(),
        fold_ids=[case_ids[train][fold].tolist() for fold in folds],
        draws=draw_params(config),
    )


def _key(draw: Mapping) -> str:
    """Return a stable identity for a (candidate, params) draw."""
    return json.dumps([draw["candidate"], draw["params"]], sort_keys=True)


def next_units(plan: SearchPlan, results: Sequence[Mapping]) -> list[dict]:
    """Return the next round of work units given the results gathered so far; empty when the search is done."""
    config = plan.config
    if not config.halving:
        done = {(_key(result), result["fold"]) for result in results}
        return [{**draw, "fold": fold} for draw in plan.draws for fold in range(config.n_folds)
                if (_key(draw), fold) not in done]
    survivors = list(plan.draws)
    for fold in range(config.n_folds):
        scored = {_key(r): r for r in results if r["fold"] == fold}
        missing = [draw for draw in survivors if _key(draw) not in scored]
        if missing:
            return [{**draw, "fold": fold} for draw in missing]
        survivors = _halve(survivors, results, config.halving_factor)
    return []


def _mean_scores(results: Sequence[Mapping]) -> dict[str, tuple[int, float]]:
    """Return, per draw key, (folds scored, mean score)."""
    grouped: dict[str, list[float]] = {}
    for result in results:
        grouped.setdefault(_key(result), []).append(result["score"])
    return {key: (len(scores), float(np.mean(scores))) for key, scores in grouped.items()}


def _halve(survivors: list[dict], results: Sequence[Mapping], factor: int) -> list[dict]:
    """Return the best ``1 / factor`` of each candidate's surviving draws (at least one per candidate)."""
    means = _mean_scores(results)
    kept = []
    for candidate in dict.fromkeys(draw["candidate"] for draw in survivors):
        own = sorted((d for d in survivors if d["candidate"] == candidate), key=lambda d: -means[_key(d)][1])
        kept += own[: max(1, math.ceil(len(own) / factor))]
    return kept


def _encoder(config: TrainingConfig, ancestors: Mapping | None) -> CaseEncoder:
    """Return the unfitted case encoder a run's configuration asks for."""
    return CaseEncoder(
        ancestors=ancestors if config.propagate else None,
        absent_propagation=config.absent_propagation,
        min_term_count=config.min_term_count,
        categorical_columns=config.categorical_columns,
    )


def fold_data(plan: SearchPlan, dataset: Dataset, fold: int) -> tuple[Dataset, np.ndarray, Dataset, np.ndarray]:
    """Return (training dataset, Y, validation dataset, Y) of one fold; nothing of validation is in training."""
    held = set(plan.fold_ids[fold])
    fit_ids = [case_id for case_id in plan.train_ids if case_id not in held]
    fit_set, held_set = dataset.subset(fit_ids), dataset.subset(sorted(held))
    return fit_set, label_matrix(fit_set, plan.labels), held_set, label_matrix(held_set, plan.labels)


def score_probabilities(Y: np.ndarray, P: np.ndarray) -> dict:
    """Return the search score (macro PR AUC over labels with both classes) with top-k and MRR."""
    both = [j for j in range(Y.shape[1]) if 0 < Y[:, j].sum() < len(Y)]
    score = float(np.mean([average_precision_score(Y[:, j], P[:, j]) for j in both])) if both else 0.0
    ranking = ranking_metrics(Y, P)
    return {"pr_auc_macro": score, "top_1": ranking["top_1"], "top_3": ranking["top_3"], "mrr": ranking["mrr"]}


def run_unit(plan: SearchPlan, unit: Mapping, dataset: Dataset, *, ancestors: Mapping | None = None) -> dict:
    """Fit one (candidate, params) on one fold's training part and score it on the fold; return a small dict."""
    started = time.perf_counter()
    fit_set, Y_fit, held_set, Y_held = fold_data(plan, dataset, unit["fold"])
    model = MultiLabelModel(candidate=unit["candidate"], params=unit["params"],
                            encoder=_encoder(plan.config, ancestors), max_negatives=plan.config.max_negatives,
                            random_state=plan.config.random_state)
    model.fit(fit_set, Y_fit)
    metrics = score_probabilities(Y_held, model.predict_proba(held_set))
    return {"candidate": unit["candidate"], "params": dict(unit["params"]), "fold": int(unit["fold"]),
            "score": metrics["pr_auc_macro"], "metrics": metrics, "n_train": int(len(Y_fit)),
            "n_synthetic": int(model.n_synthetic_), "seconds": round(time.perf_counter() - started, 3)}


def leaderboard(results: Sequence[Mapping]) -> list[dict]:
    """Return one row per draw — folds scored and mean score — best first (most folds, then highest mean)."""
    means = _mean_scores(results)
    rows = []
    for key, (n_folds, mean) in means.items():
        candidate, params = json.loads(key)
        rows.append({"candidate": candidate, "params": params, "n_folds": n_folds, "mean_score": mean})
    return sorted(rows, key=lambda row: (-row["n_folds"], -row["mean_score"], row["candidate"]))


@dataclass
class TrainingOutcome:
    """What a finished run returns: the bundle, the test and validation metrics, the leaderboard."""

    bundle: PredictorBundle
    test_metrics: dict
    validation_metrics: dict
    leaderboard: list[dict]
    best: dict
    seconds: float


def fit_final(
    plan: SearchPlan,
    dataset: Dataset,
    results: Sequence[Mapping],
    *,
    ancestors: Mapping | None = None,
    orphan: Sequence[bool] | None = None,
    metadata: Mapping | None = None,
    best: Mapping | None = None,
) -> TrainingOutcome:
    """Refit the best draw on the training cases, calibrate and tune thresholds on validation, score the test.

    ``best`` (a ``{"candidate", "params"}`` draw) refits that draw without a search: a search over one fixed draw
    would fit it on every fold only to choose it anyway (the by-source slice refits one known draw per source).
    """
    if not results and best is None:
        raise TrainingDataError("The search produced no results to choose a model from.")
    started = time.perf_counter()
    board = leaderboard(results)
    best = dict(best) if best is not None else board[0]
    train_set = dataset.subset(plan.train_ids)
    model = MultiLabelModel(candidate=best["candidate"], params=best["params"],
                            encoder=_encoder(plan.config, ancestors), max_negatives=plan.config.max_negatives,
                            random_state=plan.config.random_state)
    model.fit(train_set, label_matrix(train_set, plan.labels))
    validation_set, test_set = dataset.subset(plan.validation_ids), dataset.subset(plan.test_ids)
    Y_validation, Y_test = label_matrix(validation_set, plan.labels), label_matrix(test_set, plan.labels)
    P_validation_raw = model.predict_proba(validation_set)
    calibration = fit_calibration(P_validation_raw, Y_validation, random_state=plan.config.random_state)
    P_validation = apply_calibration(P_validation_raw, calibration)
    thresholds = tune_thresholds(P_validation, Y_validation)
    common = {"labels": plan.labels, "thresholds": thresholds, "orphan": orphan, "train_support": plan.train_support}
    validation_metrics = evaluate(Y_validation, P_validation, cases=validation_set.cases, **common)
    test_metrics = evaluate(Y_test, apply_calibration(model.predict_proba(test_set), calibration),
                            cases=test_set.cases, **common)
    bundle = PredictorBundle(
        model=model,
        labels=tuple(plan.labels),
        thresholds=thresholds,
        calibration=calibration,
        orphan=None if orphan is None else np.asarray(orphan, dtype=bool),
        train_support=np.asarray(plan.train_support),
        metadata={**dict(metadata or {}), "snapshot_id": plan.snapshot_id, "candidate": best["candidate"],
                  "params": best["params"], "below_support": plan.below_support,
                  "config": asdict(plan.config), "vocabulary": list(model.encoder_.vocabulary_)},
    )
    return TrainingOutcome(bundle=bundle, test_metrics=test_metrics, validation_metrics=validation_metrics,
                           leaderboard=board, best=best, seconds=time.perf_counter() - started)


def run_search(plan: SearchPlan, dataset: Dataset, *, ancestors: Mapping | None = None,
               progress: Progress | None = None) -> list[dict]:
    """Run every round of the search inline and return the gathered unit results."""
    results: list[dict] = []
    while units := next_units(plan, results):
        for unit in units:
            results.append(run_unit(plan, unit, dataset, ancestors=ancestors))
            if progress:
                progress(f"{unit['candidate']} fold {unit['fold']}", len(results))
    return results


def train(
    dataset: Dataset,
    *,
    config: TrainingConfig | None = None,
    ancestors: Mapping | None = None,
    orphan_of: Callable[[str], bool] | None = None,
    metadata: Mapping | None = None,
    progress: Progress | None = None,
    draws: Sequence[Mapping] | None = None,
) -> TrainingOutcome:
    """Plan, search and refit inline; ``orphan_of(disease_id)`` flags orphan labels (default: not ICD10).

    ``draws`` replaces the sampled parameter draws (e.g. one fixed draw).
    """
    started = time.perf_counter()
    plan = plan_search(dataset, config=config)
    if draws is not None:
        plan.draws = [{"candidate": draw["candidate"], "params": dict(draw["params"])} for draw in draws]
    results = run_search(plan, dataset, ancestors=ancestors, progress=progress)
    orphan = [orphan_of(label) for label in plan.labels] if orphan_of else None
    outcome = fit_final(plan, dataset, results, ancestors=ancestors, orphan=orphan, metadata=metadata)
    outcome.seconds = time.perf_counter() - started
    return outcome


def kb_orphan_of(kb) -> Callable[[str], bool]:
    """Return a function flagging a disease id as orphan by ``kb.disease_orphan`` (unknown ids: not ICD10)."""
    def orphan_of(disease_id: str) -> bool:
        index = kb.disease_index.get(disease_id)
        return bool(kb.disease_orphan[index]) if index is not None else not disease_id.startswith("ICD10:")
    return orphan_of


def kb_metadata(kb) -> dict:
    """Return the knowledge-base provenance a bundle records."""
    return {"kb_version": kb.version, "kb_content_hash": kb.content_hash}
