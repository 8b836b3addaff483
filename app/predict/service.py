"""The prediction service: understand the inputs, rank, explain, pick the next questions, log the prediction.

One :class:`Predictor` per process and knowledge-base build (fitting the knowledge model takes ~2 s). Its
``ranker`` is the pluggable ranking source: any object with ``model_version`` and
``rank(query) -> ml.predict.Ranking``. Each prediction asks the registry for the champion it serves
(``current_champion``, cached): while there is none (or it was refused with nothing before it) the
``KnowledgeRanker`` ranks (``model_version = "knowledge-only"``); when the champion's bundle changes, a
``BundleRanker`` over its fusion with the knowledge model takes over (``model_version = "v3"``). The evidence and
the next questions always come from the knowledge model, whichever ranker ranks.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from dataclasses import dataclass, field

import numpy as np
from flask import current_app
from flask_babel import gettext as _

from app import audit
from app.extensions import db
from app.models import Prediction, PredictionFeedback
from app.predict.forms import PredictForm
from app.predict.log import flush_predictions, prediction_log
from app.registry.service import current_champion
from app.time import utcnow
from app.vocabulary.service import current_vocabulary
from ml.models import FusedRanker, KnowledgeModel
from ml.models.knowledge import explain_disease
from ml.notes import reader_for
from ml.predict import (
    BundleRanker,
    KnowledgeRanker,
    Query,
    annotation_table,
    candidate_findings,
    next_questions,
    one_per_disease,
    temperature_findings,
)
from ml.privacy import pseudonym_key, pseudonymize

N_QUESTIONS = 5
QUESTION_DISEASES = 10  # the candidates for questions are the findings annotated to the first diseases
THIN_PRESENT_FINDINGS = 2
THIN_TOP_PROBABILITY = 0.2
N_SUGGESTIONS = 5

_lock = threading.Lock()
_predictors: dict = {}


class PredictionError(ValueError):
    """A request the service cannot answer; ``errors`` maps each parameter to its message."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


class Predictor:
    """The knowledge base, the fitted knowledge model and the current ranker of one process."""

    def __init__(self, kb, model: KnowledgeModel, ranker=None):
        self.kb = kb
        self.model = model
        self.ranker = ranker or KnowledgeRanker(model)
        self.kb_version = f"{kb.version}+{kb.content_hash[:12]}"


def get_predictor() -> Predictor:
    """Return this process's predictor over the vocabulary's knowledge base, fitting it on first use."""
    kb = current_vocabulary().kb  # the same build the inputs are matched against (built if ``KB_DIR`` is empty)
    predictor = _predictors.get(kb.path)
    if predictor is None:
        with _lock:
            predictor = _predictors.get(kb.path)
            if predictor is None:
                predictor = Predictor(kb, KnowledgeModel(kb).fit())
                _predictors.clear()  # a rebuilt knowledge base replaces the old one
                _predictors[kb.path] = predictor
    return predictor


def current_ranker(predictor: Predictor):
    """Return the ranker of the champion the registry serves (knowledge-only without one), installing it if new."""
    bundle, version = current_champion()
    ranker = predictor.ranker
    if getattr(ranker, "bundle", None) is not bundle:
        ranker = champion_ranker(predictor.model, bundle, version) if bundle is not None else KnowledgeRanker(
            predictor.model)
        predictor.ranker = ranker
    return ranker


def champion_ranker(model: KnowledgeModel, bundle, version: int) -> BundleRanker:
    """Return the fusion of a champion bundle with the knowledge model, named after its version number ("v3")."""
    return BundleRanker(FusedRanker(model, bundle).fit(), f"v{version}")


# ---------------------------------------------------------------------------------------------- result


@dataclass
class Finding:
    """One understood finding; ``sources`` holds each (input text, how) it was understood from, in order."""

    text: str
    hpo_id: str
    name: str
    present: bool
    how: str
    sources: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.sources:
            self.sources = [(self.text, self.how)]

    def merge(self, other: Finding) -> None:
        """Add the inputs of ``other``, the same finding understood again (e.g. "fever" and 38.6 °C)."""
        for source in other.sources:
            if source not in self.sources:
                self.sources.append(source)
        self.text = "; ".join(dict.fromkeys(text for text, _ in self.sources))
        self.how = "+".join(dict.fromkeys(how for _, how in self.sources))

    def to_dict(self) -> dict:
        return {"text": self.text, "hpo_id": self.hpo_id, "name": self.name, "present": self.present, "how": self.how}


