"""A clinician fills the prediction form in English and Spanish, picks suggestions, reads and refines the result."""

import pytest

from app.predict.service import get_predictor
from tests.conftest import PASSWORD
from tests.kb_build import session_kb_dir

pytestmark = [pytest.mark.browser, pytest.mark.postgresql_only]


@pytest.fixture
def app(make_app, tmp_path_factory):
    app = make_app(KB_DIR=str(session_kb_dir(tmp_path_factory)))
    with make_app(KB_DIR=str(session_kb_dir(tmp_path_factory))).app_context():
        get_predictor()  # build the vocabulary and fit the model before the browser waits on them
        yield app


def log_in(page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base_url}/")


def pick(page, field: str, typed: str, suggestion: str) -> None:
    """Type into a term picker and click the named suggestion."""
    box = page.locator(f"label:has(textarea[name={field}]) .term-input")
    box.fill(typed)
    option = page.locator(f"label:has(textarea[name={field}]) .term-options li", has_text=suggestion).first
    option.wait_for(timeout=10000)
    option.dispatch_event("mousedown")


def test_english_form_with_suggestions_result_and_a_question(live_server, page, make_user, tmp_path):
    log_in(page, live_server, make_user("clinician").email)
    page.click("text=The full form")
    page.wait_for_url("**/predict")
    pick(page, "present", "fever", "Fever")
    pick(page, "present", "coug", "Cough")
    pick(page, "absent", "headach", "Headache")
    chips = page.locator("label:has(textarea[name=present]) .chip").all_inner_texts()
    assert len(chips) == 2 and "Fever" in chips[0]
    page.fill("input[name=age]", "30")
    page.click("button:has-text('Rank diseases')")
    page.wait_for_selector("ol.ranking li.disease")
    assert "present=HP%3A0001945" in page.url and "absent=HP%3A0002315" in page.url
    names = page.locator(".disease-name").all_inner_texts()
    assert names and "Common cold" in names[:3]
    assert page.locator("text=Decision support, not a diagnosis").count() == 1
    page.locator("details summary").first.click()
    assert page.locator(".evidence li.for").count() >= 1
    page.screenshot(path=str(tmp_path / "predict-result-en.png"), full_page=True)
    print("screenshot:", tmp_path / "predict-result-en.png")

    question = page.locator(".questions li .question").first.inner_text()
    before = page.url
    page.locator(".questions li a:has-text('Present')").first.click()
    page.wait_for_url(lambda url: url != before)
    assert question in page.locator(".understood").inner_text()
    page.go_back()
    assert page.url == before  # the back button returns to the earlier differential


def test_spanish_form_reads_lay_words_and_answers_in_spanish(live_server, page, make_user, tmp_path):
    log_in(page, live_server, make_user("clinician").email)
    page.click("a.lang[lang=es]")
    page.goto(f"{live_server}/predict")
    assert page.inner_text("main h1") == "Diagnóstico diferencial"
    pick(page, "present", "fiebr", "Fiebre")
    box = page.locator("label:has(textarea[name=present]) .term-input")
    box.fill("tos")
    box.press("Escape")
    box.press("Enter")  # free text, matched by the server
    page.click("button:has-text('Ordenar enfermedades')")
    page.wait_for_selector("ol.ranking li.disease")
    assert "Entendido como" in page.inner_text(".understood") and "Tos" in page.inner_text(".understood")
    assert page.locator("text=Siguientes preguntas").count() == 1
    assert page.locator("text=Apoyo a la decisión, no un diagnóstico").count() == 1
    page.screenshot(path=str(tmp_path / "predict-result-es.png"), full_page=True)


def test_keyboard_only(live_server, page, make_user):
    log_in(page, live_server, make_user("clinician").email)
    page.goto(f"{live_server}/predict")
    box = page.locator("label:has(textarea[name=present]) .term-input")
    box.focus()
    page.keyboard.type("headach")
    page.locator("label:has(textarea[name=present]) .term-options li").first.wait_for(timeout=10000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.locator("label:has(textarea[name=present]) .chip").count() == 1
    page.keyboard.type("vomiting")
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    assert page.locator("label:has(textarea[name=present]) .chip").count() == 2
    for _ in range(30):  # Tab to the submit button
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    page.keyboard.press("Enter")
    page.wait_for_selector("ol.ranking li.disease")
    assert page.locator(".understood .chip").count() == 2
