"""The vocabulary review queue, its admin page, the autocomplete API and ``flask vocab match``."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, TermStatus, UnmappedTerm
from app.vocabulary import service
from tests.kb_build import session_kb_dir

UNKNOWN = "me pica todo el cuerpo raro"


@pytest.fixture
def app(make_app, tmp_path_factory):
    """The app under test over a real knowledge base built once per session."""
    kb_dir = str(session_kb_dir(tmp_path_factory))
    app = make_app(KB_DIR=kb_dir)
    with make_app(KB_DIR=kb_dir).app_context():
        yield app


def queue_rows() -> list[UnmappedTerm]:
    db.session.expire_all()
    return db.session.scalars(select(UnmappedTerm).order_by(UnmappedTerm.id)).all()


def audit_actions() -> list[tuple[str, str, dict]]:
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("vocabulary.%"))).all()
    return [(event.action, event.target, event.details) for event in events]


# -------------------------------------------------------------------------------------------- the queue


def test_record_unmapped_counts_every_spelling_of_a_text_in_one_row(app):
    assert service.match("symptom", UNKNOWN).method == "none"
    service.record_unmapped("symptom", "Me pica todo el cuerpo raro", source="upload:1")
    service.record_unmapped("symptom", "me_pica_todo_el_cuerpo_raro ", source="upload:2", count=4)
    service.record_unmapped("symptom", "ME PICA TODO EL CUERPO RARO", source="upload:1")
    service.record_unmapped("disease", "Me pica todo el cuerpo raro", source="upload:1")
    (symptom, disease) = queue_rows()
    assert (symptom.kind, symptom.text, symptom.example, symptom.count) == (
        "symptom",
        "me pica todo el cuerpo raro",
        "Me pica todo el cuerpo raro",
        6,
    )
    assert symptom.sources == ["upload:1", "upload:2"] and symptom.status == TermStatus.PENDING
    assert (disease.kind, disease.count) == ("disease", 1)


@pytest.mark.parametrize("raw", [None, "", "   ", "x" * 10_000, 42])
def test_record_unmapped_skips_blank_and_oversized_texts(app, raw):
    assert service.record_unmapped("symptom", raw, source="test") is None
    assert queue_rows() == []


def test_record_unmapped_counts_in_bulk(app):
    assert service.record_unmapped_counts("symptom", {"zumbido raro": 3, "Zumbido  raro": 2, "": 9}, source="x") == 2
    (row,) = queue_rows()
    assert row.count == 5


# ------------------------------------------------------------------------------------------- the page


def test_page_lists_pending_terms_with_counts_and_suggestions(app, client, login):
    service.record_unmapped("symptom", "headahce sever", source="upload:7", count=12)
    service.record_unmapped("disease", "Marfan sindrome", source="upload:7", count=3)
    login("admin")
    page = client.get("/admin/vocabulary").text
    assert "headahce sever" in page and ">12<" in page and "upload:7" in page
    assert "Marfan sindrome" in page and "ORPHA:558" in page  # a suggestion the admin can click
    only_diseases = client.get("/admin/vocabulary?kind=disease").text
    assert "Marfan sindrome" in only_diseases and "headahce sever" not in only_diseases


def test_admin_maps_a_term_and_the_next_match_uses_it(app, client, login):
    term = service.record_unmapped("symptom", UNKNOWN, source="upload:1", count=2)
    admin = login("admin")
    response = client.post(f"/admin/vocabulary/{term.id}/map", data={"target": "hp_0000989"})
    assert response.status_code == 302 and "/admin/vocabulary" in response.headers["Location"]
    (row,) = queue_rows()
    assert (row.status, row.mapped_id, row.decided_by_id) == (TermStatus.MAPPED, "HP:0000989", admin.id)
    assert row.decided_at is not None
    assert audit_actions() == [
        ("vocabulary.map", f"unmapped_term:{term.id}", {"kind": "symptom", "mapped_id": "HP:0000989", "count": 2})
    ]
    match = service.match("symptom", "Me pica todo el cuerpo raro")
    assert (match.id, match.name, match.method) == ("HP:0000989", "Pruritus", "mapping")
    assert f"“{UNKNOWN}” now maps to HP:0000989." in client.get("/admin/vocabulary").text  # the flash, once
    assert UNKNOWN not in client.get("/admin/vocabulary").text  # no longer pending
    assert UNKNOWN in client.get("/admin/vocabulary?status=mapped").text


def test_a_mapping_to_an_alt_id_is_stored_as_the_current_term(app, client, login):
    term = service.record_unmapped("symptom", UNKNOWN, source="upload:1")
    login("admin")
    client.post(f"/admin/vocabulary/{term.id}/map", data={"target": "HP:0000004"})
    assert queue_rows()[0].mapped_id == "HP:0012823"


def test_admin_maps_a_disease_by_any_id_spelling(app, client, login):
    term = service.record_unmapped("disease", "Marfan sindrome", source="upload:3")
    login("admin")
    assert client.post(f"/admin/vocabulary/{term.id}/map", data={"target": "Orphanet:558"}).status_code == 302
    assert service.match("disease", "marfan Sindrome").id == "ORPHA:558"


def test_admin_ignores_a_term(app, client, login):
    term = service.record_unmapped("symptom", "n/a", source="upload:1")
    login("admin")
    assert client.post(f"/admin/vocabulary/{term.id}/ignore").status_code == 302
    (row,) = queue_rows()
    assert (row.status, row.mapped_id) == (TermStatus.IGNORED, None)
    assert [action for action, _, _ in audit_actions()] == ["vocabulary.ignore"]
    match = service.match("symptom", "N/A")
    assert (match.id, match.method, match.matched) == (None, "mapping", False)
    service.record_unmapped("symptom", "N/A", source="upload:2")  # still counted, still ignored
    assert (queue_rows()[0].count, queue_rows()[0].status) == (2, TermStatus.IGNORED)


@pytest.mark.parametrize(
    "kind,target,message",
    [
        ("symptom", "HP:9999999", "is not a current HPO term id"),
        ("symptom", "fever", "is not a current HPO term id"),
        ("symptom", "ORPHA:558", "is not a current HPO term id"),
        ("disease", "HP:0001945", "is not a disease of the knowledge base"),
        ("disease", "ORPHA:99999999", "is not a disease of the knowledge base"),
        ("symptom", "", "This field is required"),
    ],
)
def test_a_bad_id_is_refused_with_a_message(app, client, login, kind, target, message):
    term = service.record_unmapped(kind, UNKNOWN, source="upload:1")
    login("admin")
    response = client.post(f"/admin/vocabulary/{term.id}/map", data={"target": target})
    assert response.status_code == 400 and message in response.text
    assert queue_rows()[0].status == TermStatus.PENDING and audit_actions() == []


def test_auditor_reads_the_page_but_cannot_decide(app, client, login):
    term = service.record_unmapped("symptom", UNKNOWN, source="upload:1")
    login("auditor")
    page = client.get("/admin/vocabulary")
    assert page.status_code == 200 and UNKNOWN in page.text
    assert "/map" not in page.text and "/ignore" not in page.text
    assert client.post(f"/admin/vocabulary/{term.id}/map", data={"target": "HP:0000989"}).status_code == 403
    assert client.post(f"/admin/vocabulary/{term.id}/ignore").status_code == 403
    assert queue_rows()[0].status == TermStatus.PENDING and audit_actions() == []


def test_decisions_need_a_csrf_token(make_app, tmp_path_factory, make_user):
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)), WTF_CSRF_ENABLED=True)
    term = service.record_unmapped("symptom", UNKNOWN, source="upload:1")
    user = make_user("admin")
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
    assert client.post(f"/admin/vocabulary/{term.id}/map", data={"target": "HP:0000989"}).status_code == 400
    assert client.post(f"/admin/vocabulary/{term.id}/ignore").status_code == 400
    assert queue_rows()[0].status == TermStatus.PENDING


# -------------------------------------------------------------------------------------------- the API


def test_terms_api_completes_in_the_asked_language(app, client, login):
    login("clinician")
    response = client.get("/api/v1/terms?q=fieb&lang=es")
    assert response.status_code == 200
    found = response.get_json()
    assert found[0] == {"id": "HP:0001945", "name": "Fiebre", "matched": "fiebre"} and len(found) <= 10
    english = client.get("/api/v1/terms?q=fev&lang=en").get_json()
    assert english[0]["name"] == "Fever"
    assert len(client.get("/api/v1/terms?q=pain&limit=3").get_json()) == 3


@pytest.mark.parametrize("query,expected", [("HP:0001945", "HP:0001945"), ("hp_0012735", "HP:0012735"),
                                            ("HP_0002315", "HP:0002315"), ("HP:0000004", "HP:0012823")])
def test_terms_api_resolves_a_pasted_hpo_id(app, client, login, query, expected):
    login("clinician")
    response = client.get(f"/api/v1/terms?q={query}&lang=en")
    assert response.status_code == 200 and [item["id"] for item in response.get_json()] == [expected]


def test_terms_api_puts_the_exact_lexicon_entry_first(app, client, login):
    login("clinician")
    found = client.get("/api/v1/terms?q=fatiga&lang=es").get_json()
    assert found[0]["id"] == "HP:0012378" and found[0]["matched"] == "fatiga"
    assert "HP:0003473" in [item["id"] for item in found]  # Fatigable weakness still offered, after it


def test_diseases_api_completes_names_and_aliases(app, client, login):
    login("clinician")
    found = client.get("/api/v1/diseases?q=gerd&lang=en").get_json()
    assert found[0]["id"] == "ICD10:K21.9" and found[0]["matched"] == "GERD"


@pytest.mark.parametrize(
    "query,message",
    [
        ("", "q parameter"),
        ("?q=", "q parameter"),
        ("?q=%20%20", "q parameter"),
        ("?q=" + "a" * 201, "longer than 200"),
        ("?q=fever&lang=fr", "lang must be one of"),
        ("?q=fever&limit=0", "limit must be"),
        ("?q=fever&limit=500", "limit must be"),
        ("?q=fever&limit=abc", "limit must be"),  # was silently ignored
        ("?q=fever&limit=", "limit must be"),
    ],
)
def test_terms_api_refuses_bad_queries_in_json(app, client, login, query, message):
    login("clinician")
    response = client.get(f"/api/v1/terms{query}")
    assert response.status_code == 400 and response.is_json
    assert message in response.get_json()["message"]


def test_terms_api_needs_a_login(app, client):
    response = client.get("/api/v1/terms?q=fever")
    assert response.status_code == 401


# ---------------------------------------------------------------------------------------- the command


@pytest.mark.parametrize(
    "args,lines,exit_code",
    [
        (["fiebre alta", "--lang", "es"], ["id         HP:0001945", "name       Fiebre", "method     lexicon"], 0),
        (["K21", "--disease"], ["id         ICD10:K21.9", "method     id"], 0),
        (["Marfan syndrome", "--disease"], ["id         ORPHA:558", "candidate  OMIM:154700"], 0),
        (["zzzz qqqq"], ["id         -", "method     none"], 1),
    ],
)
def test_vocab_match_command(app, args, lines, exit_code):
    result = app.test_cli_runner().invoke(args=["vocab", "match", *args])
    assert result.exit_code == exit_code, result.output
    for line in lines:
        assert line in result.output


# ---------------------------------------------------------------------------------- the first build


@pytest.mark.slow
def test_first_use_builds_the_knowledge_base_when_missing(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(service, "_base", {})
    app = Flask(__name__)
    app.config["KB_DIR"] = str(tmp_path / "kb")
    with app.app_context():
        vocabulary = service._base_vocabulary(tmp_path / "kb")
    assert (tmp_path / "kb" / "current").is_file()
    assert vocabulary.match_symptom("fever").id == "HP:0001945"
    assert "building it now" in caplog.text