def _merged(findings: list[Finding]) -> list[Finding]:
    """Return one finding per (HPO id, present?), each merged with the later inputs that meant the same."""
    first: dict[tuple[str, bool], Finding] = {}
    for finding in findings:
        key = (finding.hpo_id, finding.present)
        if key in first:
            first[key].merge(finding)
        else:
            first[key] = finding
    return list(first.values())


@dataclass
class Unrecognised:
    text: str
    present: bool
    suggestions: list[tuple[str, str]]  # (hpo_id, name)


@dataclass
class Result:
    prediction_id: str
    model_version: str
    kb_version: str
    findings: list[Finding]
    unrecognised: list[Unrecognised]
    predictions: list[dict]
    questions: list[dict]
    warnings: list[dict] = field(default_factory=list)
    latency_ms: float = 0.0

    def to_dict(self) -> dict:
        """Return the JSON answer of ``GET /api/v1/predict``."""
        return {
            "prediction_id": self.prediction_id,
            "model_version": self.model_version,
            "kb_version": self.kb_version,
            "findings": [finding.to_dict() for finding in self.findings],
            "predictions": self.predictions,
            "questions": self.questions,
            "warnings": self.warnings,
        }


# ------------------------------------------------------------------------------------------- predict


def predict(form: PredictForm, *, user, channel: str) -> Result:
    """Rank the diseases for a checked form, store the prediction (codes only) and return the result."""
    if form.errors:
        raise PredictionError(form.errors)
    if not form.submitted:
        raise PredictionError({"present": _("Give at least one input: a symptom, an absent symptom, age, sex, "
                                            "temperature or a note.")})
    started = time.perf_counter()
    predictor = get_predictor()
    kb, lang = predictor.kb, form.lang
    vocabulary = current_vocabulary()
    findings, unrecognised, warnings = _understand(form, vocabulary, lang)
    present = tuple(dict.fromkeys(f.hpo_id for f in findings if f.present))
    absent = tuple(dict.fromkeys(f.hpo_id for f in findings if not f.present and f.hpo_id not in present))
    sex = form.sex if form.sex in ("female", "male") else None
    query = Query(present=present, absent=absent, age=form.age, sex=sex, temperature_c=form.temperature_c,
                  top=form.top)
    ranking = current_ranker(predictor).rank(query)
    top = one_per_disease(ranking, kb, form.top)  # the OMIM and ORPHA entries of one disease are one row
    evidence = _evidence(predictor, ranking, query, [disease for disease, _ in top])
    predictions = [
        _prediction(kb, vocabulary, rank, disease, probability, evidence[disease], lang)
        for rank, (disease, probability) in enumerate(top, start=1)
    ]
    questions = _questions(predictor, ranking, present + absent, vocabulary, lang)
    warnings += _thin_warnings(present, absent, top)
    latency_ms = (time.perf_counter() - started) * 1000
    result = Result(
        prediction_id=uuid.uuid4().hex,
        model_version=ranking.model_version,
        kb_version=predictor.kb_version,
        findings=findings,
        unrecognised=unrecognised,
        predictions=predictions,
        questions=questions,
        warnings=warnings,
        latency_ms=latency_ms,
    )
    _log(result, form, query, user=user, channel=channel)
    return result


def _evidence(predictor: Predictor, ranking, query: Query, disease_ids: list[str]) -> dict:
    """Return each top disease's evidence, from the ranking's own likelihood ratios when it carries them."""
    table = ranking.extra.get("evidence_table")
    if table is None:  # another ranker (the fusion): the knowledge model explains, each ratio computed once
        table = predictor.model.evidence_table(query.present, query.absent)
    index = predictor.kb.disease_index
    return {disease: explain_disease(table, index[disease]) for disease in disease_ids}


def _understand(form: PredictForm, vocabulary, lang: str):
    """Map every entry to an HPO term; unknown or ambiguous ones come back with suggestions."""
    findings: list[Finding] = []
    unrecognised: list[Unrecognised] = []
    warnings: list[dict] = []
    for entries, flag in ((form.present, True), (form.absent, False)):
        for text in entries:
            match = vocabulary.match_symptom(text, lang=lang)
            if match.id is not None and match.id in vocabulary.kb.term_index:
                findings.append(Finding(text, match.id, vocabulary.symptom_name(match.id, lang=lang), flag,
                                        match.method))
            else:
                suggestions = [(hpo, name) for hpo, name, _score in match.candidates[:N_SUGGESTIONS]] or [
                    (item["id"], item["name"])
                    for item in vocabulary.autocomplete(text, lang=lang, limit=N_SUGGESTIONS, kind="symptom")
                ]
                unrecognised.append(Unrecognised(text, flag, suggestions))
                message = _("“%(text)s” was not recognised.", text=text)
                if suggestions:
                    message += " " + _("Did you mean: %(names)s?", names="; ".join(name for _, name in suggestions))
                warnings.append({"code": "unrecognised", "message": message, "text": text,
                                 "suggestions": [{"hpo_id": hpo, "name": name} for hpo, name in suggestions]})
    if form.temperature_c is not None:
        shown = f"{form.temperature:g} °{form.temperature_unit}"
        implied_present, implied_absent = temperature_findings(form.temperature_c)
        for ids, flag in ((implied_present, True), (implied_absent, False)):
            for hpo in ids:
                findings.append(Finding(shown, hpo, vocabulary.symptom_name(hpo, lang=lang), flag, "temperature"))
    if form.note.strip():
        uncertain = []
        for found in reader_for(vocabulary.kb).read(form.note, lang):
            if found.hpo_id not in vocabulary.kb.term_index:
                continue
            name = vocabulary.symptom_name(found.hpo_id, lang=lang)
            if found.certain:
                findings.append(Finding(found.text, found.hpo_id, name, found.present, "note"))
            elif name not in uncertain:
                uncertain.append(name)
        if uncertain:
            warnings.append({"code": "note_uncertain", "message": _(
                "The note mentions these findings with doubt; they were not used: %(names)s.",
                names="; ".join(uncertain))})
    return _merged(findings), unrecognised, warnings


def _prediction(kb, vocabulary, rank: int, disease_id: str, probability: float, evidence, lang: str) -> dict:
    """Return one ranked disease as the API shows it."""
    index = kb.disease_index[disease_id]  # the columns, not kb.disease(): that builds the whole record
    name = kb.disease_names[index]
    if lang == "es":
        name = kb.disease_names_es[index] or name
    same = kb.same_disease(disease_id)  # itself first, then the entries (OMIM, ORPHA, ...) of the same disease

    def code(prefix: str) -> str | None:
        return next((entry for entry in same if entry.startswith(prefix)), None)

    icd10 = kb.disease_icd10[index] or next(
        (kb.disease_icd10[kb.disease_index[entry]] for entry in same[1:] if kb.disease_icd10[kb.disease_index[entry]]),
        None)
    return {
        "rank": rank,
        "disease_id": disease_id,
        "name": name,
        "codes": {"icd10": icd10 or None, "orpha": code("ORPHA:"), "omim": code("OMIM:")},
        "same_disease": list(same[1:]),
        # The genes of the disease (under any of its entries): they tell which genetic test to order.
        "genes": sorted({gene for entry in same for gene in kb.disease_genes[kb.disease_index[entry]]}),
        "orphan": bool(kb.disease_orphan[index]),
        "probability": round(float(probability), 6),
        "evidence": [
            {"hpo_id": hpo, "name": vocabulary.symptom_name(hpo, lang=lang), "present": flag,
             "log_lr": round(log_lr, 3)}
            for hpo, flag, log_lr in evidence
        ],
    }


def _questions(predictor: Predictor, ranking, known: tuple[str, ...], vocabulary, lang: str) -> list[dict]:
    """Return the findings whose answer is expected to change the differential most."""
    pool = list(ranking.disease_ids)
    posterior = np.asarray(ranking.probabilities, dtype=np.float64)
    if len(pool) < 2 or posterior.sum() <= 0:
        return []
    candidates = candidate_findings(predictor.kb, pool[:QUESTION_DISEASES], known)
    if not candidates:
        return []
    picked = next_questions(
        posterior,
        candidates,
        lambda ids: predictor.model.term_likelihoods(ids, pool),
        n=N_QUESTIONS,
        shortlist=annotation_table(predictor.kb, pool, candidates),
    )
    return [{"hpo_id": hpo, "name": vocabulary.symptom_name(hpo, lang=lang), "information_gain": round(gain, 4)}
            for hpo, gain in picked]


def _thin_warnings(present, absent, top) -> list[dict]:
    """Warn when the information is too thin for a confident differential."""
    if not present and not absent:
        return [{"code": "no_findings", "message": _(
            "No finding was recognised: the list reflects only how common each disease is. Add symptoms.")}]
    if len(present) < THIN_PRESENT_FINDINGS or not top or top[0][1] < THIN_TOP_PROBABILITY:
        return [{"code": "thin", "message": _(
            "The information is too thin for a confident answer: treat this list as a starting point and answer "
            "the questions below.")}]
    return []


# --------------------------------------------------------------------------------------------- logging


def user_pseudonym(user) -> str:
    """Return the keyed pseudonym under which a user's predictions are logged."""
    return _pseudonym(user.id, current_app.config["PSEUDONYM_KEY"])


@functools.lru_cache(maxsize=4096)
def _pseudonym(user_id: int, secret: str) -> str:
    """Return the pseudonym of one user id under one key (an HMAC per prediction otherwise)."""
    return pseudonymize(f"user-{user_id}", key=pseudonym_key(secret))


def _log(result: Result, form: PredictForm, query: Query, *, user, channel: str) -> None:
    """Store the prediction with its inputs as codes (no free text) and its top outputs."""
    inputs = {
        "present": list(query.present),
        "absent": list(query.absent),
        "age": form.age,
        "sex": form.sex,
        "temperature_c": form.temperature_c,
        "unrecognised": len(result.unrecognised),
        "note": bool(form.note.strip()),
        "lang": form.lang,
    }
    # Queued, written within PREDICTION_LOG_FLUSH_SECONDS by the log's thread (app/predict/log.py).
    prediction_log().add(dict(
        id=result.prediction_id,
        created_at=utcnow(),
        user_pseudonym=user_pseudonym(user),
        channel=channel,
        inputs=inputs,
        outputs=[[p["disease_id"], p["probability"]] for p in result.predictions],
        model_version=result.model_version,
        kb_version=result.kb_version,
        latency_ms=round(result.latency_ms, 3),
    ))


def _logged_prediction(prediction_id: str) -> Prediction | None:
    """Return a logged prediction, waiting one flush interval for a row another web process still queues."""
    flush_predictions()
    prediction = db.session.get(Prediction, prediction_id)
    wait = prediction_log().flush_seconds
    if prediction is None and wait > 0 and len(prediction_id) == 32:
        time.sleep(wait + 0.1)
        prediction = db.session.get(Prediction, prediction_id)
    return prediction


def record_feedback(prediction_id: object, diagnoses: object, *, user) -> PredictionFeedback:
    """Store the confirmed diagnoses of one prediction; raise PredictionError on an invalid request."""
    errors = {}
    prediction = _logged_prediction(prediction_id) if isinstance(prediction_id, str) else None
    if prediction is None:
        errors["prediction_id"] = _("Unknown prediction_id.")
    kb = get_predictor().kb
    if not isinstance(diagnoses, list) or not diagnoses or len(diagnoses) > 20:
        errors["diagnoses"] = _("diagnoses must be a list of 1 to 20 disease ids.")
    elif not all(isinstance(d, str) and d in kb.disease_index for d in diagnoses):
        errors["diagnoses"] = _("Every diagnosis must be a disease id of the knowledge base (e.g. OMIM:154700).")
    if errors:
        raise PredictionError(errors)
    feedback = PredictionFeedback(prediction_id=prediction.id, user_pseudonym=user_pseudonym(user),
                                  diagnoses=list(dict.fromkeys(diagnoses)))
    db.session.add(feedback)
    audit.record("prediction.feedback", target=prediction.id, user=user, diagnoses=len(feedback.diagnoses))
    db.session.commit()
    return feedback
